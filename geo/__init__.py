"""biomap's geography library: boundaries, coordinate systems, the platform registry and zones.

``geo`` is pure library code over GeoDataFrames. It never imports a web framework and never
reads environment variables; the HTTP service in ``api`` composes it.
"""

from importlib.resources import files
from pathlib import Path

__version__ = "0.1.0"

#: The repository's data directory (boundaries, the registry, the gazetteer).
DATA_DIR: Path = Path(str(files("geo"))).parent / "data"
