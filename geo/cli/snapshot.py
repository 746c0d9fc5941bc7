"""Static map commands: ``biomap snapshot -o FILE`` and ``biomap figures OUTDIR``."""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from geo.cli import app
from geo.cli._common import EXIT_CODES_HELP, handle_errors
from geo.cli._options import (
    CityOpt,
    Lang,
    LangOpt,
    LayerOpt,
    StoreOpt,
    checked_zones,
    city_of,
    filter_options,
    layers_of,
    platforms_of,
    with_layer,
)

if TYPE_CHECKING:
    from geo.filters import PlatformFilter

_EPILOG = (
    EXIT_CODES_HELP + " An unknown layer, filter value, page, format or metric exits 2; a "
    "missing CJK font or registry exits 3 with the fix."
)


class Page(StrEnum):
    """Page presets."""

    a4_landscape = "a4-landscape"
    a4_portrait = "a4-portrait"
    slide_16x9 = "slide-16x9"


PageOpt = Annotated[Page, typer.Option(help="Page preset.")]


def _usage(func: Callable[[], Any]) -> Any:
    """Run ``func``; turn bad options into a usage error (exit 2)."""
    from geo.errors import SnapshotError, UnknownZoneLayerError
    from geo.filters import FilterError

    try:
        return func()
    except (SnapshotError, FilterError, UnknownZoneLayerError) as exc:
        raise typer.BadParameter(str(exc)) from exc


def _format_of(output: Path, fmt: str | None) -> str:
    if fmt:
        return fmt.lower()
    suffix = output.suffix.lower().lstrip(".")
    if suffix not in ("png", "svg", "pdf"):
        raise typer.BadParameter(
            f"cannot tell the format from {output.name!r}; end it in .png, .svg or .pdf "
            "or pass --format"
        )
    return suffix


@app.command(epilog=_EPILOG)
@handle_errors
@filter_options
def snapshot(
    output: Annotated[Path, typer.Option("--output", "-o", help="File to write (.png/.svg/.pdf).")],
    city: CityOpt = None,
    store: StoreOpt = None,
    layer: LayerOpt = "districts",
    metric: Annotated[
        str,
        typer.Option(help="count, share, per_km2, per_100k, lq_area or lq_population."),
    ] = "count",
    lang: LangOpt = Lang.zh,
    page: PageOpt = Page.a4_landscape,
    dpi: Annotated[int, typer.Option(help="PNG resolution: 150 screen, 300 print.")] = 150,
    fmt: Annotated[
        str | None, typer.Option("--format", "-f", help="png, svg or pdf (default: from -o).")
    ] = None,
    title: Annotated[str | None, typer.Option(help="Replace the default title.")] = None,
    points_by: Annotated[
        str, typer.Option(help="Colour dots by type, level, sub_kind or supporting_unit.")
    ] = "type",
    overlay: Annotated[
        str | None,
        typer.Option(help="Layer drawn on top as outlines, e.g. zones363, or a GeoJSON file."),
    ] = None,
    flt: PlatformFilter | None = None,
) -> None:
    """Write one print-quality static map (title, legend, scale bar, north arrow, inset).

    Example: biomap snapshot --type basic_condition --lang en --dpi 300 -o fig.png
    """
    from geo._io import check_output_file, write_atomic
    from geo.snapshot import render_snapshot

    kind = _format_of(output, fmt)
    check_output_file(output)
    the_city = city_of(city)
    layers = layers_of(the_city)
    layer_name = with_layer(the_city, layer, layers)
    overlay_name = with_layer(the_city, overlay, layers) if overlay else None
    checked_zones(flt, layers)
    platforms = platforms_of(store)
    data = _usage(
        lambda: render_snapshot(
            platforms, layers, city=the_city, layer=layer_name, metric=metric, filter=flt,
            lang=lang.value, page=page.value, dpi=dpi, fmt=kind, title=title,
            points_by=points_by, overlay=overlay_name,
        )
    )  # fmt: skip
    write_atomic(output, data)
    typer.echo(f"wrote {output} ({len(data):,} bytes, {kind}, {page.value})")


@app.command(epilog=_EPILOG)
@handle_errors
def figures(
    outdir: Annotated[Path, typer.Argument(help="Folder to write the figures into.")],
    city: CityOpt = None,
    store: StoreOpt = None,
    lang: Annotated[
        list[Lang] | None, typer.Option(help="Language(s); default both zh and en.")
    ] = None,
    fmt: Annotated[
        list[str] | None,
        typer.Option(
            "--format",
            "-f",
            help="png, svg, pdf, html (repeatable). Default: png, svg and html.",
        ),
    ] = None,
    page: PageOpt = Page.a4_landscape,
    dpi: Annotated[int, typer.Option(help="PNG resolution (300 for print).")] = 300,
    quiet: Annotated[bool, typer.Option("--quiet", help="No progress bar.")] = False,
) -> None:
    """Write the city's figures (Guangzhou: the study's Figures 1-4: by level; basic
    condition; public and professional technology; transformation and industrialization
    clusters with the "363 layout") in both languages, plus an index.html that links them.
    """
    from tqdm import tqdm

    from geo._io import check_output_dir
    from geo.snapshot import write_figures

    check_output_dir(outdir)  # before the progress bar, so a refusal is one clean line
    formats = tuple(fmt) if fmt else ("png", "svg", "html")
    langs = tuple(x.value for x in lang) if lang else ("zh", "en")
    the_city = city_of(city)
    platforms = platforms_of(store)
    layers = layers_of(the_city)
    bar = tqdm(total=None, unit="file", disable=quiet, desc="figures", leave=False)

    def progress(done: int, total: int, path: Path) -> None:
        bar.total = total
        bar.set_postfix_str(path.name)
        bar.update(done - bar.n)

    try:
        paths = _usage(
            lambda: write_figures(
                outdir, platforms, layers, city=the_city, langs=langs, formats=formats,
                progress=progress, page=page.value, dpi=dpi,
            )
        )  # fmt: skip
    finally:
        bar.close()
    for path in paths:
        typer.echo(str(path))
    typer.echo(f"wrote {len(paths)} files to {outdir}")
