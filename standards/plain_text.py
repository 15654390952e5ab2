"""The official API's text as plain text: entities decoded, HTML turned into paragraphs and
list lines, whitespace tidied.

The API writes several fields as HTML, itself escaped as entities (`&lt;p&gt;…`), and some
statements with a stray `&amp;`. psp shows such text as plain text, which Django escapes
when it renders, so nothing from the file reaches a page as markup. No library turns HTML
into readable text with its paragraphs and lists (sanitisers such as nh3 keep the markup),
so this is the standard library's HTML parser with the few rules below:
- a paragraph, heading, table row or `<br>` ends a line; a paragraph ends a block;
- a list item becomes a line starting "- ";
- a link keeps its words (the address is dropped, as a reader of the words needs none);
- in text that was HTML, runs of spaces (non-breaking ones included) become one space, and
  blank lines at most one; text that was not HTML keeps its spaces and only loses the
  whitespace at either end.
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

_TAG = re.compile(r"</?[a-zA-Z][a-zA-Z0-9]*(?:\s[^<>]*)?/?>")
_BLOCK_END = {"p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "table"}
_LINE_END = {"tr"}
_SPACES = re.compile(r"[ \t\u00a0\u2007\u202f]+")
_BLANK_LINES = re.compile(r"\n{3,}")


class _TextParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":
            self.parts.append("\n")
        elif tag == "li":
            self.parts.append("\n- ")
        elif tag in _BLOCK_END or tag == "tr":
            self.parts.append("\n")
        elif tag in ("td", "th"):
            self.parts.append(" ")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag in _BLOCK_END:
            self.parts.append("\n\n")
        elif tag in _LINE_END:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def looks_like_html(text: str) -> bool:
    return bool(_TAG.search(text))


def tidy(text: str) -> str:
    """Spaces within each line collapsed, lines trimmed, at most one blank line in a row,
    no blank lines at either end."""
    lines = [_SPACES.sub(" ", line).strip() for line in text.replace("\r\n", "\n").split("\n")]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def plain_text(value: str) -> str:
    """The text a reader sees: entities decoded (twice escaped included), HTML turned into
    lines, whitespace tidied. Text without HTML keeps its own spaces, line breaks and lists."""
    text = html.unescape(value).replace("\r\n", "\n")
    if not looks_like_html(text):
        # Plain text is kept as written: only entities escaped twice and the outer
        # whitespace go (statements are stored word for word, inner spaces included).
        return (html.unescape(text) if "&" in text else text).strip()
    parser = _TextParser()
    parser.feed(text)
    parser.close()
    return tidy("".join(parser.parts))


def same_words(a: str, b: str) -> bool:
    """Whether two texts say the same words once entities are decoded and whitespace
    normalised (what the import checker compares)."""
    return " ".join(plain_text(a).split()) == " ".join(plain_text(b).split())
