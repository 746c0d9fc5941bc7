"""The Pearl River Delta region for the geocoder, until its profile lands.

CONTRACT (branch i11-prd): ``open_city("prd")`` is a City whose ``members`` are the nine cities.
Until ``data/cities/prd.toml`` exists this builds the same shape from the nine shipped profiles
(the ones ``data/boundaries/prd/cities.csv`` lists); afterwards it is ``open_city("prd")``.
"""

from __future__ import annotations

import csv

from geo import DATA_DIR
from geo.cities import City, open_city
from geo.cities.profile import CITIES_DIR


def prd_region() -> City:
    """The region ``prd``: its profile when shipped, else a stand-in with the nine members."""
    if (CITIES_DIR / "prd.toml").exists():
        return open_city("prd")
    with (DATA_DIR / "boundaries" / "prd" / "cities.csv").open(encoding="utf-8") as fh:
        members = tuple(open_city(row["name_en"].lower()) for row in csv.DictReader(fh))
    base = members[0].profile
    boxes = [m.bbox for m in members]
    prd = DATA_DIR / "boundaries" / "prd"
    profile = base.model_copy(
        update={
            "id": "prd",
            "name_zh": "珠江三角洲",
            "name_en": "Pearl River Delta",
            "adcode": "",
            "bbox": (
                min(b[0] for b in boxes),
                min(b[1] for b in boxes),
                max(b[2] for b in boxes),
                max(b[3] for b in boxes),
            ),
            "units": base.units.model_copy(
                update={
                    "path": prd / "units.geojson",
                    "web_path": prd / "units_web.geojson",
                    "outline": prd / "outline.geojson",
                    "management": None,
                    "facts": None,
                    "historic": {},
                }
            ),
        }
    )
    region = City(profile)
    region.members = members  # type: ignore[attr-defined]
    return region
