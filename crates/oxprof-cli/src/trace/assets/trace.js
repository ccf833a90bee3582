// oxprof trace's web UI. The view and the timeline's range live in the page's address. The
// timeline asks the server for the visible window at the canvas's resolution (slices narrower
// than a pixel come merged) and draws it on a canvas; while a new window is on its way the old
// one is drawn at the new scale. When a view is drawn, the body's data-rendered attribute names
// it with a count, and data-range holds the timeline's range (ns since the trace's start).
"use strict";

const $ = (id) => document.getElementById(id);
const AXIS = 22, COUNTER = 36, TASK_ROW = 12, CPU = 8, LOGS = 8, ROW = 16;

let meta = null;
let renderCount = 0;
let from = 0, to = 1;        // the timeline's range, ns since the start
let data = null;             // the last window answered
let hits = [];               // what was drawn where: for clicks and tooltips
let rows = [];               // the timeline's rows, top to bottom
let pending = 0;             // the latest window request's number
let fetchTimer = null;

// ---- formatting ----------------------------------------------------------------------------

function trimZeros(s) { return s.replace(/\.0+$/, "").replace(/(\.\d*?)0+$/, "$1"); }

function fmtNs(ns) {
  const a = Math.abs(ns);
  for (const [d, u] of [[1e9, "s"], [1e6, "ms"], [1e3, "µs"]]) {
    if (a >= d) return trimZeros((ns / d).toFixed(a >= 100 * d ? 0 : a >= 10 * d ? 1 : 2)) + u;
  }
  return Math.round(ns) + "ns";
}

function pct(v, total) { return total ? (100 * v / total).toFixed(1) + "%" : ""; }

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") e.className = v;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v);
  }
  for (const c of children) if (c !== null && c !== undefined) e.append(c);
  return e;
}

function rendered(view) {
  renderCount += 1;
  document.body.dataset.rendered = view + ":" + renderCount;
}

function showError(message) {
  $("error").textContent = message || "";
  $("error").hidden = !message;
}

async function getJSON(url) {
  const response = await fetch(url);
  const body = await response.json();
  if (!response.ok) throw new Error(body.error || response.statusText);
  return body;
}

function hue(s) {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (h * 31 + s.charCodeAt(i)) >>> 0;
  return h % 360;
}

// ---- the address ---------------------------------------------------------------------------

function params() { return new URLSearchParams(location.search); }
function currentView() { return params().get("view") || "timeline"; }

function setAddress(changes, push) {
  const p = params();
  for (const [k, v] of Object.entries(changes)) {
    if (v === null || v === undefined || v === "") p.delete(k); else p.set(k, v);
  }
  const q = p.toString();
  const url = location.pathname + (q ? "?" + q : "");
  if (push) history.pushState(null, "", url); else history.replaceState(null, "", url);
}

// ---- the timeline's layout -----------------------------------------------------------------

function layout() {
  rows = [];
  let y = AXIS;
  meta.counters.forEach((name, i) => {
    rows.push({ kind: "counter", index: i, y, h: COUNTER, label: name });
    y += COUNTER;
  });
  if (meta.task_rows) {
    const h = meta.task_rows * TASK_ROW + 4;
    rows.push({ kind: "tasks", y, h, label: "Tasks (" + meta.tasks + ")" });
    y += h;
  }
  for (const t of meta.threads) {
    const r = { kind: "lane", lane: t.lane, y, label: (t.name || "thread") + " " + t.tid, tid: t.tid };
    r.cpuY = y; y += t.cpu ? CPU : 0;
    r.logY = y; y += LOGS;
    r.sliceY = y; y += Math.max(1, t.depth) * ROW + 4;
    r.h = y - r.y;
    rows.push(r);
  }
  const labels = $("labels");
  labels.replaceChildren(el("div", { style: `height:${AXIS}px` }));
  for (const r of rows) {
    const attrs = { style: `height:${r.h}px;line-height:${Math.min(r.h, ROW + LOGS)}px`, title: r.label };
    if (r.kind === "lane") { attrs.class = "lane-label"; attrs["data-tid"] = r.tid; attrs["data-lane"] = r.lane; }
    else attrs.class = "row-label";
    labels.append(el("div", attrs, r.label));
  }
  return y;
}

