"""``biomap map``: write an interactive map (or one of the study's Figures 1-4) as HTML."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from geo.cli import app
from geo.cli._common import EXIT_CODES_HELP, handle_errors


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


class Lang(StrEnum):
    """Label language."""

    zh = "zh"
    en = "en"


class GroupBy(StrEnum):
    """What the point colours and the layer switch follow."""

    type = "type"
    level = "level"
    sub_kind = "sub_kind"


_EPILOG = (
    EXIT_CODES_HELP + " Bad options (unknown layer, filter value, figure; Tianditu without a "
    "key) exit 2. The page loads no script or stylesheet from the internet; only tiles other "
    "than --tiles none come from their provider."
)

ListOpt = Annotated[list[str] | None, typer.Option()]


def _layers(layer: str) -> tuple[dict[str, Any], str]:
    from geo.zones import builtin_layers, load_zone_layer

    layers = builtin_layers()
    if layer.endswith((".geojson", ".json")) or Path(layer).exists():
        loaded = load_zone_layer(Path(layer))
        layers[loaded.name] = loaded
        return layers, loaded.name
    return layers, layer


@app.command("map", epilog=_EPILOG)
@handle_errors
def map_command(
    output: Annotated[Path, typer.Option("--output", "-o", help="HTML file to write.")],
    figure: Annotated[
        int | None,
        typer.Option(
            help="One of the study's figures: 1 levels, 2 basic condition, "
            "3 public & professional technology, 4 transformation & clusters (+363)."
        ),
    ] = None,
    registry: Annotated[
        Path | None, typer.Option("--registry", "-r", help="Registry GeoJSON (default: shipped).")
    ] = None,
    layer: Annotated[
        str, typer.Option(help="Choropleth zone layer: districts, zones363 or a GeoJSON file.")
    ] = "districts",
    metric: Annotated[Metric, typer.Option(help="Choropleth metric.")] = Metric.count_,
    type_: Annotated[
        list[str] | None, typer.Option("--type", help="Platform type code(s); repeatable.")
    ] = None,
    field: Annotated[list[str] | None, typer.Option(help="Field code(s).")] = None,
    level: Annotated[list[str] | None, typer.Option(help="Level code(s).")] = None,
    stage: Annotated[list[str] | None, typer.Option(help="Service-chain stage code(s).")] = None,
    district: Annotated[list[str] | None, typer.Option(help="District adcode(s).")] = None,
    lang: Annotated[Lang, typer.Option(help="Label language.")] = Lang.zh,
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
) -> None:
    """Write an interactive map of the platforms as an HTML page that works offline.

    By default the page is standalone: Leaflet and its plugins are inlined, so it can be
    emailed or opened from a USB stick on an intranet.
    """
    from geo.errors import MapOptionError, UnknownZoneLayerError
    from geo.filters import FilterError, PlatformFilter
    from geo.maps import build_map, render_html
    from geo.registry import load_registry

    try:
        flt = PlatformFilter.from_params(
            type=type_, field=field, level=level, stage=stage, district=district
        )
        layers, layer_name = _layers(layer)
        platforms = load_registry(registry)
        with typer.progressbar(length=2, label="building map", file=None) as bar:
            m = build_map(
                platforms, layers, layer=layer_name, metric=metric.value, filter=flt,
                lang=lang.value, tiles=tiles.value, cluster=cluster, heat=heat, figure=figure,
                title=title, group_by=group_by.value, tianditu_key=tianditu_key,
            )  # fmt: skip
            bar.update(1)
            html = render_html(
                m,
                assets="url" if asset_url_prefix else "inline",
                asset_url_prefix=asset_url_prefix or "/assets/",
            )
            bar.update(1)
    except (FilterError, UnknownZoneLayerError, MapOptionError) as exc:
        raise typer.BadParameter(str(exc)) from exc
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(html, encoding="utf-8")
    typer.echo(f"wrote {output} ({len(html.encode('utf-8')) / 1e6:.2f} MB)")
