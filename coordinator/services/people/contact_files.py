"""Reading contact files people already have: a CSV export or a phone's vCard (.vcf).

Exports from phones, Google, Outlook and spreadsheets disagree about almost
everything (encodings, delimiters, header names, folded lines), so this reads
leniently: headers are matched by many names, a file without a usable header
is read by what each field looks like, and one broken line never swallows the
rest. It only reads; deciding who gets invited is services/people/imports.py.
"""

from __future__ import annotations

import codecs
import csv
import quopri
import re
from dataclasses import dataclass

from coordinator.errors import Invalid

SHOWN_MAX = 200  # longest typed value kept in the preview

# Header names, lowercased with everything but letters and digits dropped, best first (a few common languages too).
NAME_COLUMNS = ("name", "fullname", "displayname", "contactname", "contact", "nickname", "nombre", "nom", "naam")
FIRST_COLUMNS = ("firstname", "givenname", "first", "forename", "vorname", "prénom", "prenom")
MIDDLE_COLUMNS = ("middlename", "additionalname", "middle")
LAST_COLUMNS = ("lastname", "familyname", "last", "surname", "nachname", "apellido", "apellidos", "nomdefamille")
PHONE_COLUMNS = (
    "mobile", "mobilephone", "mobilenumber", "mobilephonenumber", "cell", "cellphone", "cellnumber", "whatsapp",
    "handy", "móvil", "movil", "celular", "portable", "mobiel", "cellulare",
    "phone", "phonenumber", "telephone", "tel", "number", "primaryphone", "phone1value", "phone2value", "phone3value",
    "telefon", "telefono", "teléfono", "téléphone", "telefoon",
)  # fmt: skip
EMAIL_COLUMNS = ("email", "emailaddress", "mail", "email1value", "email2value", "correo", "correoelectrónico", "courriel")  # fmt: skip
ROLES = {"name": NAME_COLUMNS, "first": FIRST_COLUMNS, "middle": MIDDLE_COLUMNS, "last": LAST_COLUMNS}
ROLES |= {"phone": PHONE_COLUMNS, "email": EMAIL_COLUMNS}
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


@dataclass(frozen=True)
class RawRow:
    """One line of the file as typed; `note` says what was odd about the line itself."""

    line: int
    name: str = ""
    phone: str = ""
    email: str = ""
    note: str = ""
    kind: str = "contact"  # "note": a line about the file (say, columns we didn't use)


