"""biomap's geography library: boundaries, coordinate systems, the platform registry and zones.

``geo`` is pure library code over GeoDataFrames. It never imports a web framework and never
reads environment variables; the HTTP service in ``api`` composes it.
"""

from importlib.util import find_spec
from pathlib import Path

__version__ = "0.1.0"


def _data_dir() -> Path:
    """``data/`` beside the package in a checkout, else the installed ``biomap_data``."""
    repo = Path(__file__).resolve().parent.parent / "data"
    if (repo / "cities").is_dir():
        return repo
    spec = find_spec("biomap_data")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("biomap's data (package biomap_data) is not installed; reinstall biomap")
    return Path(next(iter(spec.submodule_search_locations)))


#: The data directory: city profiles, boundaries, the registry, the gazetteer.
DATA_DIR: Path = _data_dir()
