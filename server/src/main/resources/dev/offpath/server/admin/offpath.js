// Offpath introspection page: polls /debug/stats.json every second, draws the live charts and
// updates the tables the server rendered. No dependencies; works offline.
(function () {
  "use strict";
  var STATS = "/debug/stats.json";
  var COLORS = { checks: "#2463c7", denials: "#c0392b", p99ms: "#8e44ad", entries: "#16a085" };

  function path(obj, dotted) {
    return dotted.split(".").reduce(function (o, k) { return o == null ? undefined : o[k]; }, obj);
  }

  function bytes(b) { return b < 0 ? "unbounded" : (b / 1048576).toFixed(1) + " MiB"; }

  function duration(s) {
    var d = Math.floor(s / 86400), h = Math.floor(s % 86400 / 3600), m = Math.floor(s % 3600 / 60);
    return (d ? d + "d " : "") + (d || h ? h + "h " : "") + (d || h || m ? m + "m " : "") + (s % 60) + "s";
  }

  function format(value, kind) {
    if (value === undefined || value === null) { return "–"; }
    switch (kind) {
      case "bytes": return bytes(value);
      case "duration": return duration(value);
      case "percent": return (value * 100).toFixed(1) + "%";
      default: return String(value);
    }
  }

  function setText(el, text) {
    if (el.textContent !== text) {
      el.textContent = text;
      var row = el.closest("tr");
      if (row && (el.classList.contains("hits") || el.classList.contains("dispatches"))) {
        row.classList.add("flash");
        setTimeout(function () { row.classList.remove("flash"); }, 700);
      }
    }
  }

  function byKey(list, key) {
    var out = {};
    (list || []).forEach(function (item) { out[item[key]] = item; });
    return out;
  }

  function updateTables(stats) {
    document.querySelectorAll("[data-field]").forEach(function (el) {
      var v = path(stats, el.getAttribute("data-field"));
      if (v !== undefined) { setText(el, format(v, el.getAttribute("data-format"))); }
    });
    var rules = byKey(stats.rules, "name");
    document.querySelectorAll("tr[data-rule]").forEach(function (row) {
      var r = rules[row.getAttribute("data-rule")];
      if (r) { setText(row.querySelector(".hits"), String(r.hits)); }
    });
    var handlers = byKey(stats.handlers, "name");
    document.querySelectorAll("tr[data-handler]").forEach(function (row) {
      var h = handlers[row.getAttribute("data-handler")];
      if (h) {
        setText(row.querySelector(".dispatches"), String(h.dispatches));
        setText(row.querySelector(".errors"), String(h.errors));
        setText(row.querySelector(".templates"), h.templates);
      }
    });
    var quota = byKey(stats.quota, "handler");
    document.querySelectorAll("tr[data-quota]").forEach(function (row) {
      var q = quota[row.getAttribute("data-quota")];
      if (q) {
        setText(row.querySelector(".allocations"), String(q.allocations));
        setText(row.querySelector(".errors"), String(q.errors));
      }
    });
  }

  function draw(canvas, series, values, times) {
    var ratio = window.devicePixelRatio || 1;
    var w = canvas.clientWidth || 360, h = canvas.clientHeight || 120;
    if (canvas.width !== Math.round(w * ratio)) { canvas.width = Math.round(w * ratio); canvas.height = Math.round(h * ratio); }
    var g = canvas.getContext("2d");
    g.setTransform(ratio, 0, 0, ratio, 0, 0);
    g.clearRect(0, 0, w, h);
    var pad = { l: 44, r: 6, t: 8, b: 16 };
    var max = 0;
    values.forEach(function (v) { if (v !== null && v > max) { max = v; } });
    max = max <= 0 ? 1 : niceCeil(max);
    g.strokeStyle = "#e3e7ee"; g.fillStyle = "#5d6878"; g.font = "10px sans-serif"; g.lineWidth = 1;
    for (var i = 0; i <= 2; i++) {
      var y = pad.t + (h - pad.t - pad.b) * i / 2;
      g.beginPath(); g.moveTo(pad.l, y); g.lineTo(w - pad.r, y); g.stroke();
      g.fillText(short(max * (2 - i) / 2), 2, y + 3);
    }
    g.fillText(values.length ? values.length + " s" : "waiting for data", pad.l, h - 3);
    if (values.length < 2) { return; }
    var n = 120, step = (w - pad.l - pad.r) / (n - 1), x0 = pad.l + (n - values.length) * step;
    g.strokeStyle = COLORS[series] || "#333"; g.lineWidth = 1.6; g.beginPath();
    var pen = false;
    values.forEach(function (v, idx) {
      if (v === null) { pen = false; return; }
      var x = x0 + idx * step, y = pad.t + (h - pad.t - pad.b) * (1 - v / max);
      if (pen) { g.lineTo(x, y); } else { g.moveTo(x, y); pen = true; }
    });
    g.stroke();
  }

  function niceCeil(v) {
    var p = Math.pow(10, Math.floor(Math.log10(v))), f = v / p;
    return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * p;
  }

  function short(v) {
    return v >= 1e6 ? (v / 1e6).toFixed(1) + "M" : v >= 1e3 ? (v / 1e3).toFixed(1) + "k" : String(+v.toFixed(2));
  }

  function updateCharts(stats) {
    var samples = stats.series || [];
    document.querySelectorAll("canvas[data-series]").forEach(function (canvas) {
      var key = canvas.getAttribute("data-series");
      var values = samples.map(function (s) { return s[key] === undefined ? null : s[key]; });
      draw(canvas, key, values, samples.map(function (s) { return s.t; }));
    });
    document.querySelectorAll("[data-latest]").forEach(function (el) {
      var key = el.getAttribute("data-latest");
      var last = samples.length ? samples[samples.length - 1][key] : undefined;
      el.textContent = last === undefined || last === null ? "–" : short(last) + el.getAttribute("data-unit");
    });
  }

  var status = document.getElementById("live-status");
  var updates = 0;

  function poll() {
    fetch(STATS, { cache: "no-store" })
      .then(function (r) { if (!r.ok) { throw new Error("HTTP " + r.status); } return r.json(); })
      .then(function (stats) {
        updateTables(stats);
        updateCharts(stats);
        updates++;
        document.body.setAttribute("data-updates", String(updates));
        status.setAttribute("data-state", "live");
        status.textContent = "live · updated " + new Date().toLocaleTimeString();
      })
      .catch(function (e) {
        status.setAttribute("data-state", "error");
        status.textContent = "live data unavailable: " + e.message;
      })
      .finally(function () { setTimeout(poll, 1000); });
  }

  poll();
})();
