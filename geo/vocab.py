"""The one bilingual vocabulary: metric names and every legend/UI label, in Chinese and English.

Maps, snapshots, CSV headers and the API take their wording from here, so one metric has one
name everywhere. Taxonomy codes (platform types, levels, ...) keep their labels in
:mod:`geo.taxonomy`; :func:`term` looks them up.

Chinese wording follows the statistical bulletins (``每10万常住人口``, Arabic numerals).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from geo import taxonomy

if TYPE_CHECKING:
    from geo.cities import City

Lang = Literal["zh", "en"]
LANGS: tuple[str, ...] = ("zh", "en")

#: metric -> (zh, en); the density table's rate columns, in display order.
METRICS: dict[str, tuple[str, str]] = {
    "count": ("平台数量", "Number of platforms"),
    "share": ("占全部平台比例", "Share of platforms"),
    "per_km2": ("每平方公里平台数", "Platforms per km²"),
    "per_100k": ("每10万常住人口平台数", "Platforms per 100,000 residents"),
    "lq_area": ("区位商(按面积)", "Location quotient (area)"),
    "lq_population": ("区位商(按人口)", "Location quotient (population)"),
}

#: key -> (zh, en): legend, map controls, popups, notes.
LABELS: dict[str, tuple[str, str]] = {
    # map controls
    "search": ("搜索平台名称", "Search platform name"),
    "no_match": ("无匹配平台", "No matching platform"),
    "cluster": ("聚合显示", "Cluster points"),
    "heat": ("热力图(示意, 非密度)", "Heat map (visual aid, not a density)"),
    "fullscreen": ("全屏", "Full screen"),
    "fullscreen_exit": ("退出全屏", "Exit full screen"),
    "minimap_hide": ("隐藏鹰眼图", "Hide overview"),
    "minimap_show": ("显示鹰眼图", "Show overview"),
    # legends
    "no_data": ("无数据", "no data"),
    "legend": ("图例", "Legend"),
    "points": ("平台", "Platforms"),
    "radius_level": ("圆点大小: 级别", "Dot size: level"),
    "provisional": ("暂定, 位置近似", "provisional, approximate location"),
    "data_note": ("数据说明", "About the data"),
    "platform_count": ("平台数", "platforms"),
    "unit_boundaries": ("{units}边界", "{Unit} boundaries"),
    "distribution": ("{title}分布", "{title}"),
    "count_suffix": ("（个数）", " (count)"),
    "approx_suffix": ("（近似）", " (approx.)"),
    "approx_zone": ("区域（近似范围）", "zone (approximate extent)"),
    "city_boundary": ("地级市边界", "City boundaries"),
    "cities_legend": ("城市", "Cities"),
    # classification schemes (geo.legend.Breaks.scheme)
    "scheme_fisher_jenks": ("自然断点（Fisher-Jenks）", "Fisher-Jenks breaks"),
    "scheme_unique_values": ("各值", "each value"),
    "scheme_single_value": ("单一值", "single value"),
    # point categories (legend titles of static maps)
    "points_by_type": ("平台类型", "Platform type"),
    "points_by_level": ("平台级别", "Platform level"),
    "points_by_sub_kind": ("平台子类", "Platform sub-kind"),
    "points_by_supporting_unit": ("依托单位", "Supporting unit"),
    # popup rows and filter descriptions
    "host": ("依托单位", "Host"),
    "type": ("类型", "Type"),
    "sub_kind": ("子类", "Sub-kind"),
    "fields": ("领域", "Fields"),
    "level": ("级别", "Level"),
    "address": ("地址", "Address"),
    "unit": ("所在{unit}", "{Unit}"),
    "managing": ("管理区", "managed by"),
    "zones": ("“363”布局", '"363" layout'),
    "coord": ("坐标", "Coordinates"),
    "source": ("来源", "Source"),
    "verification": ("核实", "Verification"),
    "established": ("成立年份", "Established"),
    # filter descriptions ("类型: 基础条件服务平台")
    "filter_type": ("类型", "type"),
    "filter_sub_kind": ("子类", "sub-kind"),
    "filter_field": ("领域", "field"),
    "filter_level": ("级别", "level"),
    "filter_stage": ("服务链环节", "stage"),
    "filter_supporting_unit": ("依托单位", "supporting unit"),
    "filter_district": ("{units}", "{unit}"),
    "filter_managing": ("管理区", "managed by"),
}


#: key -> (zh, en): the web app's controls, tables and panels (``/``, ``geo.maps.app``).
APP_LABELS: dict[str, tuple[str, str]] = {
    "app_lang": ("English", "中文"),
    "app_lang_aria": ("切换为英文界面", "Switch to Chinese"),
    "app_skip": ("跳到密度表", "Skip to the density table"),
    "app_filters": ("筛选", "Filters"),
    "app_map_aria": ("平台分布地图", "Map of the platforms"),
    "app_layer": ("区域图层", "Zone layer"),
    "app_metric": ("指标", "Metric"),
    "app_all": ("全部", "All"),
    "app_type": ("平台类型", "Platform type"),
    "app_sub_kind": ("平台子类", "Sub-kind"),
    "app_level": ("级别", "Level"),
    "app_district": ("所在区", "District"),
    "app_zone": ("所在区域(园区)", "Zone (park)"),
    "app_stage": ("服务链环节", "Service-chain stage"),
    "app_q": ("名称、依托单位或地址搜索", "Search name, host or address"),
    "app_reset": ("清除筛选", "Clear filters"),
    "app_shown": ("显示 {n} / {total} 个平台", "{n} of {total} platforms shown"),
    "app_overlays": ("叠加区域图层(绘于平台之上)", "Zone layers on top of the points"),
    "app_downloads": ("下载当前视图", "Download this view"),
    "app_csv": ("表格 CSV", "Table CSV"),
    "app_geojson": ("所选平台 GeoJSON", "Selection GeoJSON"),
    "app_share": ("分享链接", "Link to this view"),
    "app_copy": ("复制链接", "Copy link"),
    "app_copied": ("链接已复制", "Link copied"),
    "app_table": ("按区域的密度", "Density by zone"),
    "app_zone_col": ("区域", "Zone"),
    "app_sort": ("排序", "sort"),
    "app_no_geometry": ("无几何(位置未知)", "no geometry (location unknown)"),
    "app_platforms_in": ("{zone}的平台({n} 个)", "Platforms in {zone} ({n})"),
    "app_stack": ("此处 {n} 个平台(同一坐标)", "{n} platforms at this point (same coordinates)"),
    "app_more": ("另有 {n} 个未列出", "{n} more not listed"),
    "app_chain": ("服务链环节(缺口)", "Service-chain stages (gaps)"),
    "app_gap": ("缺口", "gap"),
    "app_chain_none": ("此区域无几何,不计缺口", "zone has no geometry: no gaps counted"),
    "app_platform": ("平台详情", "Platform"),
    "app_provenance": ("来源与坐标", "Provenance and coordinates"),
    "app_links": ("链接", "Links"),
    "app_item_json": ("记录(GeoJSON)", "Record (GeoJSON)"),
    "app_history": ("修改历史", "History"),
    "app_close": ("关闭", "Close"),
    "app_cluster": ("{n} 个平台", "{n} platforms"),
    "app_loading": ("加载中…", "Loading…"),
    "app_error": ("加载失败:{msg}", "Could not load: {msg}"),
    "app_token": ("编辑令牌(Bearer)", "Editor token (bearer)"),
    "app_token_use": ("启用编辑", "Enable editing"),
    "app_editor": ("编辑平台", "Edit platforms"),
    "app_new": ("新建平台", "New platform"),
    "app_edit_this": ("修改此平台", "Correct this platform"),
    "app_save": ("保存", "Save"),
    "app_saved": ("已保存:{id}", "Saved: {id}"),
    "app_landing": ("数据与接口", "Data and API"),
    "app_legend_points": ("平台类型(点)", "Platform type (points)"),
    "app_legend_cluster": ("圆内数字: 聚合的平台数", "Number in a circle: platforms clustered"),
    "app_name_zh": ("名称(中文)", "Name (Chinese)"),
    "app_name_en": ("名称(英文)", "Name (English)"),
    "app_host_zh": ("依托单位(中文)", "Host (Chinese)"),
    "app_address_zh": ("地址(中文)", "Address (Chinese)"),
    "app_source_date": ("来源日期", "Source date"),
    "app_note": ("备注", "Note"),
}


def tr(lang: str, zh: str, en: str) -> str:
    """Pick the Chinese (``lang == "zh"``) or the English wording."""
    return zh if lang == "zh" else en


def metric_label(metric: str, lang: str) -> str:
    """The name of ``metric`` (a key of :data:`METRICS`) in ``lang``; KeyError if unknown."""
    zh, en = METRICS[metric]
    return tr(lang, zh, en)


def label(key: str, lang: str, **fields: str) -> str:
    """The UI/legend label ``key`` (a key of :data:`LABELS`) in ``lang``; KeyError if unknown.

    Labels with ``{placeholders}`` are filled from ``fields`` (see :func:`unit_fields`).
    """
    zh, en = LABELS[key]
    text = tr(lang, zh, en)
    return text.format(**fields) if fields else text


def unit_fields(city: City, lang: str) -> dict[str, str]:
    """What the city calls its units, for :func:`label` placeholders.

    ``units`` (行政区 / Districts), ``unit`` (区 / district) and ``Unit`` (区 / District).
    """
    u = city.profile.units
    if lang == "zh":
        return {"units": u.label_zh, "unit": u.singular_zh, "Unit": u.singular_zh}
    unit = u.singular_en
    return {"units": u.label_en, "unit": unit, "Unit": unit[:1].upper() + unit[1:]}


def term(vocabulary: str, code: str, lang: str) -> str:
    """The label of a taxonomy ``code`` (see :mod:`geo.taxonomy`); the code itself if unknown."""
    return taxonomy.label(vocabulary, code, lang)


#: property name -> (zh, en): record and zone fields as shown on pages (``{unit}``: see
#: :func:`unit_fields`). The density figures are named by :data:`METRICS`.
FIELD_LABELS: dict[str, tuple[str, str]] = {
    "id": ("编号", "ID"),
    "zone_id": ("区域编号", "Zone ID"),
    "name_zh": ("中文名称", "Chinese name"),
    "name_en": ("英文名称", "English name"),
    "host_zh": ("依托单位", "Host"),
    "host_en": ("依托单位(英文)", "Host (English)"),
    "type": ("类型", "Type"),
    "sub_kind": ("子类", "Sub-kind"),
    "fields": ("领域", "Fields"),
    "supporting_unit": ("依托单位类别", "Supporting unit"),
    "level": ("级别", "Level"),
    "chain_stages": ("服务链环节", "Service-chain stages"),
    "address_zh": ("地址", "Address"),
    "established": ("成立年份", "Established"),
    "coord_source": ("坐标来源", "Coordinate source"),
    "coord_crs_in": ("原始坐标系", "Source coordinate system"),
    "coord_conversion": ("坐标转换", "Coordinate conversion"),
    "coord_precision": ("坐标精度", "Coordinate precision"),
    "coord_precision_m": ("坐标精度(米)", "Coordinate precision (m)"),
    "coord_uncertainty_m": ("坐标误差(米)", "Coordinate uncertainty (m)"),
    "district_adcode": ("所在{unit}", "{Unit}"),
    "managing_adcode": ("管理{unit}", "Managing {unit}"),
    "district_override": ("{unit}归属说明", "{Unit} override"),
    "zones": ("所属区域", "Zones"),
    "source": ("来源", "Source"),
    "source_date": ("来源日期", "Source date"),
    "source_version": ("来源版本", "Source version"),
    "licence": ("许可", "Licence"),
    "verification": ("核实", "Verification"),
    "note": ("备注", "Note"),
    "area_km2": ("面积(平方公里)", "Area (km²)"),
    "population": ("常住人口", "Residents"),
    "geometry_quality": ("几何质量", "Geometry quality"),
    "provisional": ("暂定", "Provisional"),
    "confidence": ("可信度", "Confidence"),
    "basis": ("依据", "Basis"),
    "category": ("类别", "Category"),
}


def field_label(name: str, lang: str, **fields: str) -> str:
    """The label of property ``name`` (:data:`FIELD_LABELS`, :data:`METRICS`); else ``name``.

    ``fields`` fill ``{unit}`` placeholders (:func:`unit_fields`); without them they stay.
    """
    pair = FIELD_LABELS.get(name) or METRICS.get(name)
    if pair is None:
        return name
    text = tr(lang, *pair)
    return text.format(**fields) if fields else text
