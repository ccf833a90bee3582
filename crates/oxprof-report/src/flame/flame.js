// Zoom and search for oxprof's flame graph SVG. Every frame is a group of class "f" with its start
// (data-s) and width (data-v) in sample units and its depth (data-d), so a zoom lays the frames
// out again from exact values rather than from rounded pixel positions.
var oxflame = (function () {
  "use strict";
  var cfg = oxflameConfig;
  var frames = [];
  var zoomed = null;
  var searching = false;
  var details, matched, unzoomButton;

  function attr(el, name) { return parseFloat(el.getAttribute(name)); }

  function init() {
    details = document.getElementById("details").firstChild;
    matched = document.getElementById("matched");
    unzoomButton = document.getElementById("unzoom");
    var groups = document.querySelectorAll("g.f");
    for (var i = 0; i < groups.length; i++) {
      var g = groups[i];
      var title = g.querySelector("title").textContent;
      frames.push({
        g: g, rect: g.querySelector("rect"), text: g.querySelector("text"),
        start: attr(g, "data-s"), value: attr(g, "data-v"), depth: attr(g, "data-d"),
        name: title.substring(0, title.lastIndexOf(" (")), title: title,
        fill: g.querySelector("rect").getAttribute("fill")
      });
      g.frameIndex = i;
    }
    var box = document.getElementById("frames");
    box.addEventListener("click", function (e) {
      var f = frameOf(e.target);
      if (f) { zoom(f); }
    });
    box.addEventListener("mouseover", function (e) {
      var f = frameOf(e.target);
      if (f) { details.nodeValue = f.title; }
    });
    box.addEventListener("mouseout", function () { details.nodeValue = " "; });
    unzoomButton.addEventListener("click", unzoom);
    document.getElementById("search").addEventListener("click", function () {
      if (searching) { resetSearch(); } else { askSearch(); }
    });
    window.addEventListener("keydown", function (e) {
      if ((e.ctrlKey || e.metaKey) && e.key === "f") {
        e.preventDefault();
        askSearch();
      } else if (e.key === "Escape") {
        resetSearch();
        unzoom();
      }
    });
  }

  function frameOf(el) {
    while (el && !(el.classList && el.classList.contains("f"))) { el = el.parentNode; }
    return el ? frames[el.frameIndex] : null;
  }

  // The label that fits a box: the same rule as the SVG writer's.
  function fit(name, width) {
    var fits = Math.floor((width - 6) / (cfg.fontSize * cfg.fontWidth));
    if (fits < 3) { return ""; }
    var chars = Array.from(name);
    return chars.length <= fits ? name : chars.slice(0, fits - 2).join("") + "..";
  }

  function place(f, x, width, faded) {
    f.g.style.display = "";
    f.g.style.opacity = faded ? "0.5" : "";
    f.rect.setAttribute("x", x.toFixed(2));
    f.rect.setAttribute("width", width.toFixed(2));
    f.text.setAttribute("x", (x + 3).toFixed(2));
    f.text.textContent = fit(f.name, width);
  }

  // Shows `target` across the whole width: its callees scaled with it, its callers below it at
  // full width and faded, every other frame hidden.
  function zoom(target) {
    var usable = cfg.width - 2 * cfg.pad;
    var scale = usable / target.value;
    var end = target.start + target.value;
    for (var i = 0; i < frames.length; i++) {
      var f = frames[i];
      if (f.depth < target.depth) {
        if (f.start <= target.start && f.start + f.value >= end) {
          place(f, cfg.pad, usable, true);
        } else {
          f.g.style.display = "none";
        }
      } else if (f.start >= target.start && f.start < end) {
        place(f, cfg.pad + (f.start - target.start) * scale, f.value * scale, false);
      } else {
        f.g.style.display = "none";
      }
    }
    zoomed = target.depth > 0 ? target : null;
    unzoomButton.classList.toggle("hidden", zoomed === null);
    if (searching) { showMatched(); }
  }

  function unzoom() {
    if (frames.length > 0) { zoom(frames[0]); }
  }

  function askSearch() {
    var term = window.prompt("Search for (regular expression):", "");
    if (term) { search(term); }
  }

  // Highlights the frames whose name matches `term` and says what share of the samples (of the
  // zoomed frame, when zoomed) they cover, counting nested matches once.
  function search(term) {
    var re;
    try { re = new RegExp(term); } catch (e) { window.alert("Bad regular expression: " + e.message); return; }
    searching = true;
    for (var i = 0; i < frames.length; i++) {
      var f = frames[i];
      f.match = re.test(f.name);
      f.rect.setAttribute("fill", f.match ? "rgb(230,0,230)" : f.fill);
    }
    document.getElementById("search").textContent = "Reset Search";
    showMatched();
  }

  function showMatched() {
    var within = zoomed || frames[0];
    var lo = within.start, hi = within.start + within.value;
    var spans = [];
    for (var i = 0; i < frames.length; i++) {
      var f = frames[i];
      if (f.match && f.start < hi && f.start + f.value > lo) {
        spans.push([Math.max(f.start, lo), Math.min(f.start + f.value, hi)]);
      }
    }
    spans.sort(function (a, b) { return a[0] - b[0]; });
    var covered = 0, reach = -Infinity;
    for (var j = 0; j < spans.length; j++) {
      var s = Math.max(spans[j][0], reach);
      if (spans[j][1] > s) { covered += spans[j][1] - s; }
      reach = Math.max(reach, spans[j][1]);
    }
    matched.firstChild.nodeValue = "Matched: " + (100 * covered / within.value).toFixed(1) + "%";
    matched.classList.remove("hidden");
  }

  function resetSearch() {
    if (!searching) { return; }
    searching = false;
    for (var i = 0; i < frames.length; i++) {
      frames[i].match = false;
      frames[i].rect.setAttribute("fill", frames[i].fill);
    }
    document.getElementById("search").textContent = "Search";
    matched.classList.add("hidden");
  }

  return { init: init, zoom: zoom, unzoom: unzoom, search: search, resetSearch: resetSearch };
})();
