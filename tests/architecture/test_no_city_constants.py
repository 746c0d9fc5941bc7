"""City facts live in the city profile (data/cities/*.toml), never in the code of geo/ or api/.

The check parses every module, drops docstrings (comments never reach the AST) and searches the
remaining code for Guangzhou's constants: an adcode 4401xx, EPSG:4547, the name 广州, the city's
bbox or map centre.
"""

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("geo", "api")
FORBIDDEN = {
    "a Guangzhou adcode": re.compile(r"(?<!\d)4401\d\d(?!\d)"),
    "EPSG:4547": re.compile(r"(?<![\d.])4547(?![\d])"),
    "the name 广州": re.compile("广州"),
    "the city bbox": re.compile(r"(?<![\d.])(112\.9|114\.1)(?![\d])"),
    "the map centre": re.compile(r"(?<![\d.])(113\.45|23\.25)(?![\d])"),
}


def _code_without_docstrings(path: Path) -> str:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr):
            value = body[0].value
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                body[0] = ast.Pass()
    return ast.unparse(tree)


def _modules() -> list[Path]:
    return sorted(p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py"))


def test_the_check_finds_a_constant(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text('"""Docstrings may say 广州 and 440106."""\nX = ("440106", "EPSG:4547")\n')
    code = _code_without_docstrings(bad)
    assert FORBIDDEN["a Guangzhou adcode"].search(code)
    assert FORBIDDEN["EPSG:4547"].search(code)
    assert not FORBIDDEN["the name 广州"].search(code)


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_guangzhou_constant_in_code(path):
    code = _code_without_docstrings(path)
    found = [what for what, pattern in FORBIDDEN.items() if pattern.search(code)]
    assert not found, f"{path.relative_to(ROOT)} contains {found}: move it to the city profile"
