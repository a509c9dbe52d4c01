"""Excel files written row batch by row batch, safe to open (C2, C3).

``SpreadsheetWriter`` wraps an openpyxl *write-only* workbook: rows go straight to a temporary
file, so memory does not grow with the number of rows. Its methods are synchronous and CPU-heavy;
``write_spreadsheet`` feeds it from an async source of row batches and runs every call in a
thread (``asyncio.to_thread``), never on the event loop.

What every file gets:

* a bold header row, frozen, with column widths;
* typed cells: dates are Excel dates (a number with the format ``DD-MM-YYYY``), amounts are
  numbers with ``#,##0.00``, never text;
* **formula neutralisation**: a text that Excel would read as a formula or a DDE payload — one
  starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return — is written as an explicit
  text cell (``t="inlineStr"``, never a formula) with Excel's *quote prefix* flag, the same flag
  Excel sets when a user types ``'=…``. The value itself is unchanged (a name stays the name) and
  stays text when someone edits the cell. Control characters that XML cannot hold are removed.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime as dt
import enum
import os
import tempfile
from collections.abc import AsyncIterable, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DATE_FORMAT = "DD-MM-YYYY"
MONEY_FORMAT = "#,##0.00"
# What spreadsheet programs read as the start of a formula (OWASP "CSV injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class ColumnType(enum.Enum):
    TEXT = "text"
    DATE = "date"
    MONEY = "money"
    NUMBER = "number"  # a whole number (e.g. days), written as a plain number


@dataclasses.dataclass(frozen=True)
class Column:
    header: str
    type: ColumnType = ColumnType.TEXT
    width: float = 16


def neutralise(value: str) -> str | None:
    """``value`` without control characters XML cannot hold; None when it needs the text flag."""
    cleaned = value if value.isprintable() else ILLEGAL_CHARACTERS_RE.sub("", value)
    return None if cleaned.startswith(FORMULA_STARTS) else cleaned


class SpreadsheetWriter:
    """One worksheet with a header row, written row by row (openpyxl write-only mode)."""

    def __init__(self, title: str, columns: Sequence[Column]) -> None:
        self.columns = list(columns)
        self.workbook = Workbook(write_only=True)
        self.sheet = self.workbook.create_sheet(title=title[:31] or "Blad1")
        for index, column in enumerate(self.columns):
            letter = _column_letter(index)
            self.sheet.column_dimensions[letter].width = column.width
        self.sheet.freeze_panes = "A2"
        self._bold = Font(bold=True)
        self._wrap = Alignment(vertical="top")
        self._types = [c.type for c in self.columns]
        self.rows_written = 0
        header = []
        for column in self.columns:
            cell = WriteOnlyCell(self.sheet, value=neutralise(column.header) or column.header)
            cell.font = self._bold
            header.append(cell)
        self.sheet.append(header)

    def _cell(self, value: Any, column_type: ColumnType) -> Any:
        if value is None:
            return None
        if column_type is ColumnType.DATE and isinstance(value, dt.date):
            cell = WriteOnlyCell(self.sheet, value=value)
            cell.number_format = DATE_FORMAT
            return cell
        if column_type is ColumnType.MONEY and isinstance(value, Decimal | int):
            cell = WriteOnlyCell(self.sheet, value=value)
            cell.number_format = MONEY_FORMAT
            return cell
        if column_type is ColumnType.NUMBER and isinstance(value, int):
            return value
        text = value if isinstance(value, str) else str(value)
        safe = neutralise(text)
        if safe is not None:
            return safe
        cell = WriteOnlyCell(self.sheet, value=None)
        cell.value = ILLEGAL_CHARACTERS_RE.sub("", text)
        cell.data_type = "s"  # text, even when it looks like a formula
        cell.quotePrefix = True
        return cell

    def append(self, rows: Sequence[Sequence[Any]]) -> None:
        """Write rows (values in column order: ``str``, ``date``, ``Decimal`` or None)."""
        types = self._types
        append = self.sheet.append
        cell = self._cell
        for row in rows:
            append([cell(value, types[i]) for i, value in enumerate(row)])
        self.rows_written += len(rows)

    def save(self, path: Path) -> None:
        self.workbook.save(path)


def _column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


async def write_spreadsheet(
    title: str, columns: Sequence[Column], batches: AsyncIterable[Sequence[Sequence[Any]]]
) -> Path:
    """Write every batch to a new ``.xlsx`` temporary file and return its path (the caller
    deletes it). The database is read on the event loop, the workbook written in a thread."""
    writer = await asyncio.to_thread(SpreadsheetWriter, title, columns)
    descriptor, name = tempfile.mkstemp(prefix="collectief-", suffix=".xlsx")
    os.close(descriptor)
    path = Path(name)
    writing: asyncio.Future[None] | None = None
    try:
        # The next batch is read from the database while the thread writes the previous one; at
        # most two batches are in memory.
        async for batch in batches:
            if writing is not None:
                await writing
            writing = asyncio.ensure_future(asyncio.to_thread(writer.append, batch))
        if writing is not None:
            await writing
        await asyncio.to_thread(writer.save, path)
    except BaseException:
        if writing is not None and not writing.done():
            writing.cancel()
            with contextlib.suppress(BaseException):
                await writing
        await asyncio.to_thread(path.unlink, missing_ok=True)
        raise
    return path


async def spreadsheet_bytes(
    title: str, columns: Sequence[Column], batches: AsyncIterable[Sequence[Sequence[Any]]]
) -> bytes:
    """``write_spreadsheet``, read back whole (for documents stored in the inbox)."""
    path = await write_spreadsheet(title, columns, batches)
    try:
        return await asyncio.to_thread(path.read_bytes)
    finally:
        await asyncio.to_thread(path.unlink, missing_ok=True)
