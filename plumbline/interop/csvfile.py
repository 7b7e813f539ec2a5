"""Reading an uploaded CSV safely: bad encoding, broken quoting and empty files become clear errors, never a 500."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from typing import BinaryIO

from plumbline.core.errors import DomainError

# Cells that spreadsheets would run as formulas are written with a leading quote and read back without it.
FORMULA_START = ("=", "@", "\t", "\r")
MAX_FIELD = 100_000
# Bytes that are not UTF-8 are decoded with "surrogateescape" into U+DC80..U+DCFF (strict UTF-8 never yields these),
# so the reader can say on which line they are: a strict decoder fails a whole 8 KB block ahead of the csv reader.
_UNDECODED = re.compile("[\udc80-\udcff]")


class FileError(DomainError):
    """The file as a whole cannot be read; nothing from it is imported."""

    def __init__(self, message: str, *, line: int | None = None) -> None:
        super().__init__(message if line is None else f"Line {line}: {message}", field="file", code="bad_file")
        self.line = line


def unescape(value: str) -> str:
    return value[1:] if value.startswith("'") and value[1:2] in FORMULA_START and value[1:2] else value


def escape(value: str) -> str:
    return "'" + value if value.startswith(FORMULA_START) else value


class CsvRows:
    """The header of a CSV stream and an iterator over (line number, cells); the header is line 1."""

    def __init__(self, stream: BinaryIO) -> None:
        csv.field_size_limit(MAX_FIELD)
        text = io.TextIOWrapper(stream, encoding="utf-8-sig", errors="surrogateescape", newline="")
        self._reader = csv.reader(text, strict=True)
        self._line = 0
        header = self._next()
        if header is None:
            raise FileError("The file is empty: the first line must name the columns.")
        self.header = [h.strip() for h in header[1]]
        if any("\x00" in h for h in self.header):
            raise FileError("The first line holds a NUL character; save the file as CSV UTF-8.", line=1)
        if not any(self.header):
            raise FileError("The first line must name the columns.", line=1)
        seen = set()
        for name in self.header:
            if name and name.lower() in seen:
                raise FileError(f"Column {name!r} appears twice in the header.", line=1)
            seen.add(name.lower())

    def _next(self) -> tuple[int, list[str]] | None:
        while True:
            start = self._reader.line_num + 1
            try:
                row = next(self._reader)
            except StopIteration:
                return None
            except csv.Error as exc:
                raise FileError(f"Malformed CSV ({exc}); check for an unbalanced quote.", line=start) from None
            if _UNDECODED.search("".join(row)):
                _refuse_undecoded(start, row)
            if row and any(cell.strip() for cell in row):
                return start, row

    def __iter__(self) -> Iterator[tuple[int, list[str]]]:
        while (item := self._next()) is not None:
            yield item


def _refuse_undecoded(start: int, row: list[str]) -> None:
    """Name the physical line of the first byte that is not UTF-8 (a quoted cell may span lines)."""
    before = ""
    for cell in row:
        found = _UNDECODED.search(cell)
        if found:
            before += cell[:found.start()]
            byte = ord(found.group()) - 0xDC00
            raise FileError(f"The file is not UTF-8 text (byte 0x{byte:02x}); save it as CSV UTF-8.",
                            line=start + before.count("\n"))
        before += cell


def count_lines(path: str) -> int:
    """Physical lines in a file, for the progress bar (fast, no parsing)."""
    lines = 0
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            lines += block.count(b"\n")
    return lines

