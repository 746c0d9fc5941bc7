"""Zone layers: the shipped ones, user layers dropped in as GeoJSON, clear errors."""

import json

import pytest
import shapely

from geo.errors import UnknownZoneLayerError, ValidationError
from geo.zones import get_layer, load_zone_layer, resolve_layer


def _write(tmp_path, features, name="parks.geojson"):
    path = tmp_path / name
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}), "utf-8")
    return path


def _feature(zone_id, geom, **props):
    return {
        "type": "Feature",
        "geometry": shapely.geometry.mapping(geom) if geom else None,
        "properties": {
            "zone_id": zone_id,
            "name_zh": f"园{zone_id}",
            "name_en": f"Park {zone_id}",
            **props,
        },
    }


def test_shipped_layers(shipped_layers):
    assert set(shipped_layers) == {"districts", "zones363", "value_parks", "gba_pharma_zone"}
    z363 = shipped_layers["zones363"]
    assert z363.provisional
    assert len(z363.zones) == 12
    assert set(z363.zones["category"]) == {"core", "park", "incubation_base"}
    for col in ("confidence", "basis", "geometry_quality", "source", "licence", "compiled"):
        assert z363.zones[col].notna().all(), col
    drawn = z363.zones[z363.zones["geometry_quality"] != "none"]
    assert len(z363.located) == len(drawn)


def test_user_layer_drops_in(tmp_path, city):
    path = _write(
        tmp_path, [_feature("a", shapely.box(113.3, 23.1, 113.4, 23.2)), _feature("b", None)]
    )
    layers = city.zone_layers({"parks": path})
    assert layers["parks"].name == "parks"
    assert len(layers["parks"].located) == 1


KNOWN = "known layers: districts, gba_pharma_zone, value_parks, zones363"


def test_unknown_layer_lists_the_known_ones(shipped_layers):
    with pytest.raises(UnknownZoneLayerError, match=KNOWN):
        get_layer(shipped_layers, "science_parks")


def test_layer_without_required_columns_is_refused(tmp_path):
    bad = _write(tmp_path, [{"type": "Feature", "geometry": None, "properties": {"id": 1}}])
    with pytest.raises(ValidationError, match="missing column 'zone_id'"):
        load_zone_layer(bad)


def test_duplicate_zone_ids_are_refused(tmp_path):
    box = shapely.box(113.3, 23.1, 113.4, 23.2)
    bad = _write(tmp_path, [_feature("a", box), _feature("a", box)])
    with pytest.raises(ValidationError, match="duplicate zone_id 'a'"):
        load_zone_layer(bad)


_BOX = shapely.box(113.3, 23.1, 113.4, 23.2)


@pytest.mark.parametrize(
    ("geom", "says"),
    [
        (shapely.Point(113.3, 23.1), "row 'b': Point, not Polygon or MultiPolygon"),
        (shapely.LineString([(113.3, 23.1), (113.4, 23.2)]), "row 'b': LineString, not Polygon"),
        (shapely.box(0, 0, 1e308, 1e308), "row 'b': coordinates outside lon -180..180"),
        (shapely.box(113.3, 89.0, 113.4, 95.0), "row 'b': coordinates outside lon -180..180"),
        (shapely.box(400_000, 2_500_000, 410_000, 2_510_000), "EPSG:4326"),  # metres, not degrees
    ],
)
def test_layer_must_be_polygons_in_wgs84_range(tmp_path, geom, says):
    bad = _write(tmp_path, [_feature("a", _BOX), _feature("b", geom)])
    with pytest.raises(ValidationError, match="not a usable polygon layer") as info:
        load_zone_layer(bad)
    assert says in str(info.value)
    assert str(bad) in str(info.value)
    assert "\n" not in str(info.value)  # one problem, one line


def test_every_non_polygon_row_is_named_in_one_line(tmp_path):
    points = [_feature(z, shapely.Point(113.3, 23.1)) for z in "bcdefg"]
    bad = _write(tmp_path, [_feature("a", _BOX), *points])
    with pytest.raises(ValidationError) as info:
        load_zone_layer(bad)
    assert info.value.problems == [
        "rows 'b', 'c', 'd', 'e', 'f' and 1 more: Point, not Polygon or MultiPolygon; a zone "
        "layer needs the zones' areas, not points or lines"
    ]


def test_resolve_layer_takes_a_name_or_a_file(tmp_path, shipped_layers):
    assert resolve_layer(shipped_layers, "zones363") is shipped_layers["zones363"]
    path = _write(tmp_path, [_feature("a", shapely.box(113.3, 23.1, 113.4, 23.2))])
    layer = resolve_layer(shipped_layers, str(path))
    assert layer.name == "parks"
    assert layer.area_km2.iloc[0] > 100  # about 10 km x 11 km, measured in metres
    with pytest.raises(UnknownZoneLayerError, match=KNOWN):
        resolve_layer(shipped_layers, "nope")
