// The oxprof web UI. The state of a view lives in the page's address (view, report options,
// the functions `re` of Peek, Source and Disassembly), so views can be shared and the back
// button works; each view is computed by the server from the already parsed profile and drawn
// here. When a view is drawn, the body's data-rendered attribute names it and a performance
// mark "oxprof-rendered" is set.
"use strict";

const FILTERS = ["focus", "ignore", "hide", "show", "show_from", "prune_from",
  "tagfocus", "tagignore", "tagshow", "taghide"];
const ROW_LIMIT = 1000;
const $ = (id) => document.getElementById(id);

let meta = null;
let selection = [];          // selected function names
let renderCount = 0;
let flameState = null;       // the flame graph drawn: data and zoom path

// ---- state in the address -------------------------------------------------------------------

function params() { return new URLSearchParams(location.search); }
function currentView() { return params().get("view") || "flame"; }

// Applies `changes` (name -> value; "" or null removes) to the address and draws the result.
function navigate(changes, replace) {
  const p = params();
  for (const [k, v] of Object.entries(changes)) {
    if (v === null || v === undefined || v === "") p.delete(k); else p.set(k, v);
  }
  const query = p.toString();
  const url = location.pathname + (query ? "?" + query : "");
  if (replace) history.replaceState(null, "", url); else history.pushState(null, "", url);
  render();
}

// ---- formatting -----------------------------------------------------------------------------

function trimZeros(s) { return s.replace(/\.00$/, "").replace(/(\.\d)0$/, "$1"); }

// A value as pprof prints it: seconds down to nanoseconds, bytes in kB/MB/GB (powers of 1024).
function fmt(v, unit) {
  const a = Math.abs(v);
  if (unit === "nanoseconds") {
    const steps = [[1e9, "s"], [1e6, "ms"], [1e3, "us"]];
    for (const [d, u] of steps) if (a >= d) return trimZeros((v / d).toFixed(2)) + u;
    return v + "ns";
  }
  if (unit === "bytes") {
    const steps = [[2 ** 40, "TB"], [2 ** 30, "GB"], [2 ** 20, "MB"], [2 ** 10, "kB"]];
    for (const [d, u] of steps) if (a >= d) return trimZeros((v / d).toFixed(2)) + u;
    return v + "B";
  }
  return String(v) + (unit && unit !== "count" ? " " + unit : "");
}

function pct(v, total) {
  return total ? (100 * v / total).toFixed(2) + "%" : "";
}

function escapeRegex(s) { return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"); }

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") e.className = v;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v);
  }
  for (const c of children) e.append(c);
  return e;
}

// ---- selection and refinement ---------------------------------------------------------------

function selectionRegex() {
  if (selection.length) return "^(?:" + selection.map(escapeRegex).join("|") + ")$";
  return $("search").value.trim();
}

// Disassembly names functions after their addresses and before their files: a selection's
// regexp (`^(?:names)$`) must allow for them there, and turns back elsewhere.
const WORD_START = "(?:^|\\s)", WORD_END = "(?:\\s|$)";
function regexFor(view, re) {
  if (!re) return re;
  if (view === "disasm" && re.startsWith("^(?:") && re.endsWith(")$")) {
    return WORD_START + re.slice(1, -1) + WORD_END;
  }
  if (view !== "disasm" && re.startsWith(WORD_START + "(?:") && re.endsWith(")" + WORD_END)) {
    return "^" + re.slice(WORD_START.length, -WORD_END.length) + "$";
  }
  return re;
}

function setSelection(names) {
  selection = names;
  $("selection").textContent = names.length ? "selected: " + names.join(", ") : "";
  for (const e of document.querySelectorAll("[data-name]")) {
    e.classList.toggle("selected", names.includes(e.dataset.name));
  }
}

function toggleSelected(name, additive) {
  if (additive) {
    setSelection(selection.includes(name) ? selection.filter((n) => n !== name) : [...selection, name]);
  } else {
    setSelection(selection.length === 1 && selection[0] === name ? [] : [name]);
  }
}

function refine(action) {
  closeMenus();
  if (action === "reset") {
    navigate(Object.fromEntries(FILTERS.map((f) => [f, null])));
    return;
  }
  const re = selectionRegex();
  if (!re) { showError("Select functions (click them) or type a regexp in Search first."); return; }
  setSelection([]);
  navigate({ [action]: re });
}

