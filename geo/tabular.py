"""Tables written for spreadsheets: text that a spreadsheet would run as a formula is escaped.

A cell such as ``=HYPERLINK("http://evil", "click")`` in a CSV is a formula once the file is
opened in Excel, LibreOffice or WPS (CSV injection). Every CSV biomap writes goes through
:func:`to_csv`, which prefixes such text with a single quote, as OWASP recommends. Numbers stay
numbers: only text cells (and headers) are escaped, so a float ``-3.2`` is written as is.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

#: What a text cell may start with for a spreadsheet to read it as a formula (OWASP).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def escape_cell(value: Any) -> Any:
    """``value`` with a leading ``'`` if it is text a spreadsheet would run as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def escape_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` with every text cell and header escaped by :func:`escape_cell`.

    Examples
    --------
    >>> escape_formulas(pd.DataFrame({"name": ["=1+2", "ok"], "x": [-3.2, 1.0]})).to_dict("list")
    {'name': ["'=1+2", 'ok'], 'x': [-3.2, 1.0]}
    """
    out = frame.rename(columns=escape_cell)
    for i in range(out.shape[1]):
        column = out.iloc[:, i]
        if not pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column):
            out.isetitem(i, column.map(escape_cell))
    return out


def to_csv(frame: pd.DataFrame, **kwargs: Any) -> str:
    """``frame`` as CSV text (no index) with formulas escaped; ``kwargs`` go to ``to_csv``."""
    return escape_formulas(frame).to_csv(index=False, **kwargs)
