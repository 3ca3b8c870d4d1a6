"""How many texts (SMS segments) a message goes as, which is what a person pays for and receives.

A text is one segment of 160 GSM-7 characters; longer, each part carries a header and holds 153.
The characters of the GSM 03.38 extension table ({ } [ ] ~ \\ | ^ €, form feed) take two places each.
One character outside GSM-7 (an emoji, a curly quote, Chinese, Cyrillic) makes the whole text UCS-2:
70 UTF-16 code units in one segment, 67 in each part (an emoji is two units). So 600 characters can
be 4 texts or 9, and the review found 716 characters of UCS-2: limits count segments, not characters.
"""

from __future__ import annotations

from dataclasses import dataclass

GSM7_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = "^{}\\[~]|€\f"
_GSM7 = frozenset(GSM7_BASIC)
_GSM7_EXTENSION = frozenset(GSM7_EXTENSION)

GSM7_SINGLE, GSM7_PART = 160, 153
UCS2_SINGLE, UCS2_PART = 70, 67


@dataclass(frozen=True)
class Segments:
    """A text's size: how many segments, in which encoding, and how many units it uses."""

    count: int
    encoding: str  # "GSM-7" or "UCS-2"
    units: int  # septets for GSM-7, UTF-16 code units for UCS-2

    @property
    def per_part(self) -> int:
        return GSM7_PART if self.encoding == "GSM-7" else UCS2_PART


def is_gsm7(text: str) -> bool:
    return all(ch in _GSM7 or ch in _GSM7_EXTENSION for ch in text)


def segments(text: str) -> Segments:
    """How `text` goes as SMS: 0 segments for an empty text, else 1 or more."""
    if is_gsm7(text):
        units = sum(2 if ch in _GSM7_EXTENSION else 1 for ch in text)
        single, part, encoding = GSM7_SINGLE, GSM7_PART, "GSM-7"
    else:
        units = len(text.encode("utf-16-le")) // 2
        single, part, encoding = UCS2_SINGLE, UCS2_PART, "UCS-2"
    if units == 0:
        return Segments(0, encoding, 0)
    count = 1 if units <= single else -(-units // part)
    return Segments(count, encoding, units)


def units_over(text: str, most: int) -> int:
    """How many units (about characters) `text` must lose to go as at most `most` segments; 0 if it fits."""
    size = segments(text)
    if size.count <= most:
        return 0
    single = GSM7_SINGLE if size.encoding == "GSM-7" else UCS2_SINGLE
    allowed = single if most == 1 else most * size.per_part
    return size.units - allowed


# What phones type for ' " - ... (smart punctuation) would make a whole text UCS-2; these read the same in GSM-7.
TYPOGRAPHIC = str.maketrans(
    {"‘": "'", "’": "'", "‚": "'", "‛": "'", "“": '"', "”": '"', "„": '"', "–": "-", "—": "-", "…": "...",
     "\u00a0": " ", "\u2009": " ", "\u202f": " "}
)  # fmt: skip


def gsm_plain(text: str) -> str:
    """`text` with smart quotes, dashes, ellipses and odd spaces written in GSM-7, so an iPhone's "I’m" costs 1."""
    return text.translate(TYPOGRAPHIC)


def too_many_texts(whole: str, *, most: int) -> str | None:
    """What to tell a person whose words make `whole` (the text as it will be sent) longer than `most` texts."""
    size = segments(gsm_plain(whole))
    if size.count <= most:
        return None
    plain = gsm_plain(whole)
    odd = list(dict.fromkeys(ch for ch in plain if ch not in _GSM7 and ch not in _GSM7_EXTENSION))
    if odd and segments("".join(ch for ch in plain if ch not in odd)).count <= most:
        # Only the emoji (or a letter phones can't send plainly) makes it long: a text with one is sent in a
        # form that holds 70 characters, not 160. Say which, rather than "about 185 characters shorter".
        shown = " ".join(odd[:3])
        return (
            f"{shown} makes this message go as {size.count} texts instead of {most} or fewer: a text with an "
            f"emoji or a special letter holds far fewer characters. Take {'it' if len(odd) == 1 else 'them'} out."
        )
    if odd:  # too long even without them: both things to do, the cut counted as it will be once they are out
        cut = units_over("".join(ch for ch in plain if ch not in odd), most)
        rounded = max(5, -(-cut // 5) * 5)
        return (
            f"That message would go as {size.count} texts; keep it to {most}: take out {' '.join(odd[:3])} (with "
            f"{'it' if len(odd) == 1 else 'them'} each text holds 70 characters, not 160) and about {rounded} more."
        )
    cut = units_over(plain, most)
    rounded = max(5, -(-cut // 5) * 5)  # "about 40 characters", not "37"
    return f"That message would go as {size.count} texts; keep it to {most} — about {rounded} characters shorter."