function closeMenus() {
  for (const d of document.querySelectorAll("details.menu")) d.open = false;
}

// ---- messages -------------------------------------------------------------------------------

function showError(text) {
  $("error").hidden = !text;
  $("error").textContent = text || "";
}

function showNotes(notes) {
  $("notes").hidden = !notes || !notes.length;
  $("notes").textContent = (notes || []).join("; ");
}

function showLabels(labels) {
  $("legend-title").textContent = (labels || []).slice(0, 2).join("  ");
  $("labels").replaceChildren(...(labels || []).map((l) => el("div", {}, l)));
}

function showFilters() {
  const p = params();
  const chips = [];
  for (const f of FILTERS) {
    if (!p.get(f)) continue;
    chips.push(el("span", { class: "chip", "data-filter": f }, f + "=" + p.get(f),
      el("button", { title: "remove", onclick: () => navigate({ [f]: null }) }, "×")));
  }
  $("filters").replaceChildren(...chips);
}

function rendered(view) {
  renderCount++;
  document.body.dataset.rendered = view + ":" + renderCount;
  performance.mark("oxprof-rendered");
}

// ---- fetching -------------------------------------------------------------------------------

// The API answer of `view` for the current address, plus `extra` parameters.
async function fetchView(view, extra) {
  const p = params();
  p.delete("view");
  for (const [k, v] of extra || []) p.append(k, v);
  const response = await fetch("api/" + view + "?" + p.toString());
  const body = await response.json();
  if (!response.ok) throw new Error(body.error || response.statusText);
  return body;
}

async function render() {
  const view = currentView();
  for (const b of document.querySelectorAll("#views button")) {
    b.classList.toggle("active", b.dataset.view === view);
  }
  showFilters();
  updateMenus();
  $("tooltip").hidden = true;
  const content = $("content");
  try {
    if (view === "flame") await renderFlame([]);
    else {
      const data = await fetchView(view);
      if (view !== currentView()) return;
      showError("");
      showNotes(data.notes);
      showLabels(data.labels);
      content.replaceChildren();
      ({ top: drawTop, graph: drawGraph, peek: drawPeek, source: drawSource, disasm: drawDisasm })[view](data, content);
    }
  } catch (e) {
    if (view !== currentView()) return;
    content.replaceChildren();
    showError(e.message);
  }
  rendered(view);
}

// ---- flame graph ----------------------------------------------------------------------------

async function renderFlame(path) {
  const extra = path.map((n) => ["path", n]);
  const data = await fetchView("flame", extra);
  if (currentView() !== "flame") return;
  showError("");
  showNotes(data.notes);
  showLabels(data.labels);
  flameState = { data, path };
  drawFlame();
}

// Hashes a name to a warm colour, as flame graphs colour frames; diff graphs colour by change.
function frameColour(name, frame, data) {
  if (data.diff) {
    const delta = frame[3] - frame[6];
    const scale = Math.min(1, Math.abs(delta) / Math.max(1, data.min_value * 20));
    const c = Math.round(230 - 130 * scale);
    return delta > 0 ? `rgb(255,${c},${c})` : delta < 0 ? `rgb(${c},${c},255)` : "rgb(235,235,235)";
  }
  let h = 0;
  for (let i = 0; i < name.length; i++) h = (h * 31 + name.charCodeAt(i)) >>> 0;
  return `hsl(${(h % 50) + 5}, ${70 + (h % 20)}%, ${55 + ((h >> 8) % 15)}%)`;
}

