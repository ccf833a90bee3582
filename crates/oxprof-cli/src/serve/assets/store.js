// The store's page: pick a service, a profile type, labels and a range; the timeline shows the
// totals; dragging on it picks range A (or, when comparing, range B); the analyzer below shows
// A merged, or A against B as a diff. The state is in the address.
"use strict";

const $ = (id) => document.getElementById(id);
const durations = { "15m": 9e5, "1h": 36e5, "6h": 216e5, "24h": 864e5, "7d": 6048e5 };
let state = Object.fromEntries(new URLSearchParams(location.search));
let points = [];
let view = { from: 0, until: 0 };

async function getJSON(path) {
  const response = await fetch(path);
  const body = await response.text();
  if (!response.ok) throw new Error(body.trim());
  return JSON.parse(body);
}

function setStatus(html, error) {
  $("status").innerHTML = html;
  $("status").className = error ? "error" : "";
}

function escapeHTML(s) {
  return s.replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]);
}

function fill(select, values, chosen) {
  select.innerHTML = "";
  for (const v of values) select.add(new Option(v, v, false, v === chosen));
}

// The query: the type with the service's matcher and the extra labels.
function query() {
  const extra = $("selector").value.trim().replace(/^\{|\}$/g, "").trim();
  const service = `service_name=${JSON.stringify($("service").value)}`;
  return `${$("type").value}{${extra ? service + ", " + extra : service}}`;
}

async function loadServices() {
  const services = await getJSON("api/services");
  if (services.length === 0) {
    setStatus("No profiles yet: point an agent at this server (see the README's continuous profiling section).");
    return false;
  }
  fill($("service"), services, state.service || services[0]);
  return true;
}

async function loadTypes() {
  const selector = `{service_name=${JSON.stringify($("service").value)}}`;
  const types = await getJSON("api/profile_types?selector=" + encodeURIComponent(selector));
  const preferred = state.type || types.find((t) => t.startsWith("process_cpu:cpu:")) || types[0];
  fill($("type"), types, preferred);
}

function saveState(replace) {
  state.service = $("service").value;
  state.type = $("type").value;
  state.selector = $("selector").value;
  state.range = $("range").value;
  for (const k of Object.keys(state)) if (state[k] === "" || state[k] === undefined) delete state[k];
  const url = location.pathname + "?" + new URLSearchParams(state).toString();
  if (replace) history.replaceState(null, "", url); else history.pushState(null, "", url);
}

async function show(replace) {
  saveState(replace);
  const span = durations[$("range").value] || durations["1h"];
  view.until = Date.now();
  view.from = view.until - span;
  const q = encodeURIComponent(query());
  try {
    const timeline = await getJSON(`api/timeline?query=${q}&from=${view.from}&until=${view.until}`);
    points = timeline.points;
    view.step = timeline.step_ms;
  } catch (e) {
    setStatus(escapeHTML(e.message), true);
    points = [];
  }
  draw();
  openAnalyzer();
}

function draw() {
  const svg = $("chart");
  const width = svg.clientWidth, height = svg.clientHeight;
  const max = Math.max(1, ...points.map((p) => p[1]));
  const x = (t) => ((t - view.from) / (view.until - view.from)) * width;
  let html = "";
  const barWidth = Math.max(1, x(view.from + view.step) - 1);
  for (const [t, total] of points) {
    const h = (total / max) * (height - 14);
    html += `<rect class="bar" x="${x(t)}" y="${height - 14 - h}" width="${barWidth}" height="${h}"><title>${new Date(t).toLocaleString()}: ${total}</title></rect>`;
  }
  for (const [name, from, until] of [["A", state.from, state.until], ["B", state.base_from, state.base_until]]) {
    if (!from) continue;
    const x0 = x(+from), x1 = x(+until);
    html += `<rect class="range${name}" x="${x0}" y="0" width="${Math.max(1, x1 - x0)}" height="${height - 14}"/>`;
    html += `<text class="axis" x="${x0 + 2}" y="10">${name}</text>`;
  }
  for (let i = 0; i <= 4; i++) {
    const t = view.from + ((view.until - view.from) * i) / 4;
    html += `<text class="axis" x="${Math.min(width - 60, (width * i) / 4)}" y="${height - 2}">${new Date(t).toLocaleTimeString()}</text>`;
  }
  svg.innerHTML = html;
}

// Dragging picks a range; when comparing, the first drag picks A and the next B.
let dragStart = null;
function timeAt(event) {
  const box = $("chart").getBoundingClientRect();
  return Math.round(view.from + ((event.clientX - box.left) / box.width) * (view.until - view.from));
}
$("chart").addEventListener("mousedown", (e) => { dragStart = timeAt(e); });
window.addEventListener("mouseup", (e) => {
  if (dragStart === null) return;
  let [a, b] = [dragStart, timeAt(e)].sort((m, n) => m - n);
  dragStart = null;
  if (b - a < 1000) { a = view.from; b = view.until; }
  const toB = $("compare").checked && state.from && !state.base_from;
  if (toB) { state.base_from = String(a); state.base_until = String(b); }
  else { state.from = String(a); state.until = String(b); delete state.base_from; delete state.base_until; }
  saveState(false);
  draw();
  openAnalyzer();
});

function openAnalyzer() {
  const from = state.from || String(view.from), until = state.until || String(view.until);
  const params = new URLSearchParams({ query: query(), from, until });
  if ($("compare").checked && state.base_from) {
    params.set("base_from", state.base_from);
    params.set("base_until", state.base_until);
  }
  const mergeURL = (f, u) => new URL("api/merge?" + new URLSearchParams({ query: query(), from: f, until: u }), location.href).href;
  const comparing = state.base_from && $("compare").checked;
  const what = comparing ? "A (new) against B (base)" : "the range";
  // The command opens the same view: with -diff_base when comparing.
  const base = comparing ? `-diff_base '${escapeHTML(mergeURL(state.base_from, state.base_until))}' ` : "";
  setStatus(`Showing ${what}. Open it with <code>oxprof -http=: ${base}'${escapeHTML(mergeURL(from, until))}'</code>` +
    ($("compare").checked && !state.base_from ? " — drag on the timeline to pick range B" : ""));
  $("analyzer").src = "a/" + encodeURIComponent(params.toString()) + "/";
}

$("service").addEventListener("change", async () => { delete state.type; await loadTypes(); show(false); });
$("type").addEventListener("change", () => show(false));
$("range").addEventListener("change", () => { delete state.from; delete state.until; delete state.base_from; delete state.base_until; show(false); });
$("compare").addEventListener("change", () => { delete state.base_from; delete state.base_until; state.compare = $("compare").checked ? "1" : ""; show(false); });
$("show").addEventListener("click", () => show(false));
window.addEventListener("popstate", () => location.reload());
window.addEventListener("resize", draw);

(async () => {
  $("selector").value = state.selector || "";
  if (state.range) $("range").value = state.range;
  $("compare").checked = state.compare === "1";
  try {
    if (await loadServices()) { await loadTypes(); await show(true); }
  } catch (e) {
    setStatus(escapeHTML(e.message), true);
  }
})();
