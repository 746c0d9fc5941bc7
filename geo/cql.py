"""CQL2 filters (OGC API - Features Part 3) on a frame: parsed by pygeofilter, evaluated here.

:func:`parse_cql2` turns ``cql2-text`` or ``cql2-json`` into pygeofilter's syntax tree;
:func:`cql2_mask` evaluates it on a frame's columns and geometries, with CQL2's three-valued
logic: a comparison with a missing value is *unknown*, ``NOT unknown`` stays unknown, and only
rows that are *true* are kept (``established < 2015`` and ``NOT (established < 2015)`` both
leave out the platforms whose year is unknown).

Supported: ``= <> < <= > >=``, ``AND OR NOT``, ``IS [NOT] NULL``, ``[NOT] IN``, ``[NOT] LIKE``
(``%`` any characters, ``_`` one, ``\\`` escapes), ``[NOT] BETWEEN``, ``CASEI``, and the
spatial functions ``S_INTERSECTS S_DISJOINT S_WITHIN S_CONTAINS S_TOUCHES S_CROSSES S_OVERLAPS
S_EQUALS`` against a geometry literal (WKT or GeoJSON, and ``BBOX``), in lon/lat. On a list
property (``fields``) ``=``, ``IN`` and ``LIKE`` are true when any item matches; ``<>`` when
none is equal.

Examples
--------
>>> import geopandas as gpd, shapely
>>> frame = gpd.GeoDataFrame({"year": [2010, None, 2020]}, geometry=shapely.points([[0, 0]] * 3))
>>> cql2_mask(parse_cql2("year >= 2015 OR year IS NULL"), frame, {"year": "integer"}).tolist()
[False, True, True]
"""

from __future__ import annotations

import json
import operator
import re
from collections.abc import Callable, Mapping
from typing import Any, Literal

import numpy as np
import pandas as pd
import shapely
from pygeofilter import ast, values
from pygeofilter.backends.evaluator import Evaluator, handle
from pygeofilter.parsers.cql2_json import parse as _parse_json
from pygeofilter.parsers.cql2_text import parse as _parse_text

from geo.filters import FilterError

FilterLang = Literal["cql2-text", "cql2-json"]
#: Property types a filter can compare: JSON Schema types, ``date``/``date-time`` for string
#: properties with that format, and ``geometry``.
PropertyType = Literal["string", "integer", "number", "boolean", "array", "date", "date-time"]


class CQLSyntaxError(FilterError):
    """A filter is not valid CQL2 (text or JSON)."""


class UnknownPropertyError(FilterError):
    """A filter names a property that is not a queryable of the collection."""


def parse_cql2(text: str, lang: FilterLang = "cql2-text") -> ast.Node:
    """Parse a CQL2 filter.

    Raises
    ------
    CQLSyntaxError
        Saying where the text stops being CQL2.
    """
    try:
        if lang == "cql2-json":
            return _parse_json(_standard_json(json.loads(text)))
        return _parse_text(text)
    except (ValueError, TypeError, KeyError, IndexError, AttributeError) as exc:
        raise CQLSyntaxError(f"filter is not valid {lang}: {_first_line(exc)}") from None
    except Exception as exc:  # lark's errors: UnexpectedToken, UnexpectedCharacters...
        if type(exc).__module__.startswith("lark"):
            raise CQLSyntaxError(f"filter is not valid {lang}: {_first_line(exc)}") from None
        raise


def _first_line(exc: Exception) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def _standard_json(node: Any) -> Any:
    """CQL2-JSON as the standard writes it, in the forms pygeofilter 0.4 reads.

    ``{"bbox": [...]}`` becomes a GeoJSON polygon (pygeofilter swaps its axes) and
    ``between`` with three arguments gets its bounds as a pair.
    """
    if isinstance(node, list):
        return [_standard_json(n) for n in node]
    if not isinstance(node, dict):
        return node
    if set(node) == {"bbox"}:
        box = node["bbox"]
        x0, y0, x1, y1 = (box[0], box[1], box[3], box[4]) if len(box) == 6 else box
        return shapely.geometry.mapping(shapely.box(x0, y0, x1, y1))
    out = {k: _standard_json(v) for k, v in node.items()}
    args = out.get("args")
    if out.get("op") == "between" and isinstance(args, list) and len(args) == 3:
        out["args"] = [args[0], args[1:]]
    return out