function sizeCanvas() {
  const canvas = $("canvas");
  const height = layout();
  const width = Math.max(100, $("canvas-box").clientWidth);
  const ratio = window.devicePixelRatio || 1;
  canvas.width = width * ratio;
  canvas.height = height * ratio;
  canvas.style.width = width + "px";
  canvas.style.height = height + "px";
  canvas.getContext("2d").setTransform(ratio, 0, 0, ratio, 0, 0);
}

// ---- drawing -------------------------------------------------------------------------------

function canvasWidth() { return parseFloat($("canvas").style.width) || 100; }
function xOf(t) { return (t - from) / (to - from) * canvasWidth(); }

function niceStep(span, px) {
  const raw = span / Math.max(1, px / 100);
  const p = Math.pow(10, Math.floor(Math.log10(raw)));
  for (const m of [1, 2, 5, 10]) if (m * p >= raw) return m * p;
  return 10 * p;
}

function draw() {
  const canvas = $("canvas");
  const ctx = canvas.getContext("2d");
  const W = canvasWidth(), H = parseFloat(canvas.style.height);
  ctx.clearRect(0, 0, W, H);
  hits = [];
  // Axis.
  ctx.fillStyle = "#f3f3f3"; ctx.fillRect(0, 0, W, AXIS);
  ctx.fillStyle = "#444"; ctx.strokeStyle = "#e4e4e4"; ctx.font = "11px sans-serif";
  const step = niceStep(to - from, W);
  // Deep in a long trace, times alike to three digits: ticks say how far past the first one.
  const first = Math.ceil(from / step) * step;
  const relative = first > 0 && step * 100 < first;
  for (let t = first; t < to; t += step) {
    const x = Math.round(xOf(t)) + 0.5;
    ctx.beginPath(); ctx.moveTo(x, AXIS - 6); ctx.lineTo(x, H); ctx.stroke();
    ctx.fillText(relative && t > first ? "+" + fmtNs(t - first) : fmtNs(t), x + 2, 13);
  }
  if (!data) return;
  const names = data.names;
  for (const r of rows) {
    ctx.strokeStyle = "#ddd";
    ctx.beginPath(); ctx.moveTo(0, r.y + r.h - 0.5); ctx.lineTo(W, r.y + r.h - 0.5); ctx.stroke();
    if (r.kind === "counter") drawCounter(ctx, r, data.counters[r.index] || []);
    else if (r.kind === "tasks") drawTasks(ctx, r, data.tasks, names);
  }
  const laneRow = new Map(rows.filter((r) => r.kind === "lane").map((r) => [r.lane, r]));
  for (const lw of data.lanes) {
    const r = laneRow.get(lw.lane);
    if (r) drawLane(ctx, r, lw, names);
  }
  // Flows: from the release to the end of the wait it ended.
  ctx.strokeStyle = "rgba(200, 40, 40, 0.8)"; ctx.fillStyle = "rgba(200, 40, 40, 0.8)";
  for (const [fromLane, fromTime, toLane, toTime, depth] of data.flows) {
    const a = laneRow.get(fromLane), b = laneRow.get(toLane);
    if (!a || !b) continue;
    const x1 = xOf(fromTime), y1 = a.sliceY + ROW / 2, x2 = xOf(toTime), y2 = b.sliceY + depth * ROW + ROW / 2;
    ctx.beginPath(); ctx.moveTo(x1, y1); ctx.lineTo(x2, y2); ctx.stroke();
    const ang = Math.atan2(y2 - y1, x2 - x1);
    ctx.beginPath(); ctx.moveTo(x2, y2);
    ctx.lineTo(x2 - 6 * Math.cos(ang - 0.4), y2 - 6 * Math.sin(ang - 0.4));
    ctx.lineTo(x2 - 6 * Math.cos(ang + 0.4), y2 - 6 * Math.sin(ang + 0.4));
    ctx.fill();
  }
  if (selection) {
    const x1 = xOf(Math.min(selection[0], selection[1])), x2 = xOf(Math.max(selection[0], selection[1]));
    ctx.fillStyle = "rgba(60, 120, 220, 0.15)"; ctx.fillRect(x1, AXIS, x2 - x1, H - AXIS);
    ctx.strokeStyle = "rgba(60, 120, 220, 0.8)"; ctx.strokeRect(x1 + 0.5, AXIS, x2 - x1, H - AXIS);
  }
}

