"""Showing what people wrote as plain words: paragraphs kept, web links clickable, nothing read as HTML.

Everything is escaped first; only then are blank lines turned into paragraphs,
single line breaks into <br>, and http(s) links into anchors that open without
telling the other site where they came from. So an update can never carry markup.
"""

from __future__ import annotations

import re

from markupsafe import Markup, escape

# A web link as people paste it; trailing punctuation belongs to the sentence, not the link.
LINK = re.compile(r"\bhttps?://[^\s<>\"']+[^\s<>\"'.,;:!?)\]]", re.IGNORECASE)


def _linked(escaped: str) -> str:
    def anchor(match: re.Match) -> str:
        url = match.group(0)
        return f'<a href="{url}" rel="nofollow noopener noreferrer" target="_blank">{url}</a>'

    return LINK.sub(anchor, escaped)


def paragraphs(text: str | None) -> Markup:
    """Plain text as <p> paragraphs with clickable links (the template's `paragraphs` filter)."""
    blocks = [b.strip() for b in re.split(r"\n\s*\n", (text or "").replace("\r\n", "\n")) if b.strip()]
    html = "".join(f"<p>{_linked(str(escape(b))).replace(chr(10), '<br>')}</p>" for b in blocks)
    return Markup(html)  # noqa: S704 - every piece of it was escaped above
