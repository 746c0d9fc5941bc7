/* biomap map runtime (MIT, part of biomap).
 *
 * Draws platform points from one compact columnar payload: one Supercluster index per group,
 * clusters and single points drawn only for the current view (single points on the canvas
 * renderer), a heat layer, search by name, a layer switch and a cluster toggle.
 * Registry text is untrusted: it is only ever inserted with textContent, never as HTML.
 */
(function (global) {
  "use strict";

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }

  function esc(text) {
    // Only for the layer control, whose labels Leaflet inserts as HTML.
    return String(text).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }

  function column(col, i) {
    if (!col) return null;
    return col.d ? (col.i[i] < 0 ? null : col.d[col.i[i]]) : col.v[i];
  }

  function Points(map, data) {
    this.map = map;
    this.data = data;
    this.cluster = !!data.cluster;
    var n = data.x.length;
    this.n = n;
    this.lon = new Float64Array(n);
    this.lat = new Float64Array(n);
    for (var i = 0; i < n; i++) {
      this.lon[i] = data.x0 + data.x[i] / data.scale;
      this.lat[i] = data.y0 + data.y[i] / data.scale;
    }
    this.groups = [];
    for (var g = 0; g < data.groups.length; g++) {
      this.groups.push(new PointGroup(this, g));
    }
  }

  Points.prototype.popup = function (i) {
    var d = this.data, box = el("div", "biomap-popup");
    box.appendChild(el("div", "biomap-popup-title", column(d.name, i)));
    var other = column(d.name_other, i);
    if (other) box.appendChild(el("div", "biomap-popup-sub", other));
    var table = el("table");
    for (var r = 0; r < d.rows.length; r++) {
      var value = column(d.rows[r].col, i);
      if (value === null || value === undefined || value === "") continue;
      var tr = el("tr");
      tr.appendChild(el("th", null, d.rows[r].label));
      tr.appendChild(el("td", null, value));
      table.appendChild(tr);
    }
    box.appendChild(table);
    return box;
  };

  Points.prototype.setCluster = function (on) {
    this.cluster = !!on;
    for (var g = 0; g < this.groups.length; g++) this.groups[g].redraw();
  };

  Points.prototype.drawnCount = function () {
    var total = 0;
    for (var g = 0; g < this.groups.length; g++) total += this.groups[g].drawnCount();
    return total;
  };

  Points.prototype.find = function (query, limit) {
    var q = String(query).toLowerCase(), out = [];
    if (!q) return out;
    for (var i = 0; i < this.n && out.length < limit; i++) {
      var a = column(this.data.name, i), b = column(this.data.name_other, i);
      if ((a && a.toLowerCase().indexOf(q) >= 0) || (b && b.toLowerCase().indexOf(q) >= 0)) {
        out.push(i);
      }
    }
    return out;
  };

  Points.prototype.show = function (i) {
    var ll = L.latLng(this.lat[i], this.lon[i]);
    this.map.setView(ll, Math.max(this.map.getZoom(), this.data.clusterMaxZoom + 1));
    L.popup().setLatLng(ll).setContent(this.popup(i)).openOn(this.map);
  };

  var PointGroup = L.Layer.extend({
    initialize: function (points, g) {
      this.points = points;
      this.g = g;
      this.spec = points.data.groups[g];
      this.layer = L.layerGroup();
      this.index = null;
    },
    onAdd: function (map) {
      this.layer.addTo(map);
      map.on("moveend", this.redraw, this);
      this.redraw();
    },
    onRemove: function (map) {
      map.off("moveend", this.redraw, this);
      this.layer.clearLayers();
      map.removeLayer(this.layer);
    },
    buildIndex: function () {
      var p = this.points, features = [];
      for (var i = 0; i < p.n; i++) {
        if (p.data.g[i] !== this.g) continue;
        features.push({ type: "Feature", properties: { i: i },
          geometry: { type: "Point", coordinates: [p.lon[i], p.lat[i]] } });
      }
      this.count = features.length;
      this.index = new Supercluster({ radius: 50, maxZoom: p.data.clusterMaxZoom });
      this.index.load(features);
    },
    redraw: function () {
      var map = this._map;
      if (!map) return;
      if (!this.index) this.buildIndex();
      var p = this.points, b = map.getBounds().pad(0.25);
      var zoom = p.cluster ? Math.round(map.getZoom()) : p.data.clusterMaxZoom + 1;
      var items = this.index.getClusters([b.getWest(), b.getSouth(), b.getEast(), b.getNorth()], zoom);
      this.layer.clearLayers();
      for (var k = 0; k < items.length; k++) {
        this.layer.addLayer(this.marker(items[k]));
      }
      this.drawn = items;
    },
    marker: function (item) {
      var c = item.geometry.coordinates, ll = L.latLng(c[1], c[0]), p = this.points, self = this;
      if (item.properties.cluster) {
        var count = item.properties.point_count, size = count < 10 ? 28 : count < 100 ? 34 : 42;
        var icon = el("div", "biomap-cluster", count);
        icon.style.background = this.spec.color;
        var m = L.marker(ll, { icon: L.divIcon({ html: icon, className: "biomap-cluster-icon",
          iconSize: [size, size] }), biomapCount: count, keyboard: false });
        m.on("click", function () {
          var mp = self._map;
          mp.setView(ll, Math.min(self.index.getClusterExpansionZoom(item.properties.cluster_id),
            mp.getMaxZoom()));
        });
        return m;
      }
      var i = item.properties.i;
      var dot = L.circleMarker(ll, { radius: p.data.levels[p.data.l[i]].radius, color: "#ffffff",
        weight: 1, fillColor: this.spec.color, fillOpacity: 0.9, biomapCount: 1, biomapIndex: i });
      dot.bindTooltip(function () { return el("span", null, column(p.data.name, i)); });
      dot.bindPopup(function () { return p.popup(i); }, { maxWidth: 360 });
      return dot;
    },
    drawnCount: function () {
      if (!this._map || !this.drawn) return 0;
      var total = 0;
      for (var k = 0; k < this.drawn.length; k++) {
        var props = this.drawn[k].properties;
        total += props.cluster ? props.point_count : 1;
      }
      return total;
    }
  });

  var Heat = L.Layer.extend({
    initialize: function (points) { this.points = points; this.heat = null; },
    onAdd: function (map) {
      if (!this.heat) {
        var p = this.points, lls = new Array(p.n);
        for (var i = 0; i < p.n; i++) lls[i] = [p.lat[i], p.lon[i]];
        this.heat = L.heatLayer(lls, { radius: 14, blur: 18, maxZoom: 13 });
      }
      this.heat.addTo(map);
    },
    onRemove: function (map) { map.removeLayer(this.heat); }
  });

  var Search = L.Control.extend({
    options: { position: "topleft" },
    initialize: function (points, strings, options) {
      L.setOptions(this, options);
      this.points = points;
      this.strings = strings;
    },
    onAdd: function () {
      var box = el("div", "leaflet-bar biomap-search"), self = this;
      var input = el("input");
      input.type = "search";
      input.placeholder = this.strings.search;
      input.setAttribute("aria-label", this.strings.search);
      var list = el("ul", "biomap-search-results");
      box.appendChild(input);
      box.appendChild(list);
      L.DomEvent.disableClickPropagation(box);
      L.DomEvent.disableScrollPropagation(box);
      input.addEventListener("input", function () {
        list.textContent = "";
        var hits = self.points.find(input.value.trim(), 10);
        if (input.value.trim() && !hits.length) list.appendChild(el("li", "biomap-none", self.strings.noMatch));
        hits.forEach(function (i) {
          var li = el("li", null, column(self.points.data.name, i));
          li.tabIndex = 0;
          li.addEventListener("click", function () { self.points.show(i); });
          list.appendChild(li);
        });
      });
      return box;
    }
  });

  var ClusterToggle = L.Control.extend({
    options: { position: "topright" },
    initialize: function (points, strings, options) {
      L.setOptions(this, options);
      this.points = points;
      this.strings = strings;
    },
    onAdd: function () {
      var box = el("label", "leaflet-bar biomap-toggle"), self = this;
      var input = el("input");
      input.type = "checkbox";
      input.checked = this.points.cluster;
      input.className = "biomap-cluster-toggle";
      input.addEventListener("change", function () { self.points.setCluster(input.checked); });
      box.appendChild(input);
      box.appendChild(el("span", null, this.strings.cluster));
      L.DomEvent.disableClickPropagation(box);
      return box;
    }
  });

  // A region's core at a larger scale, as in the snapshots: a fixed small map of the inset
  // units in the choropleth's fills; its title (a button) zooms the main map there.
  function insetControl(map, inset) {
    var control = L.control({ position: "topright" });
    control.onAdd = function () {
      var div = L.DomUtil.create("div", "biomap-inset");
      var button = L.DomUtil.create("button", "biomap-inset-title", div);
      button.type = "button";
      button.textContent = inset.title;
      var box = L.DomUtil.create("div", "biomap-inset-map", div);
      L.DomEvent.disableClickPropagation(div);
      L.DomEvent.disableScrollPropagation(div);
      button.addEventListener("click", function () { map.fitBounds(inset.bounds); });
      setTimeout(function () {
        var small = L.map(box, { attributionControl: false, zoomControl: false, dragging: false,
          scrollWheelZoom: false, doubleClickZoom: false, boxZoom: false, keyboard: false,
          touchZoom: false, zoomSnap: 0.25 });
        L.geoJSON(inset.outline, {
          interactive: false,
          style: function (f) {
            return { color: "#444", weight: 1, fillColor: f.properties.fill, fillOpacity: 0.7 };
          },
        }).addTo(small);
        small.fitBounds(inset.bounds);
        div.dataset.drawn = "1";
      }, 0);
      return div;
    };
    control.addTo(map);
  }

  function htmlControl(map, position, className, html) {
    // ``html`` is built by biomap in Python with every registry string escaped.
    if (position === "top") {
      var wrap = el("div", "biomap-top " + className);
      wrap.innerHTML = html;
      map.getContainer().appendChild(wrap);
      L.DomEvent.disableClickPropagation(wrap);
      return wrap;
    }
    var Ctl = L.Control.extend({
      options: { position: position },
      onAdd: function () {
        var box = el("div", className);
        box.innerHTML = html;
        L.DomEvent.disableClickPropagation(box);
        L.DomEvent.disableScrollPropagation(box);
        return box;
      }
    });
    return new Ctl().addTo(map);
  }

  function tooltips(layer) {
    // Zone tooltips from the pre-formatted ``_tip`` property, inserted as text.
    layer.eachLayer(function (l) {
      var tip = l.feature && l.feature.properties && l.feature.properties._tip;
      if (tip) {
        l.bindTooltip(function () {
          var box = el("div", "biomap-tip");
          String(tip).split("\n").forEach(function (line, k) {
            box.appendChild(el(k === 0 ? "b" : "div", null, line));
          });
          return box;
        }, { sticky: true });
      }
    });
  }

  function inflate(b64) {
    var bin = atob(b64), bytes = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    var stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
    return new Response(stream).text().then(JSON.parse);
  }

  function setup(map, cfg) {
    if (cfg.pointsGz && !cfg.points) {
      if (typeof DecompressionStream === "undefined") {
        console.error("biomap: this browser cannot unpack the platform data (needs Chrome 80+, Firefox 113+, Safari 16.4+)");
        return null;
      }
      inflate(cfg.pointsGz).then(function (points) {
        cfg.points = points;
        cfg.pointsGz = null;
        setup(map, cfg);
      }).catch(function (e) { console.error("biomap: cannot unpack the platform data: " + e); });
      return null;
    }
    var points = cfg.points ? new Points(map, cfg.points) : null;
    var overlays = {};
    (cfg.overlays || []).forEach(function (o) {
      tooltips(o.layer);
      overlays[esc(o.label)] = o.layer;
    });
    if (points) {
      points.groups.forEach(function (grp) {
        var label = '<span class="biomap-swatch" style="background:' + esc(grp.spec.color) +
          '"></span>' + esc(grp.spec.label);
        overlays[label] = grp;
        grp.addTo(map);
      });
      var heat = new Heat(points);
      overlays[esc(cfg.strings.heat)] = heat;
      if (cfg.points.heat) heat.addTo(map);
      points.heatLayer = heat;
      new Search(points, cfg.strings).addTo(map);
      if (cfg.points.n > 0) new ClusterToggle(points, cfg.strings).addTo(map);
    }
    var base = {};
    (cfg.base || []).forEach(function (b) { base[esc(b.label)] = b.layer; });
    L.control.layers(base, overlays, { collapsed: false, position: "topright" }).addTo(map);
    new L.Control.FullScreen({ position: "topleft", title: cfg.strings.fullscreen,
      titleCancel: cfg.strings.fullscreenExit }).addTo(map);
    if (cfg.minimap) {
      var mini = cfg.minimap.tiles
        ? L.tileLayer(cfg.minimap.tiles.url, cfg.minimap.tiles.options)
        : L.geoJSON(cfg.minimap.outline, { style: { color: "#555", weight: 1, fillOpacity: 0.1 }, interactive: false });
      new L.Control.MiniMap(mini, { position: "bottomright", toggleDisplay: true, width: 130,
        height: 110, zoomLevelOffset: -4, mapOptions: { maxZoom: 18 },
        strings: { hideText: cfg.strings.minimapHide, showText: cfg.strings.minimapShow } }).addTo(map);
    }
    if (cfg.inset) { insetControl(map, cfg.inset); }
    (cfg.panels || []).forEach(function (p) { htmlControl(map, p.position, p.className, p.html); });
    var app = { map: map, points: points, overlays: overlays, ready: true };
    map.biomap = app;
    global.biomapMaps = global.biomapMaps || [];
    global.biomapMaps.push(app);
    return app;
  }

  global.BiomapMap = { setup: setup, escape: esc };
})(window);
