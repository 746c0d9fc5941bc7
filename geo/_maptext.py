"""Every label the interactive maps show, in Chinese (default) and English."""

from __future__ import annotations

from typing import Literal

Lang = Literal["zh", "en"]
LANGS: tuple[str, ...] = ("zh", "en")

_TEXT: dict[str, tuple[str, str]] = {
    "search": ("搜索平台名称", "Search platform name"),
    "no_match": ("无匹配平台", "No matching platform"),
    "cluster": ("聚合显示", "Cluster points"),
    "heat": ("热力图(示意, 非密度)", "Heat map (visual aid, not a density)"),
    "fullscreen": ("全屏", "Full screen"),
    "fullscreen_exit": ("退出全屏", "Exit full screen"),
    "minimap_hide": ("隐藏鹰眼图", "Hide overview"),
    "minimap_show": ("显示鹰眼图", "Show overview"),
    "no_data": ("无数据", "no data"),
    "legend": ("图例", "Legend"),
    "points": ("平台", "Platforms"),
    "radius_level": ("圆点大小: 级别", "Dot size: level"),
    "provisional": ("暂定, 位置近似", "provisional, approximate location"),
    "data_note": ("数据说明", "About the data"),
    "platform_count": ("平台数", "platforms"),
    "base_none": ("无底图(行政区边界)", "No tiles (district boundaries)"),
    "districts_outline": ("行政区边界", "District boundaries"),
    # popup rows
    "host": ("依托单位", "Host"),
    "type": ("类型", "Type"),
    "sub_kind": ("子类", "Sub-kind"),
    "fields": ("领域", "Fields"),
    "level": ("级别", "Level"),
    "address": ("地址", "Address"),
    "district": ("所在区", "District"),
    "managing": ("管理区", "managed by"),
    "zones": ("“363”布局", '"363" layout'),
    "coord": ("坐标", "Coordinates"),
    "source": ("来源", "Source"),
    "verification": ("核实", "Verification"),
    "established": ("成立年份", "Established"),
    # metrics
    "metric_count": ("平台数量", "Number of platforms"),
    "metric_per_km2": ("每平方公里平台数", "Platforms per km²"),
    "metric_per_100k": ("每十万常住人口平台数", "Platforms per 100,000 residents"),
}


def text(key: str, lang: str) -> str:
    """The label ``key`` in ``lang`` (``zh`` or ``en``)."""
    zh, en = _TEXT[key]
    return zh if lang == "zh" else en


def js_strings(lang: str) -> dict[str, str]:
    """The strings the browser code needs, keyed as it expects."""
    keys = {
        "search": "search",
        "noMatch": "no_match",
        "cluster": "cluster",
        "heat": "heat",
        "fullscreen": "fullscreen",
        "fullscreenExit": "fullscreen_exit",
        "minimapHide": "minimap_hide",
        "minimapShow": "minimap_show",
    }
    return {js: text(key, lang) for js, key in keys.items()}
