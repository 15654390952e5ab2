"""HTML to PDF with WeasyPrint: the only module that imports it, and it knows no models.

Everything a report needs comes from the local disk: its stylesheet from the static folder
(`base_url`), its fonts from the system (fontconfig). Any other address, including http(s),
is refused, so building a report never reaches the network.

WeasyPrint's own user-agent stylesheet is replaced by a small one for the elements reports
use (reports/user_agent.css, which says why). WeasyPrint has no public option for that; its
HTML class asks itself for the sheet (`_ua_stylesheets`), and ReportHTML answers, as
WeasyPrint's own tests do. The WeasyPrint version is pinned (constraints.txt), and
tests/reports/test_pdf.py fails if a new version stops asking.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import logging
from collections.abc import Iterator
from pathlib import Path
from urllib.request import url2pathname

# WeasyPrint logs every step and page at INFO (even while it is imported); a worker's log
# needs only its problems.
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)

from weasyprint import CSS, HTML  # noqa: E402
from weasyprint.urls import FatalURLFetchingError, URLFetcher, URLFetcherResponse  # noqa: E402

# PDF/UA-1: tagged structure, document title and language in the catalog (from <title>
# and <html lang>), PDF 1.7.
PDF_VARIANT = "pdf/ua-1"
USER_AGENT_STYLESHEET = Path(__file__).with_name("user_agent.css")


class PdfError(Exception):
    """The HTML could not be turned into a PDF."""


class LocalFileFetcher(URLFetcher):
    """Fetches files under one folder (and data: URLs); anything else stops the render."""

    def __init__(self, root: Path) -> None:
        super().__init__(allowed_protocols={"file", "data"}, fail_on_errors=True)
        self.root = root.resolve()

    def fetch(self, url: str, headers: dict[str, str] | None = None) -> URLFetcherResponse:
        if url.startswith("file:"):
            path = Path(url2pathname(url.split("?")[0].removeprefix("file:"))).resolve()
            if not path.is_relative_to(self.root):
                raise ValueError(f"Not a file under {self.root}: {url}")
        return super().fetch(url, headers)


@functools.cache
def user_agent_stylesheet() -> CSS:
    """reports/user_agent.css, parsed once per process."""
    return CSS(filename=USER_AGENT_STYLESHEET)


class ReportHTML(HTML):
    """An HTML document styled by the reports' user-agent stylesheet instead of WeasyPrint's."""

    def _ua_stylesheets(self, forms: bool = False) -> list[CSS]:
        return [user_agent_stylesheet()]


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector paused for the block, if it was running.

    WeasyPrint builds hundreds of thousands of objects that live until the PDF is written
    (the box tree, its pages, the PDF's objects), so the collector's full passes walk an
    ever larger heap and find nothing to free: for the portfolio of 500 items as a table
    that was about 15% of the render's CPU. Reference counting still frees everything else
    at once, and the collector takes the cycles left over once it runs again (the peak
    memory grows by about 5 MB)."""
    running = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if running:
            gc.enable()


def html_to_pdf(html: str, *, base_url: Path) -> bytes:
    """The PDF of an HTML document whose relative links resolve inside base_url (a folder)."""
    folder = base_url.resolve()
    try:
        with collector_paused():
            document = ReportHTML(
                string=html, base_url=f"{folder.as_uri()}/", url_fetcher=LocalFileFetcher(folder)
            )
            pdf = document.write_pdf(pdf_variant=PDF_VARIANT)
    except FatalURLFetchingError as error:
        # A BaseException in WeasyPrint, so that nothing inside it swallows it.
        cause = error.__cause__ or error
        raise PdfError(f"a file the report links to could not be read ({cause})") from error
    if not pdf:
        raise PdfError("WeasyPrint returned no PDF")
    return bytes(pdf)
