"""Reading what people text back: forgiving about case, spaces and punctuation.

"take 42", "TAKE #42", "Take 42!" and "take42" all mean TAKE 42; "note: thinking of
you" and "Note thinking of you" are both a NOTE with its words as typed. Twilio's own
words (STOP, START, HELP, ...) are recognised so the service can record an
opt-out or opt-in, but they are never answered or used as our commands.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

OPT_OUT = {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"}
OPT_IN = {"START", "YES", "UNSTOP", "OPTIN"}
PROVIDER_HELP = {"HELP", "INFO"}
RESERVED = OPT_OUT | OPT_IN | PROVIDER_HELP
WITH_CODE = {"TAKE", "OK", "DROP"}
ALONE = {"OPEN", "MINE", "BACK", "NO"}
SYNONYMS = {"CLAIM": "TAKE", "CONFIRM": "OK", "OKAY": "OK", "RELEASE": "DROP", "CANT": "DROP", "NOPE": "NO"}


@dataclass(frozen=True)
class Command:
    word: str  # TAKE, OK, DROP, OPEN, MINE, NOTE, OPT_OUT, OPT_IN, PROVIDER_HELP, or UNKNOWN
    code: int | None = None
    words: str = ""  # a NOTE's own words, as the person typed them


NOTE_WORD = re.compile(r"^\W*notes?\b[\s:;,.!\-]*", re.IGNORECASE)


def parse(text: str) -> Command:
    cleaned = re.sub(r"[^A-Z0-9 ]+", " ", (text or "").upper().replace("'", ""))
    words = cleaned.split()
    if not words:
        return Command("UNKNOWN")
    if len(words) == 1 and words[0] in RESERVED:
        return Command("OPT_OUT" if words[0] in OPT_OUT else "OPT_IN" if words[0] in OPT_IN else "PROVIDER_HELP")
    if words[0] in ("NOTE", "NOTES"):
        note = NOTE_WORD.match(text or "")
        return Command("NOTE", words=(text[note.end() :] if note else "").strip())
    head = re.match(r"^([A-Z]+)(\d+)$", words[0])  # "TAKE42"
    if head:
        words = [head.group(1), head.group(2), *words[1:]]
    word = SYNONYMS.get(words[0], words[0])
    if word in WITH_CODE:
        numbers = [w for w in words[1:] if w.isascii() and w.isdigit()]  # not "²": int() refuses it
        if len(numbers) == 1 and len(numbers[0]) <= 9:
            return Command(word, int(numbers[0]))
        return Command("UNKNOWN")
    if word in ALONE and (len(words) == 1 or word == "NO"):
        return Command(word)
    return Command("UNKNOWN")