def cql2_mask(
    expr: ast.Node,
    frame: pd.DataFrame,
    types: Mapping[str, str],
    *,
    geometry: str = "geometry",
) -> np.ndarray:
    """Boolean array: which rows of ``frame`` the filter ``expr`` keeps.

    Parameters
    ----------
    expr
        A syntax tree from :func:`parse_cql2`.
    frame
        The features' properties, one row per feature, and the ``geometry`` column.
    types
        The queryables: property name -> :data:`PropertyType` (anything else is rejected).
    geometry
        The name of the primary geometry, as a filter spells it.

    Raises
    ------
    UnknownPropertyError
        For a property that ``types`` does not list (naming it and the queryables).
    FilterError
        For a comparison that does not fit the property's type, or an unsupported operator.
    """
    result = _MaskEvaluator(frame, dict(types), geometry).evaluate(expr)
    if isinstance(result, bool):  # INCLUDE / EXCLUDE, or a filter without a property
        return np.full(len(frame), result)
    if not isinstance(result, pd.arrays.BooleanArray):
        raise FilterError("filter must be a condition (a comparison or a spatial function)")
    return result.fillna(False).to_numpy(dtype=bool)


class _Column:
    """A property's values in the frame, with its queryable type."""

    def __init__(self, name: str, kind: str, series: pd.Series) -> None:
        self.name, self.kind, self.series = name, kind, series


class _Geometries:
    def __init__(self, values: np.ndarray) -> None:
        self.values = values