function drawFlame() {
  const { data } = flameState;
  const frames = data.frames;
  const n = frames.length;
  const x = new Float64Array(n), cursor = new Float64Array(n), depth = new Int32Array(n);
  // Parents come before their callees, which lie side by side from the parent's start.
  for (let i = 1; i < n; i++) {
    const p = frames[i][1];
    x[i] = cursor[p];
    cursor[p] += frames[i][2];
    cursor[i] = x[i];
    depth[i] = depth[p] + 1;
  }
  const z = data.zoom;
  const x0 = x[z], span = Math.max(1, frames[z][2]);
  const content = $("content");
  const search = $("search").value.trim();
  let searchRe = null;
  try { searchRe = search ? new RegExp(search) : null; } catch (e) { searchRe = null; }
  const width = content.clientWidth - 20;
  const box = el("div", { class: "flame" });
  let maxDepth = 0, matched = 0;
  const matchedStarts = [];
  for (let i = 0; i < n; i++) {
    const f = frames[i];
    const ancestor = i < z;
    const left = ancestor ? 0 : (x[i] - x0) / span * width;
    const w = ancestor ? width : f[2] / span * width;
    if (w < 0.5) continue;
    const name = data.names[f[0]];
    const elided = name === "…";
    const d = el("div", {
      class: "frame" + (ancestor ? " ancestor" : "") + (elided ? " elided" : ""),
      "data-index": i,
    });
    if (!elided && i > 0) d.dataset.name = name;
    d.style.left = left + "px";
    d.style.width = w + "px";
    d.style.top = depth[i] * 18 + "px";
    d.style.background = frameColour(name, f, data);
    d.textContent = w > 24 ? name : "";
    if (searchRe && !elided && searchRe.test(name)) {
      d.classList.add("match");
      // Only the outermost match of a stack counts towards the share.
      if (!matchedStarts.some(([s, e]) => x[i] >= s && x[i] < e)) {
        matched += f[2];
        matchedStarts.push([x[i], x[i] + f[2]]);
      }
    }
    if (selection.includes(name)) d.classList.add("selected");
    maxDepth = Math.max(maxDepth, depth[i]);
    box.append(d);
  }
  box.style.height = (maxDepth + 1) * 18 + "px";
  box.addEventListener("click", onFrameClick);
  box.addEventListener("mousemove", onFrameHover);
  box.addEventListener("mouseleave", () => { $("tooltip").hidden = true; });
  const parts = [];
  if (searchRe) {
    parts.push(el("div", { id: "match" }, `Matched: ${pct(matched, data.total)} (${fmt(matched, data.unit)}) of the frames shown`));
  }
  parts.push(box);
  content.replaceChildren(...parts);
}

// The names from the root's first callee down to frame `i`.
function framePath(i) {
  const { data } = flameState;
  const path = [];
  for (let j = i; j > 0; j = data.frames[j][1]) path.unshift(data.names[data.frames[j][0]]);
  return path;
}

async function onFrameClick(event) {
  const target = event.target.closest(".frame");
  if (!target) return;
  let i = Number(target.dataset.index);
  const { data } = flameState;
  const name = data.names[data.frames[i][0]];
  // The merged frame stands for its parent's narrow callees: zooming into the parent shows them.
  if (name === "…") i = data.frames[i][1];
  else if (event.shiftKey || event.ctrlKey || event.metaKey) toggleSelected(name, true);
  else if (i > 0) setSelection([name]);  // a click zooms, and what it zooms into is chosen
  try {
    await renderFlame(framePath(i));
    rendered("flame");
  } catch (e) {
    showError(e.message);
  }
}

function onFrameHover(event) {
  const target = event.target.closest(".frame");
  const tip = $("tooltip");
  if (!target) { tip.hidden = true; return; }
  const { data } = flameState;
  const f = data.frames[Number(target.dataset.index)];
  const name = data.names[f[0]];
  let text = `${name}\n${fmt(f[2], data.unit)} (${pct(f[2], data.total)} of total), self ${fmt(f[3], data.unit)}`;
  if (name === "…") text = `${fmt(f[2], data.unit)} in callees narrower than ${fmt(data.min_value, data.unit)}: click to see them`;
  if (f[4]) text += " (inline)";
  if (data.diff) text += `\nbase ${fmt(f[5], data.unit)}, self ${fmt(f[6], data.unit)} → ${fmt(f[3], data.unit)}`;
  tip.textContent = text;
  tip.style.whiteSpace = "pre";
  tip.hidden = false;
  tip.style.left = Math.min(event.clientX + 12, innerWidth - tip.offsetWidth - 4) + "px";
  tip.style.top = event.clientY + 14 + "px";
}

// ---- top ------------------------------------------------------------------------------------

let topSort = null;

