"""Print-quality static maps (PNG, SVG, PDF) for briefings, drawn with matplotlib + geopandas.

A snapshot shows one zone layer as a classed choropleth (any density-table metric), the
platforms matching a :class:`~geo.filters.PlatformFilter` as dots coloured by category, and the
furniture planners expect from a print layout: title and subtitle (with the data date), legend
with the class breaks and category counts, a scale bar measured in the city's projected CRS
(``City.metric_crs``, metres), a north arrow pointing to true north, an inset of the units the
city profile names (Guangzhou: the four central districts), unit labels that do not collide,
and a source line. A provisional layer (the "363 layout") is drawn dashed as approximate, and
its zones without a geometry are listed in a note.

Output is deterministic: the same inputs give byte-identical PNG, SVG and PDF files (no dates,
no software version, a fixed SVG hash salt). SVG text is written as paths so it pastes into
Word or PowerPoint without the font. Chinese text uses a CJK font registered explicitly from
its file (:mod:`geo.snapshot._fonts`).

No browser is needed. matplotlib is not thread-safe, so rendering is serialised by a lock.
"""

from __future__ import annotations

import io
import threading
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd

from geo.errors import SnapshotError
from geo.filters import PlatformFilter
from geo.snapshot._build import POINT_CATEGORIES, Built, Options, build
from geo.snapshot._fonts import register_cjk_font
from geo.snapshot._layers import ZONE363_COLOUR
from geo.snapshot._layout import PAGES, Page
from geo.snapshot._text import data_date
from geo.vocab import METRICS
from geo.zones import ZoneLayer, get_layer

if TYPE_CHECKING:
    from geo.cities import City

__all__ = [
    "FORMATS",
    "PAGES",
    "POINT_CATEGORIES",
    "Snapshot",
    "render_snapshot",
    "save_snapshot",
    "snapshot_figure",
    "write_figures",
]

FORMATS: tuple[str, ...] = ("png", "svg", "pdf")
_METADATA = {
    "png": {"Software": None},
    "svg": {"Date": None, "Creator": None},
    "pdf": {"CreationDate": None, "ModDate": None, "Creator": None, "Producer": None},
}
_SVG_SALT = "biomap"
_LOCK = threading.RLock()


@dataclass
class Snapshot(Built):
    """A laid-out static map, before saving: the figure and what was drawn on it."""

    page: Page
    font_family: str


@contextmanager
def _mpl_context(family: str) -> Iterator[None]:
    """matplotlib settings of every snapshot, held under a lock (pyplot state is global)."""
    import matplotlib

    rc: dict[str, Any] = {
        "font.family": [family],
        "font.size": 8,
        "svg.fonttype": "path",
        "svg.hashsalt": _SVG_SALT,
        "pdf.fonttype": 42,
        "hatch.linewidth": 0.5,
        "hatch.color": ZONE363_COLOUR,
    }
    with _LOCK, matplotlib.rc_context(rc), warnings.catch_warnings():  # type: ignore[arg-type]
        # mapclassify's Fisher-Jenks falls back to pure Python without numba, which is fast
        # enough for zone layers (tens of zones); the fallback is not a problem to report.
        warnings.filterwarnings("ignore", message="Numba not installed", category=UserWarning)
        yield


def _check_options(
    layers: dict[str, ZoneLayer], *, layer: str, metric: str, lang: str, page: str, points_by: str
) -> None:
    problems = []
    if metric not in METRICS:
        problems.append(f"unknown metric {metric!r}; use one of {', '.join(METRICS)}")
    if lang not in ("zh", "en"):
        problems.append(f"unknown language {lang!r}; use zh or en")
    if page not in PAGES:
        problems.append(f"unknown page {page!r}; use one of {', '.join(PAGES)}")
    if points_by not in POINT_CATEGORIES:
        known = ", ".join(POINT_CATEGORIES)
        problems.append(f"unknown points_by {points_by!r}; use one of {known}")
    if "districts" not in layers:
        problems.append("the layers must include 'districts' (the base map)")
    if problems:
        raise SnapshotError("; ".join(problems))
    get_layer(layers, layer)


