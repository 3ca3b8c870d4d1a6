"""What person-typed text may hold: printable characters and, where it is multi-line, newlines.

A coordinator's invitation once carried U+202E (right-to-left override) and a BEL into a queued text,
and a NUL in a texted reply crashed PostgreSQL, which cannot store one. So every value a request
brings (web/security.py) and every message body we queue (services/texting/messages.py) goes
through `text_clean`: control characters (C0 and C1) go, except newlines where text may span lines
(tabs become spaces, every kind of line break becomes "\n"); so do format characters (Unicode Cf:
the bidi overrides, isolates and marks, zero-width spaces and joiners, the byte-order mark, soft
hyphens), which can make a text read differently from what it says; so do lone surrogates, which no
database or gateway can encode. Then it is NFC-normalised (one form of "é", so lengths and
comparisons agree) and trimmed. Cleaning twice changes nothing.
"""

from __future__ import annotations

import re
import unicodedata

LINE_BREAKS = re.compile("\r\n|[\r\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")
REMOVED_CATEGORIES = {"Cc", "Cf", "Cs"}


def text_clean(text: str, *, multiline: bool = True) -> str:
    """`text` without control, format or unpaired surrogate characters, NFC, trimmed (see the module)."""
    if text.isascii() and text.isprintable():  # most values (cookies, ids, English words): nothing to remove
        return text.strip()
    text = LINE_BREAKS.sub("\n", text).replace("\t", " ")
    if not multiline:
        text = text.replace("\n", " ")
    kept = "".join(ch for ch in text if ch == "\n" or unicodedata.category(ch) not in REMOVED_CATEGORIES)
    return unicodedata.normalize("NFC", kept).strip()


def text_storable(text: str) -> str:
    """`text` without what a database cannot store or should never hold (NUL and other C0/C1 controls,
    lone surrogates), and nothing else touched: for values such as passwords whose every character counts."""
    if text.isascii() and text.isprintable():
        return text
    return "".join(ch for ch in text if ch in "\t\n\r" or unicodedata.category(ch) not in {"Cc", "Cs"})