function drawTop(data, content) {
  const rows = data.rows.slice();
  if (topSort === "cum") rows.sort((a, b) => Math.abs(b[2]) - Math.abs(a[2]));
  if (topSort === "name") rows.sort((a, b) => a[0].localeCompare(b[0]));
  const head = el("tr", {},
    ...[["flat", "flat"], ["flat%", "flat"], ["sum%", "flat"], ["cum", "cum"], ["cum%", "cum"], ["name", "name"]]
      .map(([label, key]) => el("th", {
        class: key === "name" ? "name" : "",
        onclick: () => { topSort = key === "flat" ? null : key; content.replaceChildren(); drawTop(data, content); },
      }, label)));
  const body = el("tbody");
  let sum = 0;
  const limit = Math.min(rows.length, content.dataset.all ? rows.length : ROW_LIMIT);
  for (let i = 0; i < limit; i++) {
    const [name, flat, cum, flatText, cumText, inline] = rows[i];
    sum += flat;
    const tr = el("tr", { "data-name": name },
      el("td", {}, flatText), el("td", {}, pct(flat, data.total)), el("td", {}, pct(sum, data.total)),
      el("td", {}, cumText), el("td", {}, pct(cum, data.total)),
      el("td", { class: "name" }, name + (inline ? " " + inline : "")));
    if (selection.includes(name)) tr.classList.add("selected");
    body.append(tr);
  }
  body.addEventListener("click", (event) => {
    const tr = event.target.closest("tr");
    if (tr) toggleSelected(tr.dataset.name, event.shiftKey || event.ctrlKey || event.metaKey);
  });
  content.append(el("table", { class: "report", id: "top-table" }, el("thead", {}, head), body));
  if (limit < rows.length) {
    content.append(el("div", { class: "more" }, `${rows.length - limit} more rows `,
      el("button", { onclick: () => { content.dataset.all = "1"; content.replaceChildren(); drawTop(data, content); } }, "Show all")));
  }
}

// ---- graph ----------------------------------------------------------------------------------

function drawGraph(data, content) {
  const box = el("div", { class: "graph" });
  box.innerHTML = data.svg.replace(/^<\?xml[^>]*>\s*/, "").replace(/<!DOCTYPE[^>]*>\s*/, "");
  content.append(box);
  const svg = box.querySelector("svg");
  if (!svg) return;
  for (const node of svg.querySelectorAll("g.node")) {
    const title = node.querySelector("title");
    if (!title || !/^N\d+$/.test(title.textContent)) continue;
    const a = node.querySelector("a");
    const tip = a && (a.getAttribute("xlink:title") || a.getAttributeNS("http://www.w3.org/1999/xlink", "title"));
    if (!tip) continue;
    node.dataset.name = tip.replace(/ \([^()]*\)$/, "");
    node.style.cursor = "pointer";
    if (selection.includes(node.dataset.name)) node.classList.add("selected");
  }
  svg.addEventListener("click", (event) => {
    const node = event.target.closest("g.node[data-name]");
    if (!node) return;
    event.preventDefault();
    toggleSelected(node.dataset.name, event.shiftKey || event.ctrlKey || event.metaKey);
  });
  panZoom(svg);
}

// Wheel zooms about the pointer, dragging pans: the view box moves, the drawing stays sharp.
function panZoom(svg) {
  const base = svg.viewBox.baseVal;
  if (!base || !base.width) return;
  svg.removeAttribute("width");
  svg.removeAttribute("height");
  let vb = { x: base.x, y: base.y, w: base.width, h: base.height };
  const apply = () => svg.setAttribute("viewBox", `${vb.x} ${vb.y} ${vb.w} ${vb.h}`);
  const toSvg = (cx, cy) => {
    const r = svg.getBoundingClientRect();
    const s = Math.max(vb.w / r.width, vb.h / r.height);
    const ox = vb.x - (r.width * s - vb.w) / 2, oy = vb.y - (r.height * s - vb.h) / 2;
    return [ox + (cx - r.left) * s, oy + (cy - r.top) * s, s];
  };
  svg.addEventListener("wheel", (event) => {
    event.preventDefault();
    const [px, py] = toSvg(event.clientX, event.clientY);
    const k = event.deltaY > 0 ? 1.2 : 1 / 1.2;
    vb = { x: px - (px - vb.x) * k, y: py - (py - vb.y) * k, w: vb.w * k, h: vb.h * k };
    apply();
  }, { passive: false });
  let drag = null;
  svg.addEventListener("mousedown", (event) => { drag = [event.clientX, event.clientY]; });
  addEventListener("mouseup", () => { drag = null; });
  svg.addEventListener("mousemove", (event) => {
    if (!drag) return;
    const [, , s] = toSvg(event.clientX, event.clientY);
    vb.x -= (event.clientX - drag[0]) * s;
    vb.y -= (event.clientY - drag[1]) * s;
    drag = [event.clientX, event.clientY];
    apply();
  });
}

