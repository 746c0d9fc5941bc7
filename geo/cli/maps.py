"""``biomap map``: write an interactive map (or one of the city's figures) as HTML."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

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


class Tiles(StrEnum):
    """Basemaps."""

    none = "none"
    osm = "osm"
    cartodb = "cartodb"
    amap = "amap"
    tianditu = "tianditu"


class Metric(StrEnum):
    """Choropleth metrics."""

    count_ = "count"  # (not `count`: that would shadow str.count)
    per_km2 = "per_km2"
    per_100k = "per_100k"


class GroupBy(StrEnum):
    """What the point colours and the layer switch follow."""

    type = "type"
    level = "level"
    sub_kind = "sub_kind"


_EPILOG = (
    EXIT_CODES_HELP + " Bad options (unknown layer, filter value, zone, figure; Tianditu "
    "without a key) exit 2. The page loads no script or stylesheet from the internet; only "
    "tiles other than --tiles none come from their provider."
)


@app.command("map", epilog=_EPILOG)
@handle_errors
@filter_options
def map_command(
    output: Annotated[Path, typer.Option("--output", "-o", help="HTML file to write.")],
    figure: Annotated[
        int | None,
        typer.Option(
            help="One of the city's figures (Guangzhou: the study's 1 levels, 2 basic "
            "condition, 3 public & professional technology, 4 transformation & clusters +363)."
        ),
    ] = None,
    city: CityOpt = None,
    store: StoreOpt = None,
    layer: LayerOpt = "districts",
    metric: Annotated[Metric | None, typer.Option(help="Choropleth metric [count].")] = None,
    lang: LangOpt = Lang.zh,
    tiles: Annotated[Tiles, typer.Option(help="Basemap; none is fully offline.")] = Tiles.none,
    tianditu_key: Annotated[
        str | None,
        typer.Option(envvar="BIOMAP_TIANDITU_KEY", help="Tianditu key (tk) for --tiles tianditu."),
    ] = None,
    group_by: Annotated[
        GroupBy, typer.Option(help="Point colours by (plain maps).")
    ] = GroupBy.type,
    cluster: Annotated[bool, typer.Option(help="Start with points clustered.")] = True,
    heat: Annotated[bool, typer.Option(help="Start with the heat layer on.")] = False,
    title: Annotated[str | None, typer.Option(help="Map title.")] = None,
    asset_url_prefix: Annotated[
        str | None,
        typer.Option(
            help="Reference scripts under this URL prefix (served by `biomap serve`) "
            "instead of inlining them; default: one standalone file."
        ),
    ] = None,
    flt: PlatformFilter | None = None,
) -> None:
    """Write an interactive map of the platforms as an HTML page that works offline.

    By default the page is standalone: Leaflet and its plugins are inlined, so it can be
    emailed or opened from a USB stick on an intranet.
    """
    from geo._io import check_output_file, write_atomic
    from geo.errors import MapOptionError, UnknownZoneLayerError
    from geo.maps import build_map, render_html

    check_output_file(output)  # before minutes of work, not after
    the_city = city_of(city)
    layers = layers_of(the_city)
    # a figure draws its own layer unless --layer names another one
    layer_name = None if figure is not None and layer == "districts" else layer
    layer_name = layer_name and with_layer(the_city, layer_name, layers)
    checked_zones(flt, layers)
    platforms = platforms_of(store)
    try:
        with typer.progressbar(length=2, label="building map", file=None) as bar:
            m = build_map(
                platforms, layers, city=the_city, layer=layer_name,
                metric=metric.value if metric else None, filter=flt, lang=lang.value,
                tiles=tiles.value, cluster=cluster, heat=heat, figure=figure, title=title,
                group_by=group_by.value, tianditu_key=tianditu_key,
            )  # fmt: skip
            bar.update(1)
            html = render_html(
                m,
                assets="url" if asset_url_prefix else "inline",
                asset_url_prefix=asset_url_prefix or "/assets/",
            )
            bar.update(1)
    except (UnknownZoneLayerError, MapOptionError) as exc:
        raise typer.BadParameter(str(exc)) from exc
    data = html.encode("utf-8")
    write_atomic(output, data)
    typer.echo(f"wrote {output} ({len(data) / 1e6:.2f} MB)")
