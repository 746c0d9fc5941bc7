"""Static map snapshots (PNG, SVG, PDF) for briefings, and the city's figures as files."""

from geo.snapshot.render import (
    FORMATS,
    PAGES,
    POINT_CATEGORIES,
    Snapshot,
    render_snapshot,
    save_snapshot,
    snapshot_figure,
    write_figures,
)

__all__ = [
    "FORMATS",
    "PAGES",
    "POINT_CATEGORIES",
    "Snapshot",
    "render_snapshot",
    "save_snapshot",
    "snapshot_figure",
    "write_figures",
]