function drawCounter(ctx, r, points) {
  if (!points.length) return;
  let max = 0;
  for (const p of points) max = Math.max(max, p[2]);
  const y = (v) => r.y + r.h - 3 - (max ? v / max : 0) * (r.h - 8);
  ctx.fillStyle = "rgba(70, 130, 180, 0.35)"; ctx.strokeStyle = "rgb(70, 130, 180)";
  ctx.beginPath(); ctx.moveTo(Math.max(0, xOf(points[0][0])), r.y + r.h - 3);
  for (let i = 0; i < points.length; i++) {
    const x = Math.max(0, xOf(points[i][0]));
    // A value holds until the next one; the last one to the window's edge.
    const next = i + 1 < points.length ? Math.max(0, xOf(points[i + 1][0])) : canvasWidth();
    ctx.lineTo(x, y(points[i][2])); ctx.lineTo(next, y(points[i][2]));
  }
  ctx.lineTo(canvasWidth(), r.y + r.h - 3);
  ctx.fill(); ctx.stroke();
  ctx.fillStyle = "#333"; ctx.font = "10px sans-serif";
  ctx.fillText("max " + fmtValue(r.label, max), 4, r.y + 10);
  hits.push({ x: 0, y: r.y, w: canvasWidth(), h: r.h, tip: r.label + ": up to " + fmtValue(r.label, max) + " in view" });
}

function fmtValue(name, v) {
  if (/bytes/.test(name)) {
    for (const [d, u] of [[2 ** 30, "GB"], [2 ** 20, "MB"], [2 ** 10, "kB"]]) if (v >= d) return (v / d).toFixed(1) + u;
    return v + "B";
  }
  return String(v);
}

function drawBox(ctx, x, y, w, h, color, label, merged) {
  ctx.fillStyle = color;
  ctx.fillRect(x, y, w, h);
  if (merged && w > 4) {
    ctx.strokeStyle = "rgba(255,255,255,0.5)";
    ctx.beginPath();
    for (let s = x - h; s < x + w; s += 6) { ctx.moveTo(Math.max(x, s), y + Math.max(0, x - s)); ctx.lineTo(Math.min(x + w, s + h), y + h - Math.max(0, s + h - x - w)); }
    ctx.stroke();
  }
  if (w > 30 && label) {
    ctx.save();
    ctx.beginPath(); ctx.rect(x, y, w, h); ctx.clip();
    ctx.fillStyle = "#111"; ctx.font = "11px sans-serif";
    ctx.fillText(label, Math.max(x, 0) + 3, y + h - 4);
    ctx.restore();
  }
}

function span(start, end) {
  const W = canvasWidth();
  const x1 = Math.max(-1, xOf(start)), x2 = Math.min(W + 1, xOf(end));
  return [x1, Math.max(1, x2 - x1)];
}

function drawTasks(ctx, r, tasks, names) {
  for (const [start, end, row, index, count, id, name] of tasks) {
    const [x, w] = span(start, end);
    const y = r.y + 2 + row * TASK_ROW;
    const n = names[name] || "";
    const merged = count > 1;
    drawBox(ctx, x, y, w, TASK_ROW - 2, `hsl(${hue(n)}, 45%, ${merged ? 80 : 72}%)`, merged ? "" : n + " " + id, merged);
    hits.push({ x, y, w, h: TASK_ROW - 2, kind: merged ? "block" : "task", index, start, end,
      tip: merged ? count + " tasks (merged): zoom in" : `task ${id} ${n}\n${fmtNs(end - start)}` });
  }
}

