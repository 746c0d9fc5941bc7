"""The index page that lists the written figure files (the figures themselves are the city
profile's presets, ``City.figures``)."""

from __future__ import annotations

import html
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from geo.cities import City
    from geo.cities.profile import FigureSpec

_FORMAT_NAMES = {"png": "PNG", "svg": "SVG", "pdf": "PDF", "html": "HTML"}


def figure_filename(number: int, lang: str, fmt: str) -> str:
    """``figure1_zh.png`` and so on."""
    return f"figure{number}_{lang}.{fmt}"


def index_html(
    figures: Sequence[FigureSpec],
    langs: tuple[str, ...],
    formats: tuple[str, ...],
    *,
    city: City,
    data_date: str | None,
) -> str:
    """A self-contained bilingual index page linking every written file (no timestamps).

    Its title and note are the city profile's ``figures_index`` wording.
    """
    esc = html.escape
    idx = city.profile.figures_index
    title_zh = idx.title_zh or city.title("zh")
    title_en = idx.title_en or city.title("en")
    items = []
    for spec in figures:
        for lang in langs:
            preview = "png" if "png" in formats else ("svg" if "svg" in formats else None)
            img = (
                f'<a href="{figure_filename(spec.number, lang, preview)}">'
                f'<img src="{figure_filename(spec.number, lang, preview)}" '
                f'alt="{esc(spec.title(lang))}" loading="lazy"></a>'
                if preview
                else ""
            )
            links = " · ".join(
                f'<a href="{figure_filename(spec.number, lang, f)}">{_FORMAT_NAMES[f]}</a>'
                for f in formats
            )
            items.append(
                f'<figure lang="{"zh-CN" if lang == "zh" else "en"}">{img}'
                f"<figcaption>{esc(spec.title(lang))}<br><small>{links}</small></figcaption>"
                "</figure>"
            )
    date = esc(data_date or "unknown")
    return f"""<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{esc(title_zh)} / {esc(title_en)}</title>
<style>
body {{ font-family: "Noto Sans CJK SC", "Microsoft YaHei", sans-serif; margin: 2rem; color: #222; }}
main {{ display: grid; grid-template-columns: repeat(auto-fill, minmax(420px, 1fr)); gap: 1.5rem; }}
figure {{ margin: 0; border: 1px solid #ddd; padding: .75rem; }}
img {{ width: 100%; height: auto; }}
figcaption {{ margin-top: .5rem; }}
.note {{ color: #555; font-size: .9rem; max-width: 60rem; }}
</style>
</head>
<body>
<h1>{esc(title_zh)}<br><small>{esc(title_en)}</small></h1>
<p class="note">数据日期 / data as of {date}. {esc(idx.note_zh)}
{esc(idx.note_en)}</p>
<main>
{chr(10).join(items)}
</main>
</body>
</html>
"""


def write_index(outdir: Path, text: str) -> Path:
    """Write ``index.html`` atomically and return its path."""
    from geo._io import write_atomic

    path = outdir / "index.html"
    write_atomic(path, text.encode("utf-8"))
    return path
