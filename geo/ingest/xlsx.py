"""Reading an XLSX sheet for ingest: formula cells give their saved values, and those without one
are named, so they are never read as blank.

A spreadsheet program saves each formula with its last computed value; pandas (openpyxl's
``data_only`` mode) reads that value. A file written by a script (openpyxl, pandas) holds formulas
without values, which would read as empty cells: a formula ``lon`` silently geocoded instead, a
formula name rejected as "no name". :func:`read_xlsx` lists those cells in the frame's
``attrs[UNCACHED]`` so that ingest rejects their rows and says what to do. Whether a value was saved
is read from the sheet's XML (a ``<v>`` beside the ``<f>``), because openpyxl reads a formula
with no value and one whose saved value is empty text both as ``None``.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO
from xml.etree import ElementTree as ET

import pandas as pd
from openpyxl.utils.cell import column_index_from_string, get_column_letter

from geo.errors import DataFileError

#: ``frame.attrs`` key: ``{(data row index, header): cell reference}`` of formulas with no value.
UNCACHED = "formulas_without_values"
FIX = "open the file in a spreadsheet program, save it, and ingest again"

_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_CELL_REF = re.compile(r"^([A-Z]+)(\d+)$")
_TEXT_TYPES = ("str", "inlineStr", "s")


def read_xlsx(path: Path, sheet: str | int | None) -> pd.DataFrame:
    """The sheet's rows as strings (header in row 1), formula cells as their saved values.

    Raises
    ------
    geo.errors.DataFileError
        If the sheet does not exist, or a header cell is a formula with no saved value.
    """
    with pd.ExcelFile(path, engine="openpyxl") as book:
        names = book.sheet_names
    if sheet is not None and not isinstance(sheet, int) and sheet not in names:
        raise DataFileError(f"{path.name} has no sheet {sheet!r}; sheets: {names}")
    df = pd.read_excel(
        path, sheet_name=sheet if sheet is not None else 0, dtype=str, engine="openpyxl"
    )
    index = sheet if isinstance(sheet, int) else names.index(sheet) if sheet is not None else 0
    cells = uncached_formulas(path, index)
    header = [f"{get_column_letter(c)}{r}" for r, c in cells if r == 1]
    if header:
        raise DataFileError(
            f"{path.name}: header cell(s) {', '.join(header)} are formulas with no saved value; "
            + FIX
        )
    last = max((r for r, _ in cells), default=0) - 1  # rows holding only such cells read as none
    if last > len(df):
        df = df.reindex(range(last))
    df = df.fillna("")
    df.attrs[UNCACHED] = {
        (r - 2, df.columns[c - 1]): f"{get_column_letter(c)}{r}"
        for r, c in cells
        if c <= len(df.columns)
    }
    return df


def uncached_formulas(path: Path, sheet_index: int) -> list[tuple[int, int]]:
    """(row, column), 1-based, of every formula cell of the sheet that has no saved value."""
    with zipfile.ZipFile(path) as book, book.open(_sheet_part(book, sheet_index)) as xml:
        return list(_scan(xml))


def _sheet_part(book: zipfile.ZipFile, index: int) -> str:
    """The zip member of the ``index``-th sheet (workbook order, as pandas lists them)."""
    workbook = _target(book, "_rels/.rels", lambda r: r.get("Type", "").endswith("/officeDocument"))
    sheets = ET.fromstring(book.read(workbook)).find(f"{_MAIN}sheets")
    rel_id = list(sheets if sheets is not None else [])[index].get(f"{_REL}id")
    folder, name = posixpath.split(workbook)
    return _target(book, f"{folder}/_rels/{name}.rels", lambda r: r.get("Id") == rel_id, folder)


def _target(
    book: zipfile.ZipFile, rels: str, wanted: Callable[[ET.Element], bool], folder: str = ""
) -> str:
    """The zip member that the first relationship in ``rels`` matching ``wanted`` points to."""
    found = ET.fromstring(book.read(rels.lstrip("/"))).iter(f"{_PKG_REL}Relationship")
    target = next(r.get("Target", "") for r in found if wanted(r))
    if target.startswith("/"):
        return target.lstrip("/")
    return posixpath.normpath(posixpath.join(folder, target))


def _scan(xml: IO[bytes]) -> Iterator[tuple[int, int]]:
    row = col = 0
    for event, el in ET.iterparse(xml, events=("start", "end")):
        if el.tag == f"{_MAIN}row":
            if event == "start":
                row, col = int(el.get("r") or row + 1), 0
            else:
                el.clear()
        elif el.tag == f"{_MAIN}c" and event == "end":
            ref = _CELL_REF.match(el.get("r") or "")
            col = column_index_from_string(ref[1]) if ref else col + 1
            if el.find(f"{_MAIN}f") is not None and not _has_value(el):
                yield (int(ref[2]) if ref else row), col


def _has_value(cell: ET.Element) -> bool:
    """A saved value: ``<v>`` with text, or empty text saved as a text result."""
    value = cell.find(f"{_MAIN}v")
    if value is None:
        return False
    return bool(value.text) or cell.get("t") in _TEXT_TYPES