function drawLane(ctx, r, lw, names) {
  // CPU share: the thread's CPU use between counter samples.
  if (lw.cpu.length) {
    ctx.fillStyle = "rgba(60, 160, 60, 0.7)";
    let prev = from;
    for (const [t, share] of lw.cpu) {
      const x1 = xOf(prev), x2 = xOf(t);
      ctx.fillRect(x1, r.cpuY + CPU * (1 - share), Math.max(1, x2 - x1), CPU * share);
      prev = t;
    }
  }
  for (const [t, count, category, message] of lw.logs) {
    const x = xOf(t);
    ctx.fillStyle = "#b36b00";
    ctx.beginPath(); ctx.moveTo(x, r.logY + LOGS); ctx.lineTo(x - 4, r.logY + 1); ctx.lineTo(x + 4, r.logY + 1); ctx.fill();
    hits.push({ x: x - 4, y: r.logY, w: 8, h: LOGS, tip: count > 1 ? count + " logs" : `log ${names[category] || ""}: ${names[message] || ""}` });
  }
  for (const [start, end, depth, index, count, busy, kind, name] of lw.items) {
    const [x, w] = span(start, end);
    const y = r.sliceY + depth * ROW;
    const n = names[name] || "";
    const merged = count > 1;
    const color = kind === 1 ? (merged ? "#e8b0b0" : "#d9534f") : `hsl(${hue(n)}, 55%, ${merged ? 78 : 68}%)`;
    const label = merged ? "" : (kind === 1 ? "wait " : "") + n;
    drawBox(ctx, x, y, w, ROW - 2, color, label, merged);
    const tip = merged
      ? `${count} slices (merged), busy ${pct(busy, end - start)} of ${fmtNs(end - start)}: click to zoom in`
      : `${kind === 1 ? "wait: " : ""}${n}\n${fmtNs(end - start)}`;
    hits.push({ x, y, w, h: ROW - 2, kind: merged ? "block" : "slice", lane: lw.lane, index, start, end, name: n, tip });
  }
}

// ---- fetching windows ----------------------------------------------------------------------

function showRange() {
  $("range").textContent = fmtNs(from) + " – " + fmtNs(to) + " (" + fmtNs(to - from) + ")";
  document.body.dataset.range = Math.round(from) + "-" + Math.round(to);
}

// Sets the range, draws what is known at once and asks for the window.
function setRange(a, b) {
  const min = 1000;
  let lo = Math.round(a), hi = Math.round(b);
  if (hi - lo < min) { const mid = (lo + hi) / 2; lo = Math.round(mid - min / 2); hi = lo + min; }
  const span = hi - lo;
  if (lo < 0) { lo = 0; hi = span; }
  if (hi > meta.duration) { hi = meta.duration; lo = Math.max(0, hi - span); }
  from = lo; to = Math.max(hi, lo + 1);
  setAddress({ from, to });
  showRange();
  draw();
  clearTimeout(fetchTimer);
  fetchTimer = setTimeout(fetchWindow, 16);
}

async function fetchWindow() {
  const n = ++pending;
  const width = Math.round(canvasWidth());
  try {
    const w = await getJSON(`api/window?from=${from}&to=${to}&width=${width}`);
    if (n !== pending) return;
    data = w;
    showError(w.truncated ? "Too much to show at once: some lanes are cut short; zoom in." : "");
    draw();
    rendered("timeline");
  } catch (e) {
    if (n === pending) showError(e.message);
  }
}

function zoom(factor, at) {
  const t = at === undefined ? (from + to) / 2 : at;
  setRange(t - (t - from) * factor, t + (to - t) * factor);
}

function pan(fraction) {
  const d = (to - from) * fraction;
  setRange(from + d, to + d);
}

// ---- interaction ---------------------------------------------------------------------------

let drag = null;
let selection = null;

function timeAt(clientX) {
  const rect = $("canvas").getBoundingClientRect();
  return from + (clientX - rect.left) / rect.width * (to - from);
}

function hitAt(clientX, clientY) {
  const rect = $("canvas").getBoundingClientRect();
  const x = clientX - rect.left, y = clientY - rect.top;
  for (let i = hits.length - 1; i >= 0; i--) {
    const h = hits[i];
    if (x >= h.x - 1 && x <= h.x + h.w + 1 && y >= h.y && y <= h.y + h.h) return h;
  }
  return null;
}

