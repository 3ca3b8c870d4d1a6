"""Reading what people text back: forgiving about case, spaces and punctuation.

"take 42", "TAKE #42", "Take 42!", "take task 42" and "take42" all mean TAKE 42; "note:
thinking of you" and "Note thinking of you" are both a NOTE with its words as typed. Twilio's
own words (STOP, START, HELP, ...) are recognised so the service can record an
opt-out or opt-in, but they are never answered or used as our commands.

The number comes right after the word, and whatever follows is the person's own words:
"OK 18 see you at 9" confirms task 18, "Drop 18 sorry, can't make it till 5" gives it back.
Words that only start like a command are not one: "Take me to the clinic Tue 9" (the
patient answering her check-in), "Drop off dinner Thu 6", "OK, a ride Fri 10 would help".
Two numbers in a row ("TAKE 42 43", "take 42 and 43") are not guessed at, nor "TAKE -5".
"Can't make it" without a number is a "no" (inbound.py says how to give a task back).
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


FILLER = {"TASK", "NUMBER", "NUM"}  # "take task 42", "drop number 7"
MINUS = re.compile(r"(?<![\w])-\s*(?=\d)")  # "TAKE -5": not task 5


def parse(text: str) -> Command:
    cleaned = re.sub(r"[^A-Z0-9 ]+", " ", MINUS.sub(" MINUS", (text or "").upper().replace("’", "'")).replace("'", ""))
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
        rest = words[1:]
        if rest and rest[0] in FILLER and len(rest) > 1 and _number(rest[1]):
            rest = rest[1:]
        if rest and _number(rest[0]) and not _another_number(rest[1:]):
            return Command(word, int(rest[0]))
        if words[0] == "CANT" and not any(_number(w) for w in rest):
            return Command("NO")  # "can't make it": a no to whatever they were last asked
        return Command("UNKNOWN")
    if word in ALONE and (len(words) == 1 or word == "NO"):
        return Command(word)
    return Command("UNKNOWN")


def _number(word: str) -> bool:
    return word.isascii() and word.isdigit() and len(word) <= 9  # not "²": int() refuses it


def _another_number(rest: list[str]) -> bool:
    """ "TAKE 42 43", "take 42 and 43", "OK 18, 19": a second task, which one text does not guess at."""
    return bool(rest) and (_number(rest[0]) or (rest[0] in ("AND", "N") and len(rest) > 1 and _number(rest[1])))
