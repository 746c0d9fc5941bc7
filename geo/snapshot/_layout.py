"""Page presets and the parts of a static map page around the map: title, legend, notes, source.

Boxes are in inches from the page's lower left corner, so each preset reads like a print layout.
"""

from __future__ import annotations

from dataclasses import dataclass

from matplotlib.axes import Axes
from matplotlib.backend_bases import RendererBase
from matplotlib.figure import Figure
from matplotlib.legend import Legend
from matplotlib.text import Text

from geo.snapshot._text import display_width, wrap_text

Box = tuple[float, float, float, float]  # x0, y0, x1, y1 in inches


@dataclass(frozen=True)
class Page:
    """A page preset: size, and where the map, inset, legend and notes go."""

    name: str
    width_in: float
    height_in: float
    map_box: Box
    inset_box: Box
    legend_box: Box
    notes_box: Box
    title_size: float = 15.0
    text_size: float = 7.5

    def rect(self, box: Box) -> tuple[float, float, float, float]:
        """A box as a matplotlib figure-fraction rectangle (left, bottom, width, height)."""
        x0, y0, x1, y1 = box
        return (
            x0 / self.width_in,
            y0 / self.height_in,
            (x1 - x0) / self.width_in,
            (y1 - y0) / self.height_in,
        )

    def pixels(self, dpi: float) -> tuple[int, int]:
        """(width, height) of a PNG of this page at ``dpi`` (matplotlib truncates)."""
        return int(self.width_in * dpi), int(self.height_in * dpi)


PAGES: dict[str, Page] = {
    "a4-landscape": Page(
        "a4-landscape",
        11.69,
        8.27,
        map_box=(0.35, 0.75, 5.9, 7.3),
        inset_box=(6.2, 3.85, 11.35, 6.95),
        legend_box=(6.2, 0.8, 8.75, 3.45),
        notes_box=(8.9, 0.8, 11.35, 3.45),
    ),
    "a4-portrait": Page(
        "a4-portrait",
        8.27,
        11.69,
        map_box=(0.3, 3.75, 5.45, 10.7),
        inset_box=(0.35, 0.95, 4.15, 3.4),
        legend_box=(5.6, 3.9, 8.0, 10.6),
        notes_box=(4.45, 0.95, 8.0, 3.45),
        title_size=14.0,
        text_size=7.0,
    ),
    "slide-16x9": Page(
        "slide-16x9",
        13.333,
        7.5,
        map_box=(0.3, 0.65, 5.2, 6.55),
        inset_box=(5.45, 3.35, 9.55, 6.3),
        legend_box=(9.8, 3.0, 13.1, 6.55),
        notes_box=(5.45, 0.7, 13.1, 2.75),
        title_size=17.0,
        text_size=8.0,
    ),
}


def columns_for(width_in: float, fontsize: float) -> int:
    """Half-width character columns that fit in ``width_in`` at ``fontsize`` points."""
    return max(10, int(width_in * 72 / (0.55 * fontsize)))


def _fit_width(text: Text, renderer: RendererBase, width_px: float, min_size: float) -> None:
    """Shrink ``text`` down to ``min_size`` points, then wrap it, until it fits ``width_px``."""
    size = float(text.get_fontsize())
    while text.get_window_extent(renderer).width > width_px and size > min_size:
        size -= 0.5
        text.set_fontsize(size)
    if text.get_window_extent(renderer).width > width_px:
        ratio = width_px / text.get_window_extent(renderer).width
        cols = max(10, int(display_width(text.get_text()) * ratio * 0.95))
        text.set_text("\n".join(wrap_text(text.get_text(), cols)))


def add_titles(
    fig: Figure, page: Page, title: str, subtitle: str, renderer: RendererBase
) -> tuple[Text, Text]:
    """Title and subtitle along the top of the page, shrunk or wrapped to fit its width."""
    top = 1 - 0.32 / page.height_in
    left = 0.35 / page.width_in
    width_px = (page.width_in - 0.7) * fig.dpi
    # parse_math off: a title or filter text with "$" (a user's title, a search) stays text
    t = fig.text(
        left, top, title, fontsize=page.title_size, fontweight="bold", va="top", parse_math=False
    )
    t.set_gid("title")
    _fit_width(t, renderer, width_px, page.title_size * 0.75)
    title_h = t.get_window_extent(renderer).height / fig.dpi
    sub_y = top - (title_h + 0.12) / page.height_in
    s = fig.text(
        left, sub_y, subtitle, fontsize=page.text_size + 1.5, color="#444444", va="top",
        parse_math=False,
    )  # fmt: skip
    s.set_gid("subtitle")
    _fit_width(s, renderer, width_px, page.text_size)
    return t, s


def add_source(fig: Figure, page: Page, text: str) -> Text:
    """The attribution line(s) along the bottom of the page, wrapped to its width."""
    size = page.text_size - 1.0
    lines = wrap_text(text, columns_for(page.width_in - 0.7, size))
    t = fig.text(
        0.35 / page.width_in,
        0.22 / page.height_in,
        "\n".join(lines),
        fontsize=size,
        color="#555555",
        va="bottom",
        linespacing=1.35,
    )
    t.set_gid("source")
    return t


def panel(fig: Figure, page: Page, box: Box, gid: str) -> Axes:
    """An empty axes (no frame) for legends or notes."""
    ax = fig.add_axes(page.rect(box))
    ax.set_axis_off()
    ax.set_gid(gid)
    return ax


def stack_legends(
    ax: Axes,
    renderer: RendererBase,
    groups: list[tuple[str, list]],
    *,
    fontsize: float,
    width_in: float,
) -> list[Legend]:
    """Legends stacked top-down in ``ax``, one per ``(title, handles)`` group; entry labels
    are wrapped to fit ``width_in``."""
    cols = columns_for(width_in - 0.4, fontsize)
    legends: list[Legend] = []
    y = 1.0
    inv = ax.transAxes.inverted()
    for title, handles in groups:
        if not handles:
            continue
        leg = Legend(
            ax,
            handles,
            ["\n".join(wrap_text(h.get_label(), cols)) for h in handles],
            loc="upper left",
            bbox_to_anchor=(0.0, y),
            frameon=False,
            fontsize=fontsize,
            title="\n".join(line for part in title.split("\n") for line in wrap_text(part, cols)),
            title_fontproperties={"size": fontsize + 0.5, "weight": "bold"},
            alignment="left",
            borderaxespad=0.0,
            handlelength=1.6,
            handleheight=1.1,
        )
        ax.add_artist(leg)
        leg.set_gid(f"legend-{len(legends)}")
        box = leg.get_window_extent(renderer)
        y = inv.transform((box.x0, box.y0))[1] - 0.04
        legends.append(leg)
    return legends


def add_notes(ax: Axes, page: Page, notes: list[str], width_in: float) -> Text | None:
    """Notes as a wrapped block of text at the top of ``ax``."""
    if not notes:
        return None
    size = page.text_size
    cols = columns_for(width_in, size)
    lines: list[str] = []
    for note in notes:
        wrapped = wrap_text(note, cols - 2)
        lines += ["• " + wrapped[0], *("  " + w for w in wrapped[1:])]
    t = ax.text(0, 1, "\n".join(lines), fontsize=size, va="top", ha="left", linespacing=1.4)
    t.set_gid("notes")
    return t
