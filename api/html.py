"""HTML for people: content negotiation, the shared page template, escaping and a small map.

Every value that reaches a page goes through :func:`esc` (registry text is hostile data: a
platform may be named ``<img src=x onerror=alert(1)>``); the map's data travels as JSON inside a
``<script type="application/json">`` block with ``<``, ``>`` and ``&`` escaped, and the browser
code builds popups with ``textContent`` only. Leaflet is served by this API (``/maps/assets/``):
no CDN and no tiles; the city's unit outlines are the base.

Negotiation (:func:`wants_html`): an explicit ``f`` wins; otherwise HTML only when ``text/html``
ranks strictly above every JSON type the resource offers in ``Accept`` (by q value, then by how
specific the matching range is). No ``Accept``, ``*/*``, ``application/json`` or GDAL's
``application/geo+json, application/json`` stay JSON; a browser's
``text/html,...,*/*;q=0.8`` gets HTML.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from html import escape
from typing import Any

import orjson
from starlette.requests import Request

from api.params import base_url, self_url
from api.responses import GEOJSON, JSON, SCHEMA_JSON

HTML_TYPE = "text/html"
#: JSON media types a JSON answer can satisfy (the resource's own type among them).
JSON_TYPES: tuple[str, ...] = (JSON, GEOJSON, SCHEMA_JSON)
ASSETS = "/maps/assets/"
EMPTY = "—"

#: Formats for the ``f`` parameter of resources that have an HTML page.
FORMAT_HELP = "json (the default for API clients) or html (the default for browsers)."


# -- negotiation --------------------------------------------------------------------------------


def _ranges(accept: str) -> list[tuple[str, str, float]]:
    """``Accept`` as (type, subtype, q) media ranges; malformed q values count as 0."""
    out = []
    for part in accept.split(","):
        media, *params = (p.strip() for p in part.split(";"))
        if "/" not in media:
            continue
        kind, _, sub = media.lower().partition("/")
        q = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = min(max(float(value), 0.0), 1.0)
                except ValueError:
                    q = 0.0
        out.append((kind.strip(), sub.strip(), q))
    return out


def _quality(ranges: list[tuple[str, str, float]], media: str) -> tuple[float, int]:
    """(q, specificity) of ``media`` under ``ranges``: the most specific matching range wins
    (RFC 9110 §12.5.1); (0, -1) when no range matches."""
    kind, _, sub = media.partition("/")
    best = (0.0, -1)
    for r_kind, r_sub, q in ranges:
        if (r_kind, r_sub) == (kind, sub):
            spec = 2
        elif r_kind == kind and r_sub == "*":
            spec = 1
        elif (r_kind, r_sub) == ("*", "*"):
            spec = 0
        else:
            continue
        if spec > best[1]:
            best = (q, spec)
    return best


def prefers_html(accept: str, json_types: Iterable[str] = JSON_TYPES) -> bool:
    """Whether ``accept`` ranks ``text/html`` strictly above every type in ``json_types``.

    Examples
    --------
    >>> prefers_html("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8")
    True
    >>> prefers_html("application/geo+json, application/json")
    False
    >>> prefers_html("application/json, text/html;q=0.9") or prefers_html("*/*")
    False
    """
    ranges = _ranges(accept)
    html = _quality(ranges, HTML_TYPE)
    if html[0] <= 0:
        return False
    return all(html > _quality(ranges, media) for media in json_types)


def wants_html(request: Request, f: str | None, json_types: Iterable[str] = JSON_TYPES) -> bool:
    """``f=html``, or no ``f`` and an ``Accept`` header that prefers HTML."""
    if f is not None:
        return f == "html"
    return prefers_html(request.headers.get("accept", ""), json_types)


def html_link(request: Request, href: str | None = None, title: str = "HTML") -> dict[str, str]:
    """The ``rel="alternate"`` link to the HTML page of this resource (``href``: another URL)."""
    return {
        "href": href or self_url(request, f="html"),
        "rel": "alternate",
        "type": HTML_TYPE,
        "title": title,
    }


# -- escaping and values ------------------------------------------------------------------------


def esc(value: Any) -> str:
    """``value`` as HTML text (quotes escaped too, so it is safe in attributes); None is a dash."""
    if value is None or value == "":
        return EMPTY
    if isinstance(value, float):
        return escape(f"{value:,.6g}" if abs(value) < 1e15 else str(value))
    if isinstance(value, list | tuple):
        return ", ".join(esc(v) for v in value) or EMPTY
    if isinstance(value, dict):
        return "; ".join(f"{escape(str(k))}: {esc(v)}" for k, v in value.items()) or EMPTY
    return escape(str(value), quote=True)


def linkify(value: Any) -> str:
    """:func:`esc`, with every ``http(s)://`` word made a link (other schemes stay text)."""
    if not isinstance(value, str) or "http" not in value:
        return esc(value)
    out = []
    for word in value.split(" "):
        bare = word.rstrip(";,.)")
        if bare.startswith(("http://", "https://")) and '"' not in bare:
            link = f'<a href="{escape(bare)}" rel="noopener noreferrer nofollow">{escape(bare)}</a>'
            out.append(link + escape(word[len(bare) :]))
        else:
            out.append(escape(word))
    return " ".join(out)


