import gc
import re
from pathlib import Path

import pytest
from django.conf import settings

from reports import pdf

STATIC = Path(settings.BASE_DIR) / "static"
TEMPLATES = Path(settings.BASE_DIR) / "templates" / "reports" / "pdf"
# The elements reports/user_agent.css has rules for, and span, which needs none.
STYLED_ELEMENTS = {
    "html", "head", "title", "meta", "link", "style", "body", "div", "section",
    "h1", "h2", "h3", "h4", "p", "table", "thead", "tbody", "tfoot", "tr", "th", "td",
    "b", "strong", "abbr", "br", "span",
}  # fmt: skip


def test_weasyprint_takes_the_reports_own_user_agent_stylesheet(monkeypatch):
    asked = []
    own = pdf.ReportHTML._ua_stylesheets

    def spy(self, forms=False):
        sheets = own(self, forms)
        asked.append(sheets)
        return sheets

    monkeypatch.setattr(pdf.ReportHTML, "_ua_stylesheets", spy)
    pdf.html_to_pdf('<html lang="en"><title>T</title><p>Text</p></html>', base_url=STATIC)
    assert asked == [[pdf.user_agent_stylesheet()]]


def test_the_garbage_collector_is_paused_while_rendering_and_runs_again_after(monkeypatch):
    during = []
    own = pdf.ReportHTML._ua_stylesheets

    def spy(self, forms=False):
        during.append(gc.isenabled())
        return own(self, forms)

    monkeypatch.setattr(pdf.ReportHTML, "_ua_stylesheets", spy)
    assert gc.isenabled()
    pdf.html_to_pdf('<html lang="en"><title>T</title><p>Text</p></html>', base_url=STATIC)
    assert during == [False]
    assert gc.isenabled()
    with pytest.raises(pdf.PdfError):
        pdf.html_to_pdf('<link rel="stylesheet" href="missing.css"><p>Text</p>', base_url=STATIC)
    assert gc.isenabled()
    gc.disable()
    try:
        pdf.html_to_pdf('<html lang="en"><title>T</title><p>Text</p></html>', base_url=STATIC)
        assert not gc.isenabled()  # left as it was
    finally:
        gc.enable()


def test_the_report_templates_use_only_elements_the_user_agent_stylesheet_styles():
    used = {
        tag.lower()
        for template in TEMPLATES.glob("*.html")
        for tag in re.findall(r"<([a-zA-Z][a-zA-Z0-9]*)", template.read_text())
    }
    assert used - STYLED_ELEMENTS == set(), (
        "Give these elements their rules from WeasyPrint's html5_ua.css in "
        "reports/user_agent.css, then add them here"
    )
    stylesheet = pdf.USER_AGENT_STYLESHEET.read_text()
    for element in STYLED_ELEMENTS - {"span"}:
        assert re.search(rf"(^|[\s,]){element}\b[^{{]*{{", stylesheet, re.M), element
