// The monitoring page of weir --http. It reads the JSON API
// (/api/queries, /api/queries/{id}, /api/dashboards) once, then follows
// the server-sent events of /api/events as batches finish. No build
// step: plain browser JavaScript and the vendored uPlot.
"use strict";

(function () {
  const MAX_BATCHES = 300; // as the API keeps
  const MAX_CHECKPOINTS = 50;
  const queries = new Map(); // id -> view
  const dashboards = new Map(); // table -> view
  const loading = new Set(); // ids of queries whose details are being fetched
  const $ = (sel, el) => (el || document).querySelector(sel);

  // Counters the end-to-end test reads.
  const debug = (window.weir = { batchEvents: 0, resultEvents: 0, dashboardEvents: 0, perQuery: {}, connected: false });

  // ---- formatting -------------------------------------------------------

  function fmtNum(n) {
    if (n === null || n === undefined) return "–";
    if (typeof n !== "number") return String(n);
    const a = Math.abs(n);
    if (a >= 1e9) return (n / 1e9).toFixed(2) + "G";
    if (a >= 1e6) return (n / 1e6).toFixed(2) + "M";
    if (a >= 1e4) return (n / 1e3).toFixed(1) + "k";
    return Number.isInteger(n) ? String(n) : n.toFixed(a < 10 ? 2 : 1);
  }
  function fmtBytes(n) {
    if (n === null || n === undefined) return "–";
    const u = ["B", "KiB", "MiB", "GiB", "TiB"];
    let i = 0;
    while (n >= 1024 && i < u.length - 1) { n /= 1024; i++; }
    return (i === 0 ? n : n.toFixed(1)) + " " + u[i];
  }
  function fmtMs(n) {
    if (n === null || n === undefined) return "–";
    if (Math.abs(n) >= 60000) return (n / 60000).toFixed(1) + " min";
    if (Math.abs(n) >= 1000) return (n / 1000).toFixed(2) + " s";
    return Math.round(n) + " ms";
  }
  function fmtTime(ms) {
    if (ms === null || ms === undefined) return "–";
    const d = new Date(ms);
    return d.toISOString().replace("T", " ").replace(/\.\d+Z$/, "").replace(/Z$/, "");
  }
  function fmtClock(ms) {
    return ms === null || ms === undefined ? "–" : new Date(ms).toLocaleTimeString();
  }
  function el(tag, attrs, text) {
    const e = document.createElement(tag);
    for (const k in attrs || {}) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function statusClass(s) {
    return (s || "").split(":")[0].trim();
  }

  // ---- the API ------------------------------------------------------------

  async function getJSON(path) {
    const r = await fetch(path, { credentials: "same-origin", cache: "no-store" });
    if (!r.ok) throw new Error(path + ": " + r.status + " " + (await r.text()).trim());
    return r.json();
  }

  async function loadAll() {
    try {
      const list = await getJSON("/api/queries");
      await Promise.all((list.queries || []).map((q) => loadQuery(q.id, q)));
      const d = await getJSON("/api/dashboards");
      for (const c of d.charts || []) showDashboard(c);
    } catch (e) {
      showError(e);
    }
  }

  // loadQuery fetches a query's details; summary, when given, is its entry
  // in /api/queries, whose "batches" is the count where the details'
  // "batches" are the last batches themselves.
  async function loadQuery(id, summary) {
    loading.add(id);
    let q;
    try {
      q = await getJSON("/api/queries/" + id);
    } finally {
      loading.delete(id);
    }
    const v = queryView(q.id);
    const list = Array.isArray(q.batches) ? q.batches : [];
    v.q = Object.assign({}, q, { batches: summary ? summary.batches : list.length });
    v.batches = list.slice(-MAX_BATCHES);
    v.checkpoints = (q.checkpoint_history || []).slice(-MAX_CHECKPOINTS);
    $(".q-explain", v.root).textContent = q.explain || "";
    drawGraph(v, q.graph);
    renderSummary(v);
    renderCharts(v);
    if (q.result) renderResult(v, q.result);
  }

  // showError shows a failed request above the queries for a while.
  let errorTimer = 0;
  function showError(e) {
    const p = $("#error");
    p.textContent = String((e && e.message) || e);
    p.hidden = false;
    clearTimeout(errorTimer);
    errorTimer = setTimeout(() => { p.hidden = true; }, 15000);
  }

  // ---- one query ----------------------------------------------------------

  function queryView(id) {
    let v = queries.get(id);
    if (v) return v;
    const root = $("#query-tpl").content.firstElementChild.cloneNode(true);
    root.id = "query-" + id;
    root.dataset.queryId = id;
    $(".q-id", root).textContent = id;
    v = { id, root, q: null, batches: [], checkpoints: [], charts: {}, lastCkpt: null };
    $(".q-stop", root).addEventListener("click", () => stopQuery(v));
    // Keep the cards in id order.
    const after = [...queries.keys()].filter((k) => k > id).sort((a, b) => a - b)[0];
    $("#queries").insertBefore(root, after !== undefined ? queries.get(after).root : null);
    $("#empty").hidden = true;
    const link = el("a", { href: "#query-" + id, "data-query-id": id }, "Query " + id);
    const next = [...$("#nav").children].find((a) => Number(a.dataset.queryId) > id);
    $("#nav").insertBefore(link, next || null);
    queries.set(id, v);
    return v;
  }

  async function stopQuery(v) {
    const b = $(".q-stop", v.root);
    b.disabled = true;
    b.textContent = "Stopping…";
    try {
      const r = await fetch("/api/queries/" + v.id + "/stop", { method: "POST", credentials: "same-origin" });
      if (!r.ok) throw new Error("stop: " + r.status + " " + (await r.text()).trim());
      const s = $(".q-status", v.root);
      if (s.textContent === "running") { s.textContent = "stopping"; s.className = "q-status badge stopping"; }
    } catch (e) {
      b.disabled = false;
      b.textContent = "Stop";
      showError(e);
    }
  }

  function renderSummary(v) {
    const q = v.q;
    const s = $(".q-status", v.root);
    const status = q.status || "";
    if (!(s.textContent === "stopping" && status === "running")) {
      s.textContent = status;
      s.className = "q-status badge " + statusClass(status);
    }
    $(".q-mode", v.root).textContent = q.mode || "";
    $(".q-sink", v.root).textContent = q.sink ? "→ " + q.sink : "";
    const sql = $(".q-sql", v.root);
    if (sql.textContent !== q.sql) sql.textContent = q.sql || "";
    const b = $(".q-stop", v.root);
    if (status !== "running") { b.disabled = true; b.textContent = "Stop"; }
    const last = v.batches[v.batches.length - 1];
    const ck = q.last_checkpoint;
    const rows = [
      ["rows in", fmtNum(q.rows_in), "rows_in"],
      ["rows out", fmtNum(q.rows_out), "rows_out"],
      ["batches", fmtNum(q.batches), "batches"],
      ["input rate", last ? fmtNum(last.input_rate) + " rows/s" : "–", "input_rate"],
      ["processing time", last ? fmtMs(last.processing_ms) : "–", "processing_ms"],
      ["watermark", fmtTime(q.watermark), "watermark"],
      ["watermark lag", fmtMs(q.watermark_lag_ms), "watermark_lag_ms"],
      ["late rows", fmtNum(q.late_rows), "late_rows", q.late_rows > 0],
      ["bad rows", fmtNum(q.bad_rows), "bad_rows", q.bad_rows > 0],
      ["expired keys", fmtNum(q.expired_keys), "expired_keys"],
      ["state keys", fmtNum(q.state_keys), "state_keys"],
      ["state size", fmtBytes(q.state_bytes), "state_bytes"],
      ["checkpoints", fmtNum(q.checkpoints), "checkpoints"],
      ["last checkpoint", ck ? "#" + ck.seq + " at " + fmtClock(ck.time) + ", " + fmtMs(ck.duration_ms) + ", " + fmtBytes(ck.bytes) : "–", "last_checkpoint"],
    ];
    const dl = $(".q-stats", v.root);
    dl.replaceChildren();
    for (const [k, val, field, bad] of rows) {
      dl.appendChild(el("dt", {}, k));
      const dd = el("dd", { "data-field": field }, val);
      if (bad) dd.className = "bad";
      dl.appendChild(dd);
    }
  }

  // ---- the graph ----------------------------------------------------------

  const SVG = "http://www.w3.org/2000/svg";
  function svg(tag, attrs) {
    const e = document.createElementNS(SVG, tag);
    for (const k in attrs) e.setAttribute(k, attrs[k]);
    return e;
  }

  // drawGraph lays the plan out top to bottom: each node on the row of its
  // longest path from a source, boxes sized to their labels.
  function drawGraph(v, g) {
    const box = $(".q-graph", v.root);
    box.replaceChildren();
    if (!g || !g.nodes || !g.nodes.length) return;
    const depth = new Map(g.nodes.map((n) => [n.id, 0]));
    for (let pass = 0; pass < g.nodes.length; pass++) {
      let moved = false;
      for (const [a, b] of g.edges) {
        if (depth.get(b) < depth.get(a) + 1) { depth.set(b, depth.get(a) + 1); moved = true; }
      }
      if (!moved) break;
    }
    const rows = [];
    for (const n of g.nodes) (rows[depth.get(n.id)] = rows[depth.get(n.id)] || []).push(n);
    const CH = 7.4, H = 26, GAPX = 18, GAPY = 18, MAXW = 600;
    const pos = new Map();
    let width = 0;
    rows.forEach((row, r) => {
      let x = 0;
      for (const n of row) {
        const tag = n.stateful ? 44 : 0;
        const fit = Math.floor((MAXW - 24 - tag) / CH);
        const label = n.label.length > fit ? n.label.slice(0, fit - 1) + "…" : n.label;
        const w = label.length * CH + 24 + tag;
        pos.set(n.id, { x, y: r * (H + GAPY), w, label, n });
        x += w + GAPX;
      }
      width = Math.max(width, x - GAPX);
    });
    // Centre each row.
    rows.forEach((row) => {
      const last = pos.get(row[row.length - 1].id);
      const shift = (width - (last.x + last.w)) / 2;
      for (const n of row) pos.get(n.id).x += shift;
    });
    const height = rows.length * (H + GAPY) - GAPY;
    const s = svg("svg", { width: width + 2, height: height + 2, viewBox: `-1 -1 ${width + 2} ${height + 2}`, role: "img" });
    const defs = svg("defs", {});
    const marker = svg("marker", { id: "arrow-" + v.id, viewBox: "0 0 10 10", refX: 10, refY: 5, markerWidth: 7, markerHeight: 7, orient: "auto-start-reverse" });
    marker.appendChild(svg("path", { d: "M0,0 L10,5 L0,10 z", fill: "#7a8594" }));
    defs.appendChild(marker);
    s.appendChild(defs);
    for (const [a, b] of g.edges) {
      const p = pos.get(a), q = pos.get(b);
      if (!p || !q) continue;
      const x1 = p.x + p.w / 2, y1 = p.y + H, x2 = q.x + q.w / 2, y2 = q.y;
      const my = (y1 + y2) / 2;
      s.appendChild(svg("path", { class: "edge", d: `M${x1},${y1} C${x1},${my} ${x2},${my} ${x2},${y2 - 1}`, "marker-end": `url(#arrow-${v.id})` }));
    }
    for (const p of pos.values()) {
      const gr = svg("g", { class: "node" + (p.n.stateful ? " stateful" : ""), "data-node": p.n.id, transform: `translate(${p.x},${p.y})` });
      const title = svg("title", {});
      title.textContent = p.n.label + (p.n.stateful ? "\n(keeps state)" : "");
      gr.appendChild(title);
      gr.appendChild(svg("rect", { width: p.w, height: H, rx: 4 }));
      const t = svg("text", { x: 10, y: H / 2 + 4 });
      t.textContent = p.label;
      gr.appendChild(t);
      if (p.n.stateful) {
        const tag = svg("text", { class: "tag", x: p.w - 40, y: H / 2 + 3 });
        tag.textContent = "state";
        gr.appendChild(tag);
      }
      s.appendChild(gr);
    }
    box.appendChild(s);
  }

  // ---- the per-batch charts ----------------------------------------------

  function chartWidth(div) {
    return Math.max(200, Math.floor(div.getBoundingClientRect().width || 360));
  }

  function timeChart(div, series, height) {
    const opts = {
      width: chartWidth(div),
      height: height || 150,
      legend: { show: series.length > 1 },
      cursor: { drag: { x: false, y: false } },
      scales: { x: { time: true } },
      axes: [{ size: 30 }, { size: 50 }],
      series: [{}].concat(series),
    };
    return new uPlot(opts, [[]].concat(series.map(() => [])), div);
  }

  function renderCharts(v) {
    const defs = {
      input_rate: [{ label: "rows/s", stroke: "#2463c9", fill: "rgba(36,99,201,.08)" }],
      processing_ms: [{ label: "ms", stroke: "#7b3fc4" }],
      scheduling_delay_ms: [{ label: "ms", stroke: "#c27c0e" }],
      total_delay_ms: [{ label: "ms", stroke: "#b3261e" }],
      watermark_lag_ms: [{ label: "ms", stroke: "#1d7f3b" }],
    };
    const t = v.batches.map((b) => b.time / 1000);
    for (const key in defs) {
      const div = $(`[data-chart="${key}"]`, v.root);
      if (!v.charts[key]) v.charts[key] = timeChart(div, defs[key]);
      v.charts[key].setData([t, v.batches.map((b) => (b[key] === undefined ? null : b[key]))]);
      div.dataset.points = String(t.length);
      div.dataset.last = t.length ? String(v.batches[t.length - 1][key]) : "";
    }
    const ck = $('[data-chart="checkpoints"]', v.root);
    if (!v.charts.checkpoints) {
      v.charts.checkpoints = timeChart(ck, [
        { label: "duration ms", stroke: "#2463c9", scale: "ms", points: { show: true } },
        { label: "bytes", stroke: "#888", scale: "bytes", dash: [4, 3], value: (u, x) => fmtBytes(x) },
      ], 130);
    }
    const c = v.checkpoints;
    v.charts.checkpoints.setData([c.map((x) => x.time / 1000), c.map((x) => x.duration_ms), c.map((x) => x.bytes)]);
    ck.dataset.points = String(c.length);
    const last = c[c.length - 1];
    $(".q-ckpt", v.root).textContent = last
      ? `last success #${last.seq} at ${fmtClock(last.time)}: ${fmtMs(last.duration_ms)}, ${fmtBytes(last.bytes)}`
      : "no checkpoint yet";
  }

  // ---- the result table -----------------------------------------------------

  function renderResult(v, res) {
    const box = $(".q-result", v.root);
    const changed = new Set(res.changed || []);
    const t = el("table", { class: "result" });
    const head = el("tr");
    for (const c of res.columns || []) head.appendChild(el("th", {}, c));
    t.appendChild(el("thead")).appendChild(head);
    const body = t.appendChild(el("tbody"));
    (res.rows || []).forEach((row, i) => {
      const tr = el("tr");
      if (changed.has(i)) tr.className = "changed";
      for (const cell of row) {
        const td = el("td", {}, cell === null ? "NULL" : typeof cell === "object" ? JSON.stringify(cell) : String(cell));
        if (typeof cell === "number") td.className = "num";
        tr.appendChild(td);
      }
      body.appendChild(tr);
    });
    box.replaceChildren(t);
    box.dataset.rows = String((res.rows || []).length);
    const n = (res.rows || []).length;
    $(".q-result-note", v.root).textContent = res.updating
      ? `current result, changelog applied: ${n} rows${res.truncated ? " (first 1000)" : ""}; rows changed by the last batch are highlighted`
      : `last ${n} rows emitted, newest first${res.truncated ? " (of more)" : ""}`;
  }

  // ---- dashboards (the dashboard sink) ---------------------------------------

  const PALETTE = ["#2463c9", "#c2410c", "#15803d", "#7b3fc4", "#b91c1c", "#0e7490", "#a16207", "#be185d", "#4d7c0f", "#475569"];

  function showDashboard(c) {
    $("#dashboards").hidden = false;
    let d = dashboards.get(c.table);
    if (!d) {
      const fig = el("figure", { "data-dashboard": c.table });
      fig.appendChild(el("figcaption", {}, c.table));
      const div = fig.appendChild(el("div", { class: "chart" }));
      $("#charts").appendChild(fig);
      d = { fig, div, plot: null, key: "" };
      dashboards.set(c.table, d);
    }
    $("figcaption", d.fig).textContent = `${c.table}: ${c.y} by ${c.x}${c.series ? " per " + c.series : ""}`;
    d.div.dataset.points = String((c.points || []).length);
    if (c.chart === "table") return dashboardTable(d, c);
    const isTime = c.x_type === "timestamp";
    const isNum = isTime || c.x_type === "number";
    const pts = c.points || [];
    // Series, in order of appearance; x values, sorted.
    const names = [];
    const seen = new Map();
    for (const p of pts) {
      const s = p.series === null || p.series === undefined ? (c.series ? "NULL" : c.y) : String(p.series);
      if (!seen.has(s)) { seen.set(s, names.length); names.push(s); }
    }
    const xsRaw = [...new Set(pts.map((p) => p.x))];
    if (isNum) xsRaw.sort((a, b) => a - b);
    const xi = new Map(xsRaw.map((x, i) => [x, i]));
    const cols = names.map(() => xsRaw.map(() => null));
    for (const p of pts) {
      const s = seen.get(p.series === null || p.series === undefined ? (c.series ? "NULL" : c.y) : String(p.series));
      cols[s][xi.get(p.x)] = p.y;
    }
    // Bars, and x values that are not numbers, stand at 0, 1, 2, ...
    // labelled with their values.
    const bar = c.chart === "bar";
    const categorical = bar || !isNum;
    const xs = categorical ? xsRaw.map((_, i) => i) : xsRaw.map((x) => (isTime ? x / 1000 : x));
    d.labels = xsRaw.map((x) => (x === null ? "NULL" : isTime ? fmtClock(x) : String(x)));
    const key = c.chart + "|" + names.join("\u0000") + "|" + categorical + "|" + isTime;
    if (!d.plot || d.key !== key) {
      if (d.plot) d.plot.destroy();
      d.div.replaceChildren();
      const n = Math.max(1, names.length);
      const series = names.map((name, i) => {
        const s = { label: name, stroke: PALETTE[i % PALETTE.length], width: 1.5, spanGaps: true };
        if (bar) {
          s.fill = PALETTE[i % PALETTE.length] + "cc";
          s.paths = barPaths(i, n);
          s.points = { show: false };
        }
        return s;
      });
      const xAxis = { size: 30 };
      const xSeries = { label: c.x };
      if (categorical) {
        xAxis.values = (u, splits) => splits.map((v) => (Number.isInteger(v) && d.labels[v] !== undefined ? d.labels[v] : ""));
        xSeries.value = (u, v) => (v === null || d.labels[v] === undefined ? "--" : d.labels[v]);
      }
      const scales = { x: categorical ? { time: false, range: (u, min, max) => [min - 0.5, max + 0.5] } : { time: isTime } };
      if (bar) scales.y = { range: (u, min, max) => [Math.min(0, min), max > 0 ? max * 1.08 : 1] };
      d.plot = new uPlot({
        width: chartWidth(d.div), height: 180, scales,
        axes: [xAxis, { size: 50 }],
        series: [xSeries].concat(series),
      }, [xs].concat(cols), d.div);
      d.key = key;
    } else {
      d.plot.setData([xs].concat(cols));
    }
  }

  // barPaths draws series k of n as bars side by side around each x.
  function barPaths(k, n) {
    return (u, sidx, i0, i1) => {
      const p = new Path2D();
      const xd = u.data[0], yd = u.data[sidx];
      const step = Math.abs(u.valToPos(1, "x", true) - u.valToPos(0, "x", true));
      const bw = Math.max(1, (step * 0.8) / n);
      const y0 = u.valToPos(0, "y", true);
      for (let i = i0; i <= i1; i++) {
        const v = yd[i];
        if (v === null || v === undefined) continue;
        const x = u.valToPos(xd[i], "x", true) - step * 0.4 + k * bw;
        const y = u.valToPos(v, "y", true);
        p.rect(x, Math.min(y, y0), Math.max(1, bw - 1), Math.abs(y0 - y));
      }
      return { stroke: p, fill: p };
    };
  }

  function dashboardTable(d, c) {
    if (d.plot) { d.plot.destroy(); d.plot = null; d.key = ""; }
    const t = el("table", { class: "result" });
    const head = el("tr");
    for (const h of [c.x].concat(c.series ? [c.series] : [], [c.y])) head.appendChild(el("th", {}, h));
    t.appendChild(el("thead")).appendChild(head);
    const body = t.appendChild(el("tbody"));
    for (const p of (c.points || []).slice().reverse().slice(0, 200)) {
      const tr = el("tr");
      const vals = [c.x_type === "timestamp" ? fmtTime(p.x) : p.x].concat(c.series ? [p.series] : [], [p.y]);
      for (const x of vals) tr.appendChild(el("td", {}, x === null ? "NULL" : String(x)));
      body.appendChild(tr);
    }
    const box = el("div", { class: "q-result" });
    box.appendChild(t);
    d.div.replaceChildren(box);
  }

  // ---- the event stream -------------------------------------------------------

  function onBatch(ev) {
    const m = JSON.parse(ev.data);
    debug.batchEvents++;
    debug.perQuery[m.query] = (debug.perQuery[m.query] || 0) + 1;
    const v = queries.get(m.query);
    if (!v || !v.q) { if (!loading.has(m.query)) loadQuery(m.query).catch(showError); return; }
    v.q = Object.assign(v.q, m.query_summary);
    v.batches.push(m.batch);
    if (v.batches.length > MAX_BATCHES) v.batches.splice(0, v.batches.length - MAX_BATCHES);
    const ck = v.q.last_checkpoint;
    const lastKept = v.checkpoints[v.checkpoints.length - 1];
    if (ck && (!lastKept || ck.seq !== lastKept.seq)) {
      v.checkpoints.push(ck);
      if (v.checkpoints.length > MAX_CHECKPOINTS) v.checkpoints.shift();
    }
    renderSummary(v);
    renderCharts(v);
  }

  function onResult(ev) {
    const m = JSON.parse(ev.data);
    debug.resultEvents++;
    const v = queries.get(m.query);
    if (v) renderResult(v, m.result);
  }

  function onStatus(ev) {
    const q = JSON.parse(ev.data);
    const v = queries.get(q.id);
    if (!v || !v.q) { if (!loading.has(q.id)) loadQuery(q.id).catch(showError); return; }
    v.q = Object.assign(v.q, q);
    renderSummary(v);
  }

  function onDashboard(ev) {
    debug.dashboardEvents++;
    showDashboard(JSON.parse(ev.data));
  }

  function connect() {
    const es = new EventSource("/api/events");
    const c = $("#conn");
    es.onopen = () => {
      c.textContent = "live";
      c.className = "conn live";
      debug.connected = true;
      loadAll(); // catch up on what happened while not connected
    };
    es.onerror = () => {
      c.textContent = es.readyState === EventSource.CLOSED ? "disconnected" : "reconnecting…";
      c.className = "conn down";
      debug.connected = false;
    };
    es.addEventListener("batch", onBatch);
    es.addEventListener("result", onResult);
    es.addEventListener("status", onStatus);
    es.addEventListener("dashboard", onDashboard);
  }

  // Charts follow the width of their boxes.
  let resizeTimer = 0;
  window.addEventListener("resize", () => {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(() => {
      for (const v of queries.values()) {
        for (const key in v.charts) {
          const u = v.charts[key];
          u.setSize({ width: chartWidth(u.root.parentElement), height: u.height });
        }
      }
      for (const d of dashboards.values()) if (d.plot) d.plot.setSize({ width: chartWidth(d.div), height: 180 });
    }, 150);
  });

  connect();
})();