// ---- peek, source, disassembly --------------------------------------------------------------

function drawPeek(data, content) {
  content.append(el("pre", { class: "text", id: "peek-text" }, data.text));
}

function weightCells(flat, cum, data) {
  return [el("td", {}, flat ? fmt(flat, data.unit) : "."), el("td", {}, cum ? fmt(cum, data.unit) : ".")];
}

function drawSource(data, content) {
  for (const f of data.functions) {
    content.append(el("h3", { class: "routine" }, `${f.name} in ${f.file}  (${fmt(f.flat, data.unit)} flat, ${fmt(f.cum, data.unit)} cum, ${pct(f.cum, data.total)} of total)`));
    const body = el("tbody");
    for (const [lineno, text, flat, cum, code] of f.lines) {
      const tr = el("tr", { class: "line" + (flat ? " hot" : "") }, ...weightCells(flat, cum, data),
        el("td", {}, String(lineno)), el("td", { class: "code" }, text));
      const asm = code.map(([addr, inst, iflat, icum, file, line]) =>
        el("tr", { class: "asm", hidden: "" }, ...weightCells(iflat, icum, data),
          el("td", {}, addr), el("td", { class: "code" }, `    ${inst}    ${file}:${line}`)));
      if (asm.length) {
        tr.style.cursor = "pointer";
        tr.addEventListener("click", () => { for (const a of asm) a.hidden = !a.hidden; });
      }
      body.append(tr, ...asm);
    }
    content.append(el("table", { class: "report source" },
      el("thead", {}, el("tr", {}, el("th", {}, "flat"), el("th", {}, "cum"), el("th", {}, "line"), el("th", { class: "name" }, "source"))),
      body));
  }
}

function drawDisasm(data, content) {
  for (const w of data.warnings) content.append(el("div", { class: "warning" }, w));
  for (const r of data.routines) {
    content.append(el("h3", { class: "routine" }, `${r.name}  (${fmt(r.flat, data.unit)} flat, ${fmt(r.cum, data.unit)} cum, ${pct(r.cum, data.total)} of total)`));
    const body = el("tbody");
    for (const [addr, text, flat, cum, fn, file, line] of r.instructions) {
      body.append(el("tr", { class: flat ? "hot" : "" }, ...weightCells(flat, cum, data),
        el("td", {}, addr), el("td", { class: "code" }, text),
        el("td", { class: "name" }, file ? `${file}:${line}` : fn)));
    }
    content.append(el("table", { class: "report disasm" },
      el("thead", {}, el("tr", {}, el("th", {}, "flat"), el("th", {}, "cum"), el("th", {}, "address"),
        el("th", { class: "name" }, "instruction"), el("th", { class: "name" }, "source"))),
      body));
  }
}

// ---- menus ----------------------------------------------------------------------------------

function updateMenus() {
  if (!meta) return;
  const p = params();
  const current = p.get("sample_index") || meta.sample_types[meta.default_sample][0];
  $("sample-items").replaceChildren(...meta.sample_types.map(([type, unit], i) => {
    const isCurrent = type === current || String(i) === current;
    return el("button", {
      class: isCurrent ? "current" : "", "data-sample": type,
      onclick: () => { closeMenus(); navigate({ sample_index: type }); },
    }, `${type} (${unit})`);
  }));
  $("tagfocus-input").value = p.get("tagfocus") || "";
  $("tagignore-input").value = p.get("tagignore") || "";
}

