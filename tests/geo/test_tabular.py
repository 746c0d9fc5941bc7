"""geo.tabular: text a spreadsheet would run as a formula is escaped; numbers are not."""

import csv
import io

import pandas as pd
import pytest

from geo.tabular import FORMULA_PREFIXES, escape_cell, to_csv


@pytest.mark.parametrize("prefix", FORMULA_PREFIXES)
def test_text_starting_like_a_formula_gets_a_quote(prefix):
    assert escape_cell(f"{prefix}1+2") == f"'{prefix}1+2"


@pytest.mark.parametrize("value", ["广州", "a=b", " =1", "'=1", "", None, -3.2, 7])
def test_other_values_are_kept(value):
    assert escape_cell(value) == value


def test_csv_escapes_text_cells_and_headers_but_not_numbers():
    frame = pd.DataFrame(
        {
            "name": ['=HYPERLINK("http://evil.example","x")', "-1", None],
            "@head": ["ok", "ok", "ok"],
            "value": [-3.2, 1.5, float("nan")],
            "count": [-1, 2, 3],
        }
    )
    rows = list(csv.reader(io.StringIO(to_csv(frame))))
    assert rows[0] == ["name", "'@head", "value", "count"]
    assert rows[1] == ['\'=HYPERLINK("http://evil.example","x")', "ok", "-3.2", "-1"]
    assert rows[2] == ["'-1", "ok", "1.5", "2"]
    assert rows[3] == ["", "ok", "", "3"]
    assert frame.loc[0, "name"].startswith("=")  # the caller's frame is untouched
