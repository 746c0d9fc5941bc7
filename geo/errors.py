"""Error classes raised by biomap's library.

Every error subclasses :class:`BiomapError` and, where it fits, a builtin, so callers can catch
either. Messages quote the offending value and say what to do about it.
"""


class BiomapError(Exception):
    """Base class of every error biomap raises on purpose."""


class CRSMismatchError(BiomapError, ValueError):
    """Two layers are in different coordinate systems, or one has none."""


class InvalidGeometryError(BiomapError, ValueError):
    """Geometries are missing, empty or invalid where valid ones are required."""


class UnknownZoneLayerError(BiomapError, KeyError):
    """A zone layer was asked for by a name that is not loaded."""

    def __str__(self) -> str:  # KeyError would otherwise repr() the message
        return str(self.args[0]) if self.args else ""


class DataFileError(BiomapError, ValueError):
    """A data file is missing, unreadable or malformed."""


class OutputError(BiomapError, OSError):
    """An output file cannot be written (no such folder, permission denied, a full disk)."""


class ValidationError(BiomapError, ValueError):
    """Records failed validation; ``problems`` lists every problem found, not just the first.

    The message is one line for one problem, else a heading and one indented line per problem.
    """

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        self.problems = list(problems or [])
        if len(self.problems) == 1:  # one problem: one line
            super().__init__(f"{message.rstrip(':')}: {self.problems[0]}")
            return
        detail = "\n".join(f"  - {p}" for p in self.problems[:50])
        more = f"\n  ... and {len(self.problems) - 50} more" if len(self.problems) > 50 else ""
        super().__init__(f"{message}\n{detail}{more}" if detail else message)


class CoordinateError(BiomapError, ValueError):
    """Coordinates are out of range, outside the supported area, or in an unknown system."""


class InsufficientDataError(BiomapError, ValueError):
    """Too few points (or no variation) for a statistic to be computed meaningfully."""


class FontNotFoundError(BiomapError, RuntimeError):
    """No CJK font is installed, so Chinese text in static maps would render as boxes."""


class SnapshotError(BiomapError, ValueError):
    """A static map was asked for with an unknown page, format, metric or language."""


class MissingAssetError(BiomapError, FileNotFoundError):
    """A JavaScript/CSS file a map page needs is not installed (run ``scripts/setup.sh``)."""


class MapOptionError(BiomapError, ValueError):
    """A map was asked for with options that do not fit (unknown tiles, missing tile key)."""


class RecordNotFoundError(BiomapError, KeyError):
    """No record with that id is in the registry (or, for history, ever was)."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class RecordExistsError(BiomapError, ValueError):
    """A record was created with an id the registry already holds."""


class PreconditionFailedError(BiomapError, ValueError):
    """A write named a version (ETag) of a record that is no longer the current one."""


class RecordInvalidError(BiomapError, ValueError):
    """An edited record failed validation; ``fields`` maps each bad field to why."""

    def __init__(self, message: str, fields: dict[str, str] | None = None) -> None:
        self.fields = dict(fields or {})
        detail = "; ".join(f"{k}: {v}" for k, v in self.fields.items())
        super().__init__(f"{message}: {detail}" if detail else message)


class StoreUnavailableError(BiomapError, RuntimeError):
    """The store cannot be reached (a database that is down); retry later."""


class TokenError(BiomapError, ValueError):
    """An API token was asked for with an invalid name or role."""


class StoreSchemaError(DataFileError):
    """A database store has no biomap schema, or an older or newer one than this biomap's."""


class DirectModeError(BiomapError):
    """A request that needs the whole registry in memory, on a server in direct mode (a
    PostGIS registry too large to load; see :mod:`api.direct`)."""