function setupTimeline() {
  const canvas = $("canvas");
  canvas.addEventListener("wheel", (e) => {
    e.preventDefault();
    if (e.shiftKey || Math.abs(e.deltaX) > Math.abs(e.deltaY)) pan((e.deltaX || e.deltaY) / 1000);
    else zoom(Math.exp(e.deltaY * 0.002), timeAt(e.clientX));
  }, { passive: false });
  canvas.addEventListener("mousedown", (e) => {
    drag = { x: e.clientX, t: timeAt(e.clientX), from, to, select: e.shiftKey, moved: false };
    if (drag.select) selection = [drag.t, drag.t];
  });
  window.addEventListener("mousemove", (e) => {
    if (drag) {
      if (Math.abs(e.clientX - drag.x) > 3) drag.moved = true;
      if (drag.select) { selection[1] = timeAt(e.clientX); draw(); }
      else if (drag.moved) {
        const dt = (e.clientX - drag.x) / canvasWidth() * (drag.to - drag.from);
        setRange(drag.from - dt, drag.to - dt);
      }
      return;
    }
    const tip = $("tooltip");
    const h = e.target === canvas ? hitAt(e.clientX, e.clientY) : null;
    if (h && h.tip) {
      tip.textContent = h.tip; tip.hidden = false;
      tip.style.left = (e.clientX + 12) + "px"; tip.style.top = (e.clientY + 12) + "px";
    } else tip.hidden = true;
  });
  window.addEventListener("mouseup", (e) => {
    const d = drag;
    drag = null;
    if (!d) return;
    if (d.select) {
      if (d.moved) summarize(Math.min(...selection), Math.max(...selection));
      else { selection = null; draw(); }
      return;
    }
    if (!d.moved && e.target === canvas) click(hitAt(e.clientX, e.clientY));
  });
  window.addEventListener("keydown", (e) => {
    if (currentView() !== "timeline" || e.target.tagName === "INPUT") return;
    const keys = { w: () => zoom(0.7), "+": () => zoom(0.7), s: () => zoom(1 / 0.7), "-": () => zoom(1 / 0.7),
      a: () => pan(-0.2), d: () => pan(0.2), 0: () => setRange(0, meta.duration) };
    const f = keys[e.key.toLowerCase()];
    if (f) { e.preventDefault(); f(); }
  });
  $("zoom-in").onclick = () => zoom(0.5);
  $("zoom-out").onclick = () => zoom(2);
  $("pan-left").onclick = () => pan(-0.25);
  $("pan-right").onclick = () => pan(0.25);
  $("zoom-reset").onclick = () => setRange(0, meta.duration);
  window.addEventListener("resize", () => {
    if (meta && currentView() === "timeline") { sizeCanvas(); draw(); fetchWindow(); }
  });
}

async function click(h) {
  if (!h || !h.kind) return;
  if (h.kind === "block") {
    const pad = (h.end - h.start) * 0.05;
    setRange(h.start - pad, h.end + pad);
    return;
  }
  try {
    const d = h.kind === "task"
      ? await getJSON(`api/task?index=${h.index}`)
      : await getJSON(`api/slice?lane=${h.lane}&index=${h.index}`);
    showDetails(h.kind, d);
  } catch (e) { showError(e.message); }
}

function dl(pairs) {
  const list = el("dl");
  for (const [k, v] of pairs) if (v !== null && v !== undefined && v !== "") list.append(el("dt", {}, k), el("dd", {}, v));
  return list;
}

function taskText(t) {
  if (!t) return null;
  return `${t.id}${t.name ? " " + t.name : ""}` + (t.start !== undefined ? ` (${fmtNs(t.start)} – ${fmtNs(t.end)}${t.ended ? "" : ", not ended"})` : "");
}

function showDetails(kind, d) {
  const box = $("details");
  if (kind === "task") {
    box.replaceChildren(el("h3", { id: "details-title" }, "Task " + d.id + " " + (d.name || "")),
      dl([["Start", fmtNs(d.start)], ["End", d.ended ? fmtNs(d.end) : "not ended in the trace"],
        ["Duration", fmtNs(d.end - d.start)], ["Parent", d.parent ? String(d.parent) : ""],
        ["Began on", d.start_thread ? "thread " + d.start_thread : "before the trace"],
        ["Ended on", d.end_thread ? "thread " + d.end_thread : ""]]));
  } else {
    const pairs = [["Kind", d.kind], ["Name", d.name], ["Thread", `${d.thread || "thread"} ${d.tid}`],
      ["Start", fmtNs(d.start)], ["Duration", fmtNs(d.duration)], ["Task", taskText(d.task)],
      ["Inside", d.regions_around.join(" < ")]];
    if (d.kind === "wait") pairs.push(["Object", d.object]);
    if (d.released_by) {
      const r = d.released_by;
      pairs.push(["Released by", `${r.thread || "thread"} ${r.tid} at ${fmtNs(r.time)}`],
        ["Woken, waiting for a CPU", fmtNs(r.woken_for)]);
    }
    box.replaceChildren(el("h3", { id: "details-title" }, (d.kind === "wait" ? "Wait: " : "Region: ") + d.name), dl(pairs));
    if (d.stack && d.stack.length) box.append(el("h4", {}, "Stack of the wait"), el("pre", { id: "details-stack" }, d.stack.join("\n")));
    if (d.released_by && d.released_by.stack.length) box.append(el("h4", {}, "Stack of the release"), el("pre", {}, d.released_by.stack.join("\n")));
  }
  box.dataset.shown = kind + ":" + (d.name || d.id);
}