function buildTagMenu() {
  const rows = [];
  if (!meta.tags.length) rows.push(el("div", {}, "This profile has no tags."));
  for (const { key, numeric, values } of meta.tags) {
    rows.push(el("div", { class: "tagkey" }, key));
    for (const [value, weight] of values.slice(0, 30)) {
      const expr = key + "=" + (numeric ? value : "^" + escapeRegex(value) + "$");
      rows.push(el("div", { class: "tagvalue" },
        el("span", { title: fmt(weight, meta.unit) }, `${value} (${pct(weight, meta.total)})`),
        el("button", { "data-tagfocus": expr, onclick: () => { closeMenus(); navigate({ tagfocus: expr }); } }, "focus"),
        el("button", { "data-tagignore": expr, onclick: () => { closeMenus(); navigate({ tagignore: expr }); } }, "ignore")));
    }
  }
  $("tag-values").replaceChildren(...rows);
}

async function loadConfigs() {
  try {
    const response = await fetch("api/configs");
    const body = await response.json();
    if (!response.ok) throw new Error(body.error);
    showConfigs(body.configs);
  } catch (e) {
    $("config-list").replaceChildren(el("div", {}, e.message));
  }
}

function showConfigs(configs) {
  $("config-list").replaceChildren(...configs.map(({ name, params: saved }) =>
    el("div", { class: "row" },
      el("button", {
        "data-config": name, style: "flex:1",
        onclick: () => {
          closeMenus();
          const query = new URLSearchParams(saved).toString();
          history.pushState(null, "", location.pathname + (query ? "?" + query : ""));
          render();
        },
      }, name),
      el("button", { title: "delete", onclick: () => changeConfigs("DELETE", "api/configs?name=" + encodeURIComponent(name)) }, "×"))));
}

async function changeConfigs(method, url, body) {
  try {
    const response = await fetch(url, { method, body, headers: { "Content-Type": "application/json" } });
    const answer = await response.json();
    if (!response.ok) throw new Error(answer.error);
    showConfigs(answer.configs);
  } catch (e) {
    showError(e.message);
  }
}

function saveConfig() {
  const name = $("config-name").value.trim();
  if (!name) { showError("Give the configuration a name."); return; }
  const saved = Object.fromEntries(params());
  changeConfigs("POST", "api/configs", JSON.stringify({ name, params: saved }));
  $("config-name").value = "";
}

// ---- start ----------------------------------------------------------------------------------

function setUp() {
  for (const b of document.querySelectorAll("#views button")) {
    b.addEventListener("click", () => {
      const view = b.dataset.view;
      // Only Peek, Source and Disassembly show chosen functions: the others drop `re`.
      const changes = { view: view === "flame" ? null : view, re: null };
      if (["peek", "source", "disasm"].includes(view)) {
        changes.re = regexFor(view, selectionRegex() || params().get("re"));
      }
      navigate(changes);
    });
  }
  for (const b of document.querySelectorAll("[data-refine]")) {
    b.addEventListener("click", () => refine(b.dataset.refine));
  }
  $("tags-apply").addEventListener("click", () => {
    closeMenus();
    navigate({ tagfocus: $("tagfocus-input").value.trim(), tagignore: $("tagignore-input").value.trim() });
  });
  $("config-save").addEventListener("click", saveConfig);
  $("config-menu").addEventListener("toggle", () => { if ($("config-menu").open) loadConfigs(); });
  $("search").addEventListener("input", () => {
    if (currentView() === "flame" && flameState) drawFlame();
  });
  $("search").addEventListener("keydown", (event) => {
    if (event.key === "Enter" && currentView() !== "flame") { setSelection([]); refresh(); }
  });
  document.addEventListener("click", (event) => {
    for (const d of document.querySelectorAll("details.menu")) if (!d.contains(event.target)) d.open = false;
  });
  addEventListener("popstate", render);
  addEventListener("resize", () => { if (currentView() === "flame" && flameState) drawFlame(); });
}

// Search in Peek, Source and Disassembly shows the functions it matches.
function refresh() {
  const re = regexFor(currentView(), selectionRegex());
  if (re && ["peek", "source", "disasm"].includes(currentView())) navigate({ re });
}

async function loadMeta() {
  try {
    const response = await fetch("api/meta");
    const body = await response.json();
    if (!response.ok) throw new Error(body.error);
    meta = body;
    buildTagMenu();
    updateMenus();
  } catch (e) {
    showError(e.message);
  }
}

async function start() {
  setUp();
  // The menus' contents and the first view are fetched at once.
  await Promise.all([loadMeta(), render()]);
}

start();
