"""Writing an export: sheets read from the database a batch at a time, straight into a ZIP.

A `Sheet` is one CSV file: its columns, a query and how each row becomes cells.
Its rows are read with keyset pagination (`WHERE key > last ORDER BY key LIMIT n`),
one SELECT per batch, and written to the ZIP before the next batch is read, so
memory holds one batch whatever the size of the circle. Every CSV has a header
row; README.txt says what each file holds and how many rows it has.
"""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import IO, Any

from sqlalchemy import Select, func, select
from sqlalchemy.engine import Row

from coordinator.clock import now
from coordinator.extensions import db

BATCH = 500  # rows per SELECT
# Spreadsheets run a cell that starts with one of these as a formula; such text gets a leading '.
FORMULA_START = ("=", "@", "\t", "\r", "+", "-")
NUMBER_LIKE = re.compile(r"[+-]?[0-9][0-9 .()•-]*")  # a phone number (even shortened) or a negative number

Progress = Callable[[str, int, int], None]  # (file name, rows written, rows in all)


@dataclass(frozen=True)
class Sheet:
    name: str  # "claims.csv"
    about: str  # one line for README.txt
    columns: tuple[str, ...]
    query: Select  # the rows, without ORDER BY or LIMIT
    key: Any  # a unique column the query selects; rows are read in its order, after the last one seen
    cells: Callable[[Row], Sequence[Any]]  # one database row as the CSV's cells
    key_of: Callable[[Row], Any] = lambda row: row[0]  # the key's value in a row (first column by default)
    # Called with each batch before its rows are written (to look up what a batch needs in one query).
    prepare: Callable[[list[Row]], None] | None = None


def batches(sheet: Sheet, size: int | None = None) -> Iterator[list[Row]]:
    """The sheet's rows in order of its key, `size` at a time: one SELECT each, never all rows at once."""
    size = size or BATCH
    last = None
    while True:
        page = sheet.query.order_by(sheet.key).limit(size)
        if last is not None:
            page = page.where(sheet.key > last)
        rows = db.session.execute(page).all()
        if rows:
            yield rows
        if len(rows) < size:
            return
        last = sheet.key_of(rows[-1])


def cell(value: Any) -> str:
    """One value as CSV text: moments in UTC ("2025-03-04T14:05:00Z"), times as "14:05", lists joined, text made safe."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        return moment(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return value.strftime("%H:%M")
    if isinstance(value, list):
        return "; ".join(cell(item) for item in value)
    if isinstance(value, dict):
        return json.dumps(value, sort_keys=True, default=str) if value else ""
    text = str(value)
    if text.startswith(FORMULA_START) and not NUMBER_LIKE.fullmatch(text):
        return "'" + text
    return text


def moment(value: datetime | None) -> str | None:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if value else None


def plain(value: Any) -> Any:
    """A value for a JSON file: moments, dates and times as text, the rest as they are."""
    if isinstance(value, datetime):
        return moment(value)
    if isinstance(value, time):
        return value.strftime("%H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return value


class Archive:
    """One ZIP being written to `out` (a file or any writable binary stream)."""

    def __init__(self, out: IO[bytes], *, progress: Progress | None = None):
        self._zip = zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED)
        self._progress = progress
        self.contents: list[tuple[str, str, int | None]] = []  # (file, about, rows) for README.txt

    def json(self, name: str, about: str, document: dict[str, Any]) -> None:
        text = json.dumps({key: plain(value) for key, value in document.items()}, indent=2, ensure_ascii=False)
        self._zip.writestr(name, text + "\n")
        self.contents.append((name, about, None))

    def sheet(self, sheet: Sheet) -> int:
        """Write one CSV (UTF-8 with a byte-order mark, so spreadsheets read accents right); returns its rows."""
        total = self._count(sheet) if self._progress else 0
        written = 0
        with (
            self._zip.open(sheet.name, "w") as entry,
            io.TextIOWrapper(entry, encoding="utf-8-sig", newline="") as text,
        ):
            writer = csv.writer(text)
            writer.writerow(sheet.columns)
            for rows in batches(sheet):
                if sheet.prepare:
                    sheet.prepare(rows)
                writer.writerows([cell(value) for value in sheet.cells(row)] for row in rows)
                written += len(rows)
                if self._progress:
                    self._progress(sheet.name, written, total)
        if self._progress and not written:
            self._progress(sheet.name, 0, total)
        self.contents.append((sheet.name, sheet.about, written))
        return written

    def files(self, folder: str, about: str, files: Iterable[tuple[str, Path]]) -> int:
        """Copy files as they are into `folder`/ (stored, not compressed again: photos already are); returns
        how many were there to copy. A file gone from the disk is left out and counted in README.txt."""
        copied = missing = 0
        for name, path in files:
            try:
                self._zip.write(path, f"{folder}/{name}", compress_type=zipfile.ZIP_STORED)
            except FileNotFoundError:
                missing += 1
                continue
            copied += 1
        if missing:
            about += f" {missing} could not be found on the server and are not here."
        self.contents.append((f"{folder}/", about, copied))
        return copied

    def close(self, *, title: str, notes: Sequence[str] = ()) -> None:
        """Write README.txt (what each file holds) and finish the ZIP."""
        lines = [title, "=" * len(title), "", f"Made {moment(now())}.", ""]
        for name, about, rows in self.contents:
            unit = "files" if name.endswith("/") else "rows"
            lines.append(f"{name}{'' if rows is None else f' ({rows} {unit})'}")
            lines.append(f"    {about}")
        lines += ["", *notes]
        self._zip.writestr("README.txt", "\n".join(lines).rstrip() + "\n")
        self._zip.close()

    @staticmethod
    def _count(sheet: Sheet) -> int:
        return db.session.scalar(select(func.count()).select_from(sheet.query.subquery())) or 0


COMMON_NOTES = (
    "About these files:",
    "- Every .csv file starts with a header row and opens in any spreadsheet (UTF-8).",
    "- Moments are in UTC, written like 2025-03-04T14:05:00Z. A task's date and times are the",
    "  circle's own local time, as people typed them.",
    "- Yes/no columns say yes or no; lists are separated by semicolons; an empty cell means nothing is stored.",
    "- A cell that a spreadsheet would run as a formula starts with an apostrophe (') so it stays plain text.",
    "- Passwords and the secret part of every link are kept only as one-way hashes, so they are not here.",
)