def snapshot_figure(
    platforms: gpd.GeoDataFrame,
    layers: dict[str, ZoneLayer],
    *,
    city: City,
    layer: str = "districts",
    metric: str = "count",
    filter: PlatformFilter | None = None,
    lang: str = "zh",
    page: str = "a4-landscape",
    title: str | None = None,
    points_by: str = "type",
    overlay: str | None = None,
) -> Snapshot:
    """Lay out a static map and return it unsaved (options as for :func:`render_snapshot`).

    Use this to inspect what was drawn (title, legends, labels, scale bar); write it with
    :func:`save_snapshot`.
    """
    _check_options(layers, layer=layer, metric=metric, lang=lang, page=page, points_by=points_by)
    if overlay is not None:
        get_layer(layers, overlay)
    family = register_cjk_font()
    opt = Options(
        layer,
        metric,
        filter or PlatformFilter(),
        lang,
        PAGES[page],
        title,
        points_by,
        overlay,
        city,
        dict(layers),
    )
    with _mpl_context(family):
        b = build(platforms, layers, opt)
    drawn = {f.name: getattr(b, f.name) for f in fields(Built)}
    return Snapshot(**drawn, page=opt.page, font_family=family)


def save_snapshot(snap: Snapshot, *, fmt: str = "png", dpi: int = 150) -> bytes:
    """Encode a laid-out snapshot as PNG, SVG or PDF bytes (deterministic metadata).

    Raises
    ------
    SnapshotError
        For an unknown format or a DPI outside 36-1200.
    """
    _check_format(fmt, dpi)
    buf = io.BytesIO()
    with _mpl_context(snap.font_family):
        snap.figure.savefig(buf, format=fmt, dpi=dpi, metadata=_METADATA[fmt], facecolor="white")
    return buf.getvalue()


def _check_format(fmt: str, dpi: int) -> None:
    if fmt not in FORMATS:
        raise SnapshotError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    if not 36 <= int(dpi) <= 1200:
        raise SnapshotError(f"dpi {dpi!r} is out of range; use 36-1200 (150 screen, 300 print)")


def render_snapshot(
    platforms: gpd.GeoDataFrame,
    layers: dict[str, ZoneLayer],
    *,
    city: City,
    layer: str = "districts",
    metric: str = "count",
    filter: PlatformFilter | None = None,
    lang: str = "zh",
    page: str = "a4-landscape",
    dpi: int = 150,
    fmt: str = "png",
    title: str | None = None,
    points_by: str = "type",
    overlay: str | None = None,
) -> bytes:
    """Render a static map of a zone layer and the platforms as PNG, SVG or PDF bytes.

    Parameters
    ----------
    platforms
        Registry frame (WGS84 points), e.g. from :func:`geo.store.load_registry`.
    layers
        Zone layers by name (:meth:`geo.cities.City.zone_layers`); must include ``districts``.
    city
        The city: drawing CRS, inset units, titles and units wording come from it.
    layer
        The layer to colour by ``metric``.
    metric
        A density-table column: ``count``, ``share``, ``per_km2``, ``per_100k``, ``lq_area``,
        ``lq_population``; classed with Fisher-Jenks breaks (at most 5 classes).
    filter
        Which platforms to count and draw (all by default).
    lang
        ``zh`` (default) or ``en``.
    page
        ``a4-landscape``, ``a4-portrait`` or ``slide-16x9``.
    dpi
        Resolution of PNG output (and of hatches in PDF); 36-1200.
    fmt
        ``png``, ``svg`` (text as paths) or ``pdf``.
    title
        Overrides the default title.
    points_by
        Colour the platforms by ``type``, ``level``, ``sub_kind`` or ``supporting_unit``.
    overlay
        Another layer to draw on top as outlines, e.g. ``zones363`` (dashed when provisional).

    Returns
    -------
    bytes
        The encoded file; identical inputs give identical bytes.

    Raises
    ------
    SnapshotError
        For an unknown page, format, metric, language or ``points_by``.
    geo.errors.UnknownZoneLayerError
        For an unknown layer.
    geo.errors.FontNotFoundError
        When no CJK font is installed (the message names the fix).
    """
    _check_format(fmt, dpi)
    snap = snapshot_figure(
        platforms,
        layers,
        city=city,
        layer=layer,
        metric=metric,
        filter=filter,
        lang=lang,
        page=page,
        title=title,
        points_by=points_by,
        overlay=overlay,
    )
    return save_snapshot(snap, fmt=fmt, dpi=dpi)