async function summarize(a, b) {
  a = Math.max(0, Math.round(a)); b = Math.min(meta.duration, Math.round(b));
  if (b <= a) return;
  try {
    const s = await getJSON(`api/summary?from=${a}&to=${b}`);
    const box = $("summary");
    box.replaceChildren(el("h3", {}, `${fmtNs(a)} – ${fmtNs(b)} (${fmtNs(b - a)})`),
      threadsTable(s, true), regionsTable(s.regions));
    rendered("summary");
  } catch (e) { showError(e.message); }
}

// ---- analyses ------------------------------------------------------------------------------

function table(head, rowsOut, id) {
  const t = el("table", id ? { id } : {});
  t.append(el("thead", {}, el("tr", {}, ...head.map((h, i) => el("th", i === 0 || h === "Name" ? { class: "name" } : {}, h)))));
  const body = el("tbody");
  for (const r of rowsOut) body.append(r);
  t.append(body);
  return t;
}

function tr(cells, cls) {
  return el("tr", cls ? { class: cls } : {}, ...cells.map((c, i) => el("td", i === 0 ? { class: "name" } : {}, c)));
}

function threadsTable(s, compact) {
  const rowsOut = [];
  for (const t of s.threads) {
    if (!t.alive) continue;
    rowsOut.push(tr([`${t.name || "thread"} ${t.tid}`, fmtNs(t.alive), fmtNs(t.in_regions), fmtNs(t.outside),
      fmtNs(t.blocked), fmtNs(t.runnable), t.on_cpu === null ? "–" : fmtNs(t.on_cpu)]));
    for (const [reason, object, count, blocked, runnable] of t.waits.slice(0, compact ? 3 : 20)) {
      rowsOut.push(tr([`  blocked on ${reason} ${object === "0x0" ? "" : object} (${count})`, "", "", "", fmtNs(blocked), fmtNs(runnable), ""], "sub"));
    }
  }
  return table(["Thread", "Alive", "Running in regions", "Outside regions", "Blocked", "Runnable after wake-up", "On CPU"], rowsOut, compact ? null : "threads-table");
}

function regionsTable(regions) {
  return table(["Region", "Count", "Time", "Self time"],
    regions.map(([name, count, total, self]) => tr([name, String(count), fmtNs(total), fmtNs(self)])));
}

const NOTE = "Running in regions is the time inside regions minus the regions and waits inside them. " +
  "Blocked is time in waits on oxprof::sync primitives until the release that ended them; from the release " +
  "to the end of the wait the thread was runnable (woken, waiting for a CPU). Outside regions is everything " +
  "else: running uninstrumented code, or blocked (I/O, sleep, foreign locks) or runnable where no event " +
  "says — the events cannot tell these apart. On CPU comes from the thread CPU counters when recorded.";