def contacts_read(*, data: bytes, filename: str) -> list[RawRow]:
    """Every contact in a CSV or vCard file, in file order; Invalid if it isn't a text file at all."""
    text = _decode(data)
    sample = text[:4096]
    if sum(1 for ch in sample if ord(ch) < 32 and ch not in "\t\r\n") > max(3, len(sample) // 20):
        raise Invalid(
            "That doesn't look like a contact list. Export your contacts as CSV or vCard (.vcf).", field="file"
        )
    lines = re.split(r"\r\n|\r|\n", text)
    if filename.lower().endswith((".vcf", ".vcard")) or text.lstrip()[:11].upper() == "BEGIN:VCARD":
        return _vcard_rows(lines)
    return _csv_rows(lines)


def _decode(data: bytes) -> str:
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16", errors="replace")
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


def _csv_rows(lines: list[str]) -> list[RawRow]:
    delimiter, lines, offset = _delimiter(lines)
    records = [r for r in _records(lines, delimiter) if any(r[1])]
    if not records:
        return []
    header = records[0][1]
    columns = _columns(header)
    named = bool(columns["phone"] or columns["email"])
    texts = not any(_has_contact(cell) for cell in header) and any(_has_contact(f) for r in records[1:20] for f in r[1])
    note = ""
    if named:
        used = {i for indexes in columns.values() for i in indexes}
        ignored = [shown(cell) or f"column {i + 1}" for i, cell in enumerate(header) if i not in used]
        note = "Columns not used: " + ", ".join(ignored) + "." if ignored else ""
    elif texts or any(columns.values()):  # a header we can't map: read each line by what it holds
        note = f"No phone or email column in ({', '.join(map(shown, header))}); each line was read by its contents."
    rows = [RawRow(line=records[0][0] + offset, kind="note", note=note)] if note else []
    if note or named:
        records = records[1:]
    for line, fields, note in records:
        if named and not note and len(fields) != len(header):
            note = f"This line has {len(fields)} values; the header has {len(header)}."
        values = _by_header(fields, columns) if named else _by_content(fields)
        rows.append(RawRow(line=line + offset, note=note, **values))
    return rows


def _delimiter(lines: list[str]) -> tuple[str, list[str], int]:
    """The delimiter (Excel's `sep=;` line wins, then csv.Sniffer, then comma) and the lines after it."""
    found = re.fullmatch(r"sep=(.)", lines[0].strip())
    if found:
        return found.group(1), lines[1:], 1
    try:
        delimiter = csv.Sniffer().sniff("\n".join(lines[:50]), delimiters=",;\t").delimiter
    except csv.Error:
        delimiter = ","
    if delimiter not in lines[0] and any(d in lines[0] for d in ",;\t"):
        delimiter = max(",;\t", key=lines[0].count)
    return delimiter, lines, 0


class _Lines:
    """Hands lines to csv.reader one at a time and counts them, so every record knows its line."""

    def __init__(self, lines: list[str]):
        self.lines, self.taken = lines, 0

    def __iter__(self):
        return self

    def __next__(self) -> str:
        if self.taken >= len(self.lines):
            raise StopIteration
        self.taken += 1
        return self.lines[self.taken - 1] + "\n"


def _records(lines: list[str], delimiter: str):
    """(line, fields, note) per record; a stray quote or unreadable line is read alone, never the rest."""
    source, width = _Lines(lines), None
    reader = csv.reader(source, delimiter=delimiter, strict=True)
    while True:
        before = source.taken
        try:
            fields = next(reader)
        except StopIteration:
            return
        except csv.Error:  # strict: a quote closed mid-field, or never closed
            fields = None
        line = lines[before]
        if (
            fields is None
            or line.count('"') % 2
            and _swallowed(fields, lines[before + 1 : source.taken], delimiter, width)
        ):
            source.taken = before + 1  # read on from the next line
            reader = csv.reader(source, delimiter=delimiter, strict=True)
            plain = [part.strip().strip('"').strip() for part in line.split(delimiter)]
            stray = (
                "A quote mark on this line isn't closed" if line.count('"') % 2 else "This line has stray quote marks"
            )
            yield (
                before + 1,
                plain,
                (stray if '"' in line else "This line couldn't be read") + "; it was read as plain text.",
            )
            continue
        fields = [f.strip() for f in fields]
        width = width or (len(fields) if any(fields) else None)
        yield before + 1, fields, ""


def _swallowed(fields: list[str] | None, rest: list[str], delimiter: str, width: int | None) -> bool:
    """Whether an open quote ate the lines after it: the count is off, or a line it took is a whole row."""
    whole = (len(next(csv.reader([line], delimiter=delimiter), [])) == width for line in rest)
    return len(fields or ()) != width or (width or 0) > 1 and any(whole)


def _columns(header: list[str]) -> dict[str, list[int]]:
    """For each role, the columns that hold it, best alias first."""
    keys = [re.sub(r"[\W_]", "", cell.casefold()) for cell in header]
    return {
        role: [i for _, i in sorted((aliases.index(k), i) for i, k in enumerate(keys) if k in aliases)]
        for role, aliases in ROLES.items()
    }


def _has_contact(value: str) -> bool:
    return "@" in value or sum(ch.isdigit() for ch in value) >= 5


def _by_header(fields: list[str], columns: dict[str, list[int]]) -> dict[str, str]:
    def pick(role: str) -> str:
        return next((fields[i] for i in columns[role] if i < len(fields) and fields[i]), "")

    name = pick("name") or " ".join(p for p in (pick("first"), pick("middle"), pick("last")) if p)
    return {"name": name, "phone": pick("phone"), "email": pick("email")}


def _by_content(fields: list[str]) -> dict[str, str]:
    """No known header: the email is the value with an @, the phone the first with digits, the name the words before."""
    email = next((f for f in fields if "@" in f), "")
    phone = next((f for f in fields if f != email and _has_contact(f)), "")
    if not phone and len(fields) > 1 and fields[1] != email:
        phone = fields[1]  # shown as a bad number rather than dropped
    first = next((i for i, f in enumerate(fields) if f and f in (phone, email)), len(fields))
    name = " ".join(f for f in fields[: min(first, 3)] if f) or next((f for f in fields if f not in (phone, email)), "")
    return {"name": name, "phone": phone, "email": email}


def shown(value: str) -> str:
    """A typed value safe to store and show: control characters made visible, very long values cut."""
    visible = CONTROL.sub(lambda m: chr(0x2400 + ord(m.group())) if ord(m.group()) < 32 else "\ufffd", value or "")
    return visible if len(visible) <= SHOWN_MAX else visible[: SHOWN_MAX - 1] + "…"


def _vcard_rows(lines: list[str]) -> list[RawRow]:
    """One row per card: FN (or N), the mobile number if marked (else the preferred or first), the first email."""
    rows, card = [], None
    for number, prop, types, value in _vcard_properties(lines):
        if prop == "BEGIN" and value.strip().upper() == "VCARD":
            if card:
                rows.append(_card_row(card))  # a card with no END
            card = {"line": number, "FN": "", "N": "", "TEL": [], "EMAIL": []}
        elif card is None:
            continue
        elif prop == "END":
            rows.append(_card_row(card))
            card = None
        elif prop in ("FN", "N") and not card[prop]:
            card[prop] = value
        elif prop in ("TEL", "EMAIL"):
            card[prop].append((types, value))
    if card:
        rows.append(_card_row(card))
    return rows


def _vcard_properties(lines: list[str]):
    """(line number, property, types, value) per property, unfolded (RFC 6350 3.2) and decoded."""
    logical: list[tuple[int, list[str]]] = []  # parts joined once: a folded photo can be thousands of lines
    for number, line in enumerate(lines, 1):
        parts = logical[-1][1] if logical else []
        if parts and line[:1] in (" ", "\t"):
            parts.append(line[1:])
        elif parts and parts[-1].endswith("=") and "QUOTED-PRINTABLE" in parts[0].split(":")[0].upper():
            parts[-1] = parts[-1][:-1]  # a vCard 2.1 soft line break
            parts.append(line)
        else:
            logical.append((number, [line]))
    for number, text in ((number, "".join(parts)) for number, parts in logical):
        head, colon, value = text.partition(":")
        if not colon:
            continue
        name, *params = head.split(";")
        types, encoding, charset = set(), "", "utf-8"
        for param in params:
            key, equals, given = param.partition("=")
            key = key.strip().upper()
            if not equals:
                types.add(key.lower())  # vCard 2.1 writes bare "CELL" or "QUOTED-PRINTABLE"
            elif key == "TYPE":
                types |= {t.strip().strip('"').lower() for t in given.split(",")}
            elif key == "ENCODING":
                encoding = given.strip().upper()
            elif key == "CHARSET":
                charset = given.strip()
            elif key == "PREF":
                types.add("pref")
        if encoding == "QUOTED-PRINTABLE" or "quoted-printable" in types:
            value = _quoted_printable(value, charset)
        yield number, name.rsplit(".", 1)[-1].strip().upper(), types, value  # "item1.TEL" is TEL


def _quoted_printable(value: str, charset: str) -> str:
    raw = quopri.decodestring(value.encode("latin-1", errors="replace"))
    try:
        return raw.decode(charset, errors="replace")
    except LookupError:
        return raw.decode("utf-8", errors="replace")


def _unescape(value: str) -> str:
    return re.sub(r"\\(.)", lambda m: "\n" if m.group(1) in "nN" else m.group(1), value).strip()


def _tel_rank(types: set[str]) -> int:
    if types & {"cell", "mobile", "iphone"}:
        return 0
    if types & {"fax", "pager"}:
        return 3
    return 1 if "pref" in types else 2


def _card_row(card: dict) -> RawRow:
    name = _unescape(card["FN"])
    if not name and card["N"]:
        family, given, middle, *_ = [_unescape(p) for p in re.split(r"(?<!\\);", card["N"])] + ["", "", ""]
        name = " ".join(p for p in (given, middle, family) if p)
    tels = sorted(enumerate(card["TEL"]), key=lambda item: (_tel_rank(item[1][0]), item[0]))
    phone = re.sub(r"^tel:", "", _unescape(tels[0][1][1]), flags=re.IGNORECASE) if tels else ""
    email = _unescape(card["EMAIL"][0][1]) if card["EMAIL"] else ""
    return RawRow(line=card["line"], name=name, phone=phone, email=email)
