"""Greedy, deterministic placement of map labels so that they do not collide.

Each label is tried at its anchor, then at rings of offsets around it (in points); the first
position whose text box overlaps no placed box (and stays inside the axes) wins. A label
moved off its anchor gets a thin leader line. Labels are placed in the order given (put the
most important first); a label that fits nowhere goes where it overlaps least, and is
reported, never dropped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import matplotlib.patheffects as pe
from matplotlib.axes import Axes
from matplotlib.backend_bases import RendererBase
from matplotlib.text import Annotation, Text
from matplotlib.transforms import Bbox

_DIRECTIONS = ((0, 1), (0, -1), (1, 0), (-1, 0), (1, 1), (-1, 1), (1, -1), (-1, -1))
_ID_UNSAFE = re.compile(r"[\s\"'<>&()（）]+")
_HALO: list[pe.AbstractPathEffect] = [pe.withStroke(linewidth=2.2, foreground="white")]


@dataclass(frozen=True)
class MapLabel:
    """A label to place: its text and anchor in data coordinates."""

    text: str
    x: float
    y: float
    fontsize: float = 8.0
    weight: str = "normal"
    color: str = "#222222"


@dataclass
class Placement:
    """The result of placing labels: the artists, and which labels still overlap."""

    artists: list[Annotation]
    overlapping: list[str]

    def boxes(self, renderer: RendererBase) -> list[Bbox]:
        """Display-space boxes of the placed label texts (leader lines excluded)."""
        boxes = []
        for a in self.artists:
            a.update_positions(renderer)  # an annotation's text is placed at draw time
            boxes.append(Text.get_window_extent(a, renderer))
        return boxes


def _overlap_area(box: Bbox, others: list[Bbox]) -> float:
    total = 0.0
    for o in others:
        w = min(box.x1, o.x1) - max(box.x0, o.x0)
        h = min(box.y1, o.y1) - max(box.y0, o.y0)
        if w > 0 and h > 0:
            total += w * h
    return total


def _outside_area(box: Bbox, frame: Bbox) -> float:
    inside_w = max(0.0, min(box.x1, frame.x1) - max(box.x0, frame.x0))
    inside_h = max(0.0, min(box.y1, frame.y1) - max(box.y0, frame.y0))
    return box.width * box.height - inside_w * inside_h


def _candidates(step: float, rings: int) -> list[tuple[float, float]]:
    offsets = [(0.0, 0.0)]
    for ring in range(1, rings + 1):
        offsets += [(dx * step * ring, dy * step * ring * 0.8) for dx, dy in _DIRECTIONS]
    return offsets


def place_labels(
    ax: Axes,
    labels: list[MapLabel],
    renderer: RendererBase,
    *,
    obstacles: list[Bbox] | None = None,
    step: float = 9.0,
    rings: int = 6,
    pad: float = 1.5,
) -> Placement:
    """Place ``labels`` on ``ax`` without overlaps where possible.

    Parameters
    ----------
    ax
        Axes with final limits and position (placement is done in display space).
    labels
        In priority order.
    renderer
        The figure canvas' renderer, to measure text.
    obstacles
        Display-space boxes labels must avoid (e.g. the inset frame, the north arrow).
    step, rings
        Offsets tried: ``rings`` rings of 8 directions, ``step`` points apart.
    pad
        Extra display pixels kept between labels.

    Returns
    -------
    Placement
    """
    placed: list[Bbox] = list(obstacles or [])
    frame = ax.get_window_extent(renderer)
    artists: list[Annotation] = []
    overlapping: list[str] = []
    for lab in labels:
        best: tuple[float, Annotation, Bbox] | None = None
        for dx, dy in _candidates(step, rings):
            ann = _annotation(ax, lab, dx, dy)
            box = ann.get_window_extent(renderer).padded(pad)
            cost = _overlap_area(box, placed) + 4 * _outside_area(box, frame)
            if best is None or cost < best[0]:
                if best is not None:
                    best[1].remove()
                best = (cost, ann, box)
                if cost == 0:
                    break
            else:
                ann.remove()
        assert best is not None
        cost, ann, box = best
        if cost > 0:
            overlapping.append(lab.text)
        if ann.xyann != (0.0, 0.0):  # moved off its anchor: redraw it with a leader line
            dx, dy = ann.xyann
            ann.remove()
            ann = _annotation(ax, lab, dx, dy, leader=True)
        placed.append(box)
        artists.append(ann)
    return Placement(artists, overlapping)


def _annotation(
    ax: Axes, lab: MapLabel, dx: float, dy: float, *, leader: bool = False
) -> Annotation:
    arrow = {"arrowstyle": "-", "color": "#555555", "linewidth": 0.5, "shrinkA": 1, "shrinkB": 0}
    ann = ax.annotate(
        lab.text,
        xy=(lab.x, lab.y),
        xycoords="data",
        xytext=(dx, dy),
        textcoords="offset points",
        ha="center",
        va="center",
        fontsize=lab.fontsize,
        fontweight=lab.weight,
        color=lab.color,
        zorder=15,
        annotation_clip=False,
        arrowprops=arrow if leader else None,
    )
    ann.set_path_effects(_HALO)
    # the SVG keeps the label in its id (halo text is drawn as plain paths, without a comment)
    ann.set_gid(f"label-{ax.get_gid() or 'axes'}-{_ID_UNSAFE.sub('_', lab.text)}")
    return ann