async function renderAnalysis(view) {
  const box = $("analysis-view");
  box.replaceChildren(el("p", { class: "muted" }, "Computing…"));
  try {
    if (view === "threads") {
      const s = await getJSON("api/summary");
      box.replaceChildren(el("h2", {}, "Time per thread, over the whole trace"), el("p", { class: "note" }, NOTE),
        threadsTable(s, false), el("h2", {}, "Time per region name"), regionsTable(s.regions));
    } else if (view === "tasks") {
      const s = await getJSON("api/summary");
      const rowsOut = s.tasks.map(([id, name, spanNs, inRegions, blocked, runnable, regions]) =>
        tr([`${id} ${name}`, fmtNs(spanNs), fmtNs(inRegions), fmtNs(blocked), fmtNs(runnable), fmtNs(Math.max(0, spanNs - inRegions - blocked - runnable)), String(regions)]));
      box.replaceChildren(el("h2", {}, `Tasks (${s.task_count}${s.task_count > s.tasks.length ? ", the longest " + s.tasks.length : ""})`),
        el("p", { class: "note" }, "Time of each task in its regions, on any thread: running, blocked, runnable after a wake-up. " +
          "Outside its regions the task was queued, idle or running uninstrumented code: the events do not say which."),
        table(["Task", "Duration", "Running in regions", "Blocked", "Runnable", "Outside regions", "Regions"], rowsOut, "tasks-table"));
    } else if (view === "latency") {
      const l = await getJSON("api/latency");
      const rowsOut = l.latencies.map((x) => {
        const max = Math.max(...x.buckets.map((b) => b[1]));
        const hist = el("div", { class: "hist", title: x.buckets.map((b) => `≥${fmtNs(b[0])}: ${b[1]}`).join("\n") },
          ...x.buckets.map((b) => el("span", { style: `height:${b[1] ? Math.max(2, 28 * b[1] / max) : 0}px` })));
        return tr([`${x.of} ${x.name}`, String(x.count), fmtNs(x.p50), fmtNs(x.p90), fmtNs(x.p99), fmtNs(x.max),
          `${fmtNs(x.buckets[0][0])}…`, hist]);
      });
      box.replaceChildren(el("h2", {}, "Latency of regions and tasks"),
        el("p", { class: "note" }, "Percentiles are nearest-rank; buckets are 1-2-5 per decade. Regions and tasks cut by either end of the trace are left out."),
        table(["Name", "Count", "p50", "p90", "p99", "Max", "From", "Histogram (log scale)"], rowsOut, "latency-table"));
    } else if (view === "blocking") {
      const items = [["all", meta.reasons.reduce((a, r) => a + r[1], 0), meta.reasons.reduce((a, r) => a + r[2], 0)], ...meta.reasons];
      const rowsOut = meta.reasons.length ? items.map(([reason, count, total]) => {
        const key = encodeURIComponent(reason);
        return tr([reason === "all" ? "every wait" : reason, String(count), fmtNs(total),
          el("span", {}, el("a", { href: `profile/wait/${key}/`, class: "open-profile" }, "open in the analyzer"), " · ",
            el("a", { href: `pprof/wait/${key}.pb.gz`, download: `wait-${reason}.pb.gz` }, "download .pb.gz"))]);
      }) : [];
      box.replaceChildren(el("h2", {}, "Blocking profiles"),
        el("p", { class: "note" }, "Waits on oxprof::sync primitives by stack, as pprof profiles (contentions and delay). " +
          "Sleeps and I/O appear only when the program records them as waits: the runtime does not."),
        meta.reasons.length ? table(["Reason", "Waits", "Time", ""], rowsOut, "blocking-table") : el("p", {}, "The trace records no waits."));
    } else if (view === "cpu") {
      const rowsOut = meta.regions.map((name) => tr([name, el("a", { href: `profile/cpu/${encodeURIComponent(name)}/` }, "CPU profile in the analyzer")]));
      box.replaceChildren(el("h2", {}, "CPU profiles of regions"),
        el("p", { class: "note" }, meta.samples ? `The ${meta.samples} CPU samples of the trace taken while their thread was inside a region of the name.`
          : "The trace has no CPU samples: record it with the CPU profiler running."),
        meta.samples ? table(["Region", ""], rowsOut, "cpu-table") : "");
    }
    rendered(view);
  } catch (e) {
    box.replaceChildren();
    showError(e.message);
  }
}

// ---- views ---------------------------------------------------------------------------------

function render() {
  const view = currentView();
  for (const b of document.querySelectorAll("#views button")) b.classList.toggle("active", b.dataset.view === view);
  $("timeline-view").hidden = view !== "timeline";
  $("analysis-view").hidden = view === "timeline";
  if (view === "timeline") {
    const p = params();
    sizeCanvas();
    setRange(Number(p.get("from") || 0), Number(p.get("to") || meta.duration));
  } else {
    renderAnalysis(view);
  }
}

async function main() {
  try {
    meta = await getJSON("api/meta");
  } catch (e) {
    showError(e.message);
    return;
  }
  $("info").textContent = `${meta.events} events · ${meta.threads.length} threads · ${fmtNs(meta.duration)}` +
    (meta.warnings.length ? ` · ${meta.warnings.length} warnings` : "");
  if (meta.warnings.length) $("info").title = meta.warnings.join("\n");
  for (const b of document.querySelectorAll("#views button")) {
    b.addEventListener("click", () => { setAddress({ view: b.dataset.view === "timeline" ? "" : b.dataset.view }, true); render(); });
  }
  window.addEventListener("popstate", render);
  setupTimeline();
  render();
}

main();
