"""Small zone layers written for tests (WGS84 GeoJSON, one square zone inside Guangzhou)."""

from __future__ import annotations

import json
from pathlib import Path

#: A square of about 15 x 11 km over Tianhe and Haizhu, lon/lat.
SQUARE = [[113.3, 23.1], [113.45, 23.1], [113.45, 23.2], [113.3, 23.2], [113.3, 23.1]]


def one_zone_layer(path: Path, **properties: object) -> Path:
    """Write a layer of one zone (``zone_id`` Z1 and ``properties``) to ``path``."""
    feature = {
        "type": "Feature",
        "geometry": {"type": "Polygon", "coordinates": [SQUARE]},
        "properties": {"zone_id": "Z1", **properties},
    }
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [feature]}), "utf-8")
    return path