def a(href: str, text: str, **attrs: str) -> str:
    """A link; ``href`` and ``text`` are escaped here."""
    extra = "".join(f' {k.rstrip("_")}="{escape(v)}"' for k, v in attrs.items())
    return f'<a href="{escape(href)}"{extra}>{escape(text)}</a>'


def table(head: Sequence[str], rows: Iterable[Sequence[str]], *, cls: str = "") -> str:
    """A table; ``head`` is escaped, the cells are HTML already (escape them first)."""
    th = "".join(f"<th>{escape(h)}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    klass = f' class="{escape(cls)}"' if cls else ""
    return f"<table{klass}><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>"


def tr(lang: str, zh: str, en: str) -> str:
    """The Chinese or the English wording."""
    return zh if lang == "zh" else en


# -- the page -----------------------------------------------------------------------------------

STYLE = """body{font-family:"Noto Sans CJK SC",system-ui,sans-serif;max-width:64rem;margin:2rem auto;
padding:0 1rem;line-height:1.6}a{color:#0b5394}nav{font-size:.9rem;color:#555}
nav .right{float:right}table{border-collapse:collapse;margin:.5rem 0;font-size:.9rem}
th,td{border:1px solid #ddd;padding:.2rem .5rem;text-align:left;vertical-align:top}
th{background:#f3f6fa}code{font-size:.8em;color:#555}
.note{color:#8a4b00}.map{height:22rem;border:1px solid #ccc;margin:.5rem 0;background:#fafafa}
.pager a{margin-right:1rem}footer{margin-top:2rem;font-size:.8rem;color:#666}"""


def page(
    request: Request,
    *,
    lang: str,
    title: str,
    body: str,
    crumbs: Sequence[tuple[str, str]] = (),
    json_type: str = JSON,
    head: str = "",
) -> str:
    """A whole page in the look of the landing page.

    Parameters
    ----------
    request
        The request (links: the same URL in the other language, and as JSON).
    lang
        ``zh`` (default) or ``en``; the other language is one link away.
    title
        Plain text (escaped here).
    body
        HTML (everything in it already escaped).
    crumbs
        (path, label) pairs leading to this page, from the landing page; labels are escaped.
    json_type
        Media type of the JSON alternate.
    head
        Extra HTML for ``<head>`` (stylesheets).
    """
    base = base_url(request)
    other = "en" if lang == "zh" else "zh"
    as_json = self_url(request, f="json", lang=None)
    trail = " › ".join(a(f"{base}{path}?f=html&lang={lang}", label) for path, label in crumbs)
    toggle = a(self_url(request, f="html", lang=other), "English" if lang == "zh" else "中文")
    return f"""<!doctype html>
<html lang="{"zh-CN" if lang == "zh" else "en"}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)}</title>
<link rel="alternate" type="{escape(json_type)}" href="{escape(as_json)}">
<style>{STYLE}</style>{head}</head>
<body><nav><span class="right">{toggle} · {a(as_json, "JSON", type=json_type)}</span>{trail}</nav>
<h1>{escape(title)}</h1>
{body}
<footer>{
        tr(
            lang,
            "坐标为 WGS84(CRS84)。数据与来源见各条记录。",
            "Coordinates are WGS84 (CRS84). Every record carries its sources.",
        )
    } · {a(f"{base}/docs", tr(lang, "API 文档", "API docs"))}</footer>
</body></html>
"""


# -- the map ------------------------------------------------------------------------------------

_MAP_JS = """(function () {
  var data = JSON.parse(document.getElementById("map-data").textContent);
  var map = L.map("map", {preferCanvas: false});
  var base = L.geoJSON(data.base, {interactive: false,
    style: {color: "#888", weight: 1, fill: true, fillColor: "#eee", fillOpacity: 0.4}}).addTo(map);
  function label(f) {
    var p = f.properties || {};
    var el = document.createElement("div");
    var link = document.createElement("a");
    link.href = f.href;
    link.textContent = p[data.name] || p[data.fallback] || String(f.id);
    el.appendChild(link);
    return el;
  }
  var drawn = 0;
  var layer = L.geoJSON(data.features, {
    pointToLayer: function (f, ll) {
      return L.circleMarker(ll, {radius: 6, color: "#0b5394", weight: 1, fillOpacity: 0.7});
    },
    style: {color: "#0b5394", weight: 2, fillOpacity: 0.25},
    onEachFeature: function (f, l) {
      drawn += 1;
      l.bindPopup(label(f));
      var tip = document.createElement("span");
      tip.textContent = (f.properties || {})[data.name] || String(f.id);
      l.bindTooltip(tip);
    }
  }).addTo(map);
  var bounds = layer.getBounds();
  if (!bounds.isValid()) { bounds = base.getBounds(); }
  if (bounds.isValid()) { map.fitBounds(bounds, {maxZoom: 13, padding: [12, 12]}); }
  else { map.setView([0, 0], 1); }
  L.control.scale({imperial: false}).addTo(map);
  document.getElementById("map").dataset.drawn = String(drawn);
})();"""


def script_json(value: Any) -> str:
    """JSON that is safe inside a ``<script>`` element (no ``<``, ``>``, ``&`` left)."""
    text = orjson.dumps(value).decode()
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def map_head(request: Request) -> str:
    """The stylesheet of the map (for :func:`page`'s ``head``)."""
    return f'<link rel="stylesheet" href="{escape(base_url(request))}{ASSETS}leaflet/leaflet.css">'


def map_block(
    request: Request,
    features: list[dict[str, Any]],
    base: dict[str, Any],
    *,
    lang: str,
    caption: str,
) -> str:
    """A small Leaflet map of ``features`` (each with ``href``: its HTML page) over ``base``.

    ``base`` is a GeoJSON FeatureCollection drawn grey under the features (the unit outlines).
    Features without a geometry are skipped by Leaflet; the page's table still lists them.
    """
    name = "name_zh" if lang == "zh" else "name_en"
    fallback = "name_en" if lang == "zh" else "name_zh"
    payload = {
        "features": {"type": "FeatureCollection", "features": features},
        "base": base,
        "name": name,
        "fallback": fallback,
    }
    src = f"{escape(base_url(request))}{ASSETS}leaflet/leaflet.js"
    return (
        f'<div id="map" class="map" role="img" aria-label="{escape(caption)}"></div>'
        f'<script type="application/json" id="map-data">{script_json(payload)}</script>'
        f'<script src="{src}"></script><script>{_MAP_JS}</script>'
    )