def _figure_html(
    number: int, platforms: gpd.GeoDataFrame, layers: dict[str, ZoneLayer], city: City, lang: str
) -> bytes:
    from geo import maps

    m = maps.figure_map(number, platforms, layers, city=city, lang=lang)
    return maps.render_html(m, assets="inline").encode("utf-8")


def write_figures(
    outdir: Path | str,
    platforms: gpd.GeoDataFrame,
    layers: dict[str, ZoneLayer],
    *,
    city: City,
    langs: tuple[str, ...] = ("zh", "en"),
    formats: tuple[str, ...] = ("png", "svg"),
    progress: Callable[[int, int, Path], None] | None = None,
    page: str = "a4-landscape",
    dpi: int = 300,
) -> list[Path]:
    """Write the city's figure presets (``city.figures``; Guangzhou: the study's Figures 1-4)
    in every language and format, plus ``index.html``.

    Parameters
    ----------
    outdir
        Created if missing; files are named ``figure{n}_{lang}.{fmt}``.
    platforms, layers, city
        As for :func:`render_snapshot`.
    langs
        ``zh`` and/or ``en``.
    formats
        Any of ``png``, ``svg``, ``pdf`` and ``html`` (the interactive map, :mod:`geo.maps`).
    progress
        Called as ``progress(done, total, path)`` after each file.
    page, dpi
        Page preset and PNG resolution (300 for print).

    Returns
    -------
    list of Path
        Every file written, ``index.html`` last.

    Raises
    ------
    SnapshotError
        For an unknown format or language.
    geo.errors.OutputError
        When ``outdir`` cannot be written (checked before any figure is drawn) or a write fails.
    """
    from geo._io import check_output_dir, write_atomic
    from geo.snapshot._figures import figure_filename, index_html, write_index

    formats = tuple(dict.fromkeys(formats))
    _check_figure_options(langs, formats, dpi)
    out = Path(outdir)
    check_output_dir(out)  # before any figure is drawn; write_atomic makes the folder
    figures = city.figures
    total = len(figures) * len(langs) * len(formats) + 1
    written: list[Path] = []

    def _done(path: Path) -> None:
        written.append(path)
        if progress:
            progress(len(written), total, path)

    for spec in figures:
        for lang in langs:
            static = [f for f in formats if f in FORMATS]
            snap = None
            if static:
                snap = snapshot_figure(
                    platforms,
                    layers,
                    city=city,
                    layer=spec.layer,
                    metric=spec.metric,
                    filter=PlatformFilter(**{k: tuple(v) for k, v in spec.filter.items()}),
                    lang=lang,
                    page=page,
                    title=spec.title(lang),
                    points_by=spec.points_by,
                    overlay=spec.overlay,
                )
            for fmt in formats:
                path = out / figure_filename(spec.number, lang, fmt)
                if fmt == "html":
                    data = _figure_html(spec.number, platforms, layers, city, lang)
                else:
                    assert snap is not None
                    data = save_snapshot(snap, fmt=fmt, dpi=dpi)
                write_atomic(path, data)
                _done(path)
    page_text = index_html(figures, langs, formats, city=city, data_date=data_date(platforms))
    _done(write_index(out, page_text))
    return written


def _check_figure_options(langs: tuple[str, ...], formats: tuple[str, ...], dpi: int) -> None:
    problems = [f"unknown language {x!r}; use zh or en" for x in langs if x not in ("zh", "en")]
    problems += [
        f"unknown format {f!r}; use png, svg, pdf or html"
        for f in formats
        if f not in (*FORMATS, "html")
    ]
    if not langs or not formats:
        problems.append("ask for at least one language and one format")
    if problems:
        raise SnapshotError("; ".join(problems))
    _check_format("png", dpi)
