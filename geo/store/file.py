"""The file store: the registry as one GeoJSON file, written atomically."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from geo._io import write_atomic
from geo.errors import DataFileError, ValidationError
from geo.store.schema import PlatformRecord, parse_geojson, to_geojson, validate_records


class GeoJSONStore:
    """The registry as one GeoJSON file (``data/platforms.geojson`` by default)."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)

    def __repr__(self) -> str:
        return f"GeoJSONStore({str(self.path)!r})"

    @property
    def location(self) -> str:
        """The file's path."""
        return str(self.path)

    def exists(self) -> bool:
        """True when the file exists."""
        return self.path.exists()

    def read_raw(self) -> list[dict[str, Any]]:
        """Parse the file into raw record dicts without validating them."""
        if not self.path.exists():
            raise DataFileError(
                f"no registry at {str(self.path)!r}; run `biomap ingest` to make one"
            )
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise DataFileError(f"{str(self.path)!r} is not valid JSON: {exc}") from exc
        return parse_geojson(data, where=str(self.path))

    def load(self) -> list[PlatformRecord]:
        """Every valid record; :class:`ValidationError` listing every problem otherwise."""
        valid, problems = validate_records(self.read_raw())
        if problems:
            raise ValidationError(f"{self.path.name}: {len(problems)} problem(s)", problems)
        return valid

    def save(self, records: list[PlatformRecord]) -> None:
        """Write every record, one feature per line (a diff shows which records changed)."""
        lines = [json.dumps(f, ensure_ascii=False) for f in to_geojson(records)["features"]]
        text = '{"type": "FeatureCollection", "features": [\n' + ",\n".join(lines) + "\n]}\n"
        write_atomic(self.path, text.encode("utf-8"))
