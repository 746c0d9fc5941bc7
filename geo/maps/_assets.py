"""Local copies of the JavaScript and CSS that biomap's maps load, so pages work offline.

Leaflet comes from the PyPI package ``xstatic-leaflet``; the Leaflet plugins that have no XStatic
package (Supercluster, Leaflet.heat, leaflet.fullscreen, Leaflet-MiniMap) come from the npm
registry, pinned in ``geo/maps/_static/package-lock.json`` and installed by ``scripts/setup.sh``
(``npm ci``) into ``geo/maps/_static/node_modules`` (git-ignored). biomap's own map code is
``geo/maps/_static/biomap/``.

Every asset has a relative URL path (``leaflet/leaflet.js``); a page references it under a
prefix (``/assets/leaflet/leaflet.js``) or inlines it.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from geo.errors import MissingAssetError

STATIC_DIR = Path(__file__).parent / "_static"
NODE_MODULES = STATIC_DIR / "node_modules"

#: Scripts in load order (relative URL paths); Leaflet first, biomap's code last.
SCRIPTS: tuple[str, ...] = (
    "leaflet/leaflet.js",
    "supercluster/supercluster.min.js",
    "leaflet.heat/leaflet-heat.js",
    "leaflet.fullscreen/Control.FullScreen.umd.js",
    "leaflet-minimap/Control.MiniMap.min.js",
    "biomap/biomap-map.js",
)
#: Stylesheets in load order.
STYLESHEETS: tuple[str, ...] = (
    "leaflet/leaflet.css",
    "leaflet.fullscreen/Control.FullScreen.css",
    "leaflet-minimap/Control.MiniMap.min.css",
    "biomap/biomap-map.css",
)

_NPM_FILES = {
    "supercluster/supercluster.min.js": "supercluster/dist/supercluster.min.js",
    "leaflet.heat/leaflet-heat.js": "leaflet.heat/dist/leaflet-heat.js",
    "leaflet.fullscreen/Control.FullScreen.umd.js": "leaflet.fullscreen/dist/Control.FullScreen.umd.js",
    "leaflet.fullscreen/Control.FullScreen.css": "leaflet.fullscreen/dist/Control.FullScreen.css",
    "leaflet-minimap/Control.MiniMap.min.js": "leaflet-minimap/dist/Control.MiniMap.min.js",
    "leaflet-minimap/Control.MiniMap.min.css": "leaflet-minimap/dist/Control.MiniMap.min.css",
    "leaflet-minimap/images/toggle.svg": "leaflet-minimap/dist/images/toggle.svg",
    "leaflet-minimap/images/toggle.png": "leaflet-minimap/dist/images/toggle.png",
}

_LICENCES = {
    "leaflet": "BSD-2-Clause (Leaflet, via xstatic-leaflet)",
    "supercluster": "ISC (Supercluster, npm)",
    "leaflet.heat": "BSD-2-Clause (Leaflet.heat, npm)",
    "leaflet.fullscreen": "MIT (leaflet.fullscreen, npm)",
    "leaflet-minimap": "BSD-2-Clause (Leaflet-MiniMap, npm)",
    "biomap": "MIT (biomap)",
}


def _leaflet_dir() -> Path:
    try:
        from xstatic.pkg import leaflet
    except ImportError as exc:  # pragma: no cover - a declared dependency
        raise MissingAssetError(
            "xstatic-leaflet is not installed; run `bash scripts/setup.sh`"
        ) from exc
    return Path(leaflet.BASE_DIR)


@cache
def _collect() -> dict[str, Path]:
    files: dict[str, Path] = {}
    leaflet = _leaflet_dir()
    files["leaflet/leaflet.js"] = leaflet / "leaflet.js"
    files["leaflet/leaflet.css"] = leaflet / "leaflet.css"
    for image in sorted((leaflet / "images").glob("*.png")):
        files[f"leaflet/images/{image.name}"] = image
    for rel, src in _NPM_FILES.items():
        files[rel] = NODE_MODULES / src
    for own in sorted((STATIC_DIR / "biomap").iterdir()):
        files[f"biomap/{own.name}"] = own
    missing = [f"{rel} ({path})" for rel, path in files.items() if not path.is_file()]
    if missing:
        raise MissingAssetError(
            "map assets missing: " + ", ".join(missing) + "; run `bash scripts/setup.sh` "
            "(it runs `npm ci` in geo/maps/_static)"
        )
    return files


def asset_files() -> dict[str, Path]:
    """Every file a biomap map page may load: relative URL path -> local file.

    The API serves these under its asset prefix; :func:`geo.maps.render_html` inlines them.

    Raises
    ------
    geo.errors.MissingAssetError
        If an asset is not installed (run ``bash scripts/setup.sh``).
    """
    return dict(_collect())


def asset_licences() -> dict[str, str]:
    """Licence of each third-party asset package (first path component -> licence)."""
    return dict(_LICENCES)