_COMPARE: dict[str, Callable[[Any, Any], Any]] = {
    "=": operator.eq,
    "<>": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
_MIRROR = {"=": "=", "<>": "<>", "<": ">", "<=": ">=", ">": "<", ">=": "<="}
_SPATIAL = {
    "INTERSECTS": shapely.intersects,
    "DISJOINT": shapely.disjoint,
    "CONTAINS": shapely.contains,
    "WITHIN": shapely.within,
    "TOUCHES": shapely.touches,
    "CROSSES": shapely.crosses,
    "OVERLAPS": shapely.overlaps,
    "EQUALS": shapely.equals,
}


class _MaskEvaluator(Evaluator):
    """Evaluates pygeofilter's tree to nullable boolean arrays (Kleene logic)."""

    def __init__(self, frame: pd.DataFrame, types: dict[str, str], geometry: str) -> None:
        self.frame, self.types, self.geometry = frame, types, geometry

    def adopt(self, node: Any, *sub_args: Any) -> Any:
        name = type(node).__name__
        raise FilterError(f"this server does not support {name} in a filter; see the API docs")

    # -- operands ------------------------------------------------------------------------------

    @handle(ast.Attribute)
    def attribute(self, node: ast.Attribute) -> _Column | _Geometries:
        if node.name == self.geometry:
            return _Geometries(np.asarray(self.frame.geometry.values))
        if node.name not in self.types:
            known = ", ".join(sorted(self.types))
            raise UnknownPropertyError(
                f"unknown property {node.name!r} in filter; queryables: {known} "
                f"and {self.geometry} (see /collections/{{id}}/queryables)"
            )
        return _Column(node.name, self.types[node.name], self.frame[node.name])

    @handle(*values.LITERALS)
    def literal(self, node: Any) -> Any:
        return node

    @handle(values.Geometry)
    def geometry_literal(self, node: values.Geometry) -> Any:
        return shapely.geometry.shape(node.geometry)

    @handle(values.Envelope)
    def envelope(self, node: values.Envelope) -> Any:
        return shapely.box(node.x1, node.y1, node.x2, node.y2)

    @handle(ast.Function)
    def function(self, node: ast.Function, *args: Any) -> Any:
        if node.name == "lower" and len(args) == 1:  # CASEI
            (arg,) = args
            if isinstance(arg, _Column) and arg.kind == "string":
                return _Column(arg.name, "string", arg.series.str.lower())
            if isinstance(arg, str):
                return arg.lower()
            raise FilterError("CASEI takes a string property or a string")
        if node.name == "bbox" and len(args) in (4, 6):  # BBOX(x0, y0, x1, y1) in cql2-text
            x0, y0, x1, y1 = (args[0], args[1], args[3], args[4]) if len(args) == 6 else args
            return shapely.box(x0, y0, x1, y1)
        raise FilterError(f"unknown function {node.name!r} in filter (CASEI and BBOX are known)")

    # -- logic ---------------------------------------------------------------------------------

    @handle(ast.And, ast.Or)
    def combination(self, node: Any, lhs: Any, rhs: Any) -> pd.arrays.BooleanArray:
        a, b = self._condition(lhs), self._condition(rhs)
        return a & b if isinstance(node, ast.And) else a | b

    @handle(ast.Not)
    def not_(self, node: ast.Not, sub: Any) -> pd.arrays.BooleanArray:
        return ~self._condition(sub)

    @handle(ast.Include)
    def include(self, node: ast.Include) -> bool:
        return not node.not_

    def _condition(self, value: Any) -> pd.arrays.BooleanArray:
        if isinstance(value, bool):
            return pd.array(np.full(len(self.frame), value), dtype="boolean")
        if not isinstance(value, pd.arrays.BooleanArray):
            raise FilterError("AND, OR and NOT combine conditions, not values")
        return value

    # -- predicates ----------------------------------------------------------------------------

    @handle(ast.Comparison, subclasses=True)
    def comparison(self, node: Any, lhs: Any, rhs: Any) -> pd.arrays.BooleanArray:
        op = node.op.value
        if not isinstance(lhs, _Column) and isinstance(rhs, _Column):
            lhs, rhs, op = rhs, lhs, _MIRROR[op]
        column = self._column(lhs, f"{op} comparison")
        if isinstance(rhs, _Column):
            raise FilterError("comparing two properties is not supported; compare with a value")
        if column.kind == "array":
            if op not in ("=", "<>"):
                raise FilterError(f"{column.name} is a list: use =, <>, IN or LIKE on it")
            any_equal = self._each_item(column, lambda item: item == rhs)
            return any_equal if op == "=" else ~any_equal
        value = self._value(column, rhs)
        return self._elementwise(column, lambda s: _COMPARE[op](s, value))

    @handle(ast.Between)
    def between(self, node: ast.Between, lhs: Any, low: Any, high: Any) -> pd.arrays.BooleanArray:
        column = self._column(lhs, "BETWEEN")
        if column.kind in ("array", "boolean", "string"):
            raise FilterError(f"BETWEEN needs a number or date property; {column.name} is not")
        lo, hi = self._value(column, low), self._value(column, high)
        out = self._elementwise(column, lambda s: (s >= lo) & (s <= hi))
        return ~out if node.not_ else out

    @handle(ast.In)
    def in_(self, node: ast.In, lhs: Any, *options: Any) -> pd.arrays.BooleanArray:
        column = self._column(lhs, "IN")
        if column.kind == "array":
            wanted = set(options)
            out = self._each_item(column, lambda item: item in wanted)
        else:
            allowed = [self._value(column, o) for o in options]
            out = self._elementwise(column, lambda s: s.isin(allowed))
        return ~out if node.not_ else out

    @handle(ast.Like)
    def like(self, node: ast.Like, lhs: Any) -> pd.arrays.BooleanArray:
        column = self._column(lhs, "LIKE")
        if column.kind not in ("string", "array"):
            raise FilterError(f"LIKE needs a string property; {column.name} is {column.kind}")
        regex = _like_regex(str(node.pattern))
        if column.kind == "array":
            out = self._each_item(column, lambda item: bool(regex.fullmatch(str(item))))
        else:
            out = self._elementwise(
                column, lambda s: s.astype(str).map(lambda v: bool(regex.fullmatch(v)))
            )
        return ~out if node.not_ else out

    @handle(ast.IsNull)
    def is_null(self, node: ast.IsNull, lhs: Any) -> pd.arrays.BooleanArray:
        column = self._column(lhs, "IS NULL")
        missing = column.series.isna().to_numpy(dtype=bool)
        return pd.array(~missing if node.not_ else missing, dtype="boolean")

    @handle(ast.SpatialComparisonPredicate, subclasses=True)
    def spatial(self, node: Any, lhs: Any, rhs: Any) -> pd.arrays.BooleanArray:
        if isinstance(rhs, _Geometries):
            lhs, rhs = rhs, lhs
            if node.op.name in ("WITHIN", "CONTAINS"):
                raise FilterError("put the geometry property first in S_WITHIN and S_CONTAINS")
        if not isinstance(lhs, _Geometries) or not isinstance(rhs, shapely.Geometry):
            raise FilterError(
                f"S_{node.op.name} compares the {self.geometry} property with a geometry "
                f"literal, e.g. S_INTERSECTS({self.geometry}, POINT(113.3 23.1))"
            )
        missing = shapely.is_missing(lhs.values)
        hits = np.zeros(len(lhs.values), dtype=bool)
        hits[~missing] = _SPATIAL[node.op.name](lhs.values[~missing], rhs)
        out = pd.array(hits, dtype="boolean")
        out[missing] = pd.NA
        return out

    # -- helpers -------------------------------------------------------------------------------

    def _column(self, value: Any, what: str) -> _Column:
        if not isinstance(value, _Column):
            raise FilterError(f"{what} needs a property on one side (a queryable's name)")
        return value

    def _value(self, column: _Column, value: Any) -> Any:
        """``value`` as the column compares it, or a FilterError naming the mismatch."""
        kind = column.kind
        ok = {
            "integer": isinstance(value, (int, float)) and not isinstance(value, bool),
            "number": isinstance(value, (int, float)) and not isinstance(value, bool),
            "boolean": isinstance(value, bool),
            "string": isinstance(value, str),
        }.get(kind)
        if kind in ("date", "date-time"):
            try:
                return pd.Timestamp(value).tz_localize(None)
            except (TypeError, ValueError):
                ok = False
        if not ok:
            example = {"integer": "2015", "number": "2.5", "boolean": "true", "string": "'x'"}
            hint = example.get(kind, "DATE('2020-01-01')")
            raise FilterError(
                f"{column.name} is {kind}: compare it with a value like {hint}, not {value!r}"
            )
        return value

    def _elementwise(self, column: _Column, test: Callable[[pd.Series], Any]) -> Any:
        series = column.series
        if column.kind in ("date", "date-time"):
            series = pd.to_datetime(series, errors="coerce")
        missing = series.isna().to_numpy(dtype=bool)
        hits = np.zeros(len(series), dtype=bool)
        if (~missing).any():
            hits[~missing] = np.asarray(test(series[~missing]), dtype=bool)
        out = pd.array(hits, dtype="boolean")
        out[missing] = pd.NA
        return out

    def _each_item(self, column: _Column, test: Callable[[Any], bool]) -> Any:
        hits = [None if _missing(v) else any(test(i) for i in v) for v in column.series]
        return pd.array(hits, dtype="boolean")


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and np.isnan(value))


def _like_regex(pattern: str) -> re.Pattern[str]:
    """CQL2 LIKE: ``%`` any characters, ``_`` one, ``\\`` escapes the next character."""
    out, chars = [], iter(pattern)
    for c in chars:
        if c == "\\":
            out.append(re.escape(next(chars, "\\")))
        elif c == "%":
            out.append(".*")
        elif c == "_":
            out.append(".")
        else:
            out.append(re.escape(c))
    return re.compile("".join(out), re.DOTALL)


__all__ = [
    "CQLSyntaxError",
    "FilterLang",
    "PropertyType",
    "UnknownPropertyError",
    "cql2_mask",
    "parse_cql2",
]
