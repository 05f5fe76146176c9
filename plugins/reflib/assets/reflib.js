/* reflib site behaviour: index filters and sorting, evidence previews.
 * Vanilla JS, no server needed (works from file://). With Material's instant navigation
 * the page content is swapped without a reload, so init runs on every document$ emission. */
(function () {
  "use strict";

  var ORDER = {
    status: { link_only: 0, fetched: 1, converted: 2, condensed: 3 },
    priority: { high: 0, medium: 1, low: 2 },
    review: { draft: 0, approved: 1 }
  };

  function rowValues(row) {
    var values = {};
    row.querySelectorAll("[data-reflib-key]").forEach(function (el) {
      var key = el.getAttribute("data-reflib-key");
      (values[key] = values[key] || []).push(el.getAttribute("data-reflib-value") || "");
    });
    return values;
  }

  function initFilters(box) {
    if (box.getAttribute("data-reflib-ready")) return;
    box.setAttribute("data-reflib-ready", "1");
    var index = box.parentNode.querySelector(".reflib-index table");
    if (!index) return;
    var rows = Array.prototype.slice.call(index.querySelectorAll("tbody tr"));
    var controls = box.querySelectorAll("[data-reflib-filter]");
    var counter = box.querySelector("[data-reflib-count]");
    function apply() {
      var shown = 0;
      rows.forEach(function (row) {
        var values = rowValues(row);
        var ok = true;
        controls.forEach(function (control) {
          var key = control.getAttribute("data-reflib-filter");
          var want = (control.value || "").trim().toLowerCase();
          if (!want || !ok) return;
          if (key === "text") {
            ok = (values.text || []).join(" ").toLowerCase().indexOf(want) >= 0 ||
              row.textContent.toLowerCase().indexOf(want) >= 0;
          } else {
            ok = (values[key] || []).some(function (v) { return v.toLowerCase() === want; });
          }
        });
        row.hidden = !ok;
        if (ok) shown += 1;
      });
      if (counter) counter.textContent = shown + " of " + rows.length;
    }
    controls.forEach(function (control) {
      control.addEventListener("input", apply);
      control.addEventListener("change", apply);
    });
    initSort(index);
    apply();
  }

  function sortKey(cell) {
    var tagged = cell.querySelector("[data-reflib-key]:not([data-reflib-key=text])");
    if (tagged) {
      var key = tagged.getAttribute("data-reflib-key");
      var value = tagged.getAttribute("data-reflib-value") || "";
      if (ORDER[key] && value in ORDER[key]) return [0, ORDER[key][value], ""];
      if (key === "phase" && /^\d+$/.test(value)) return [0, parseInt(value, 10), ""];
      return [1, 0, value.toLowerCase()];
    }
    var text = cell.textContent.trim().toLowerCase();
    return text ? [1, 0, text] : [2, 0, ""];
  }

  function compare(a, b) {
    for (var i = 0; i < 3; i++) {
      if (a[i] < b[i]) return -1;
      if (a[i] > b[i]) return 1;
    }
    return 0;
  }

  function initSort(table) {
    var heads = table.querySelectorAll("thead th");
    var body = table.querySelector("tbody");
    heads.forEach(function (th, col) {
      th.setAttribute("role", "columnheader");
      th.setAttribute("tabindex", "0");
      th.setAttribute("aria-sort", "none");
      function sort() {
        var dir = th.getAttribute("aria-sort") === "ascending" ? "descending" : "ascending";
        heads.forEach(function (other) { other.setAttribute("aria-sort", "none"); });
        th.setAttribute("aria-sort", dir);
        var rows = Array.prototype.slice.call(body.querySelectorAll("tr"));
        var keyed = rows.map(function (row, i) {
          return { row: row, key: sortKey(row.children[col] || row), i: i };
        });
        keyed.sort(function (x, y) {
          var c = compare(x.key, y.key);
          return (dir === "ascending" ? c : -c) || x.i - y.i;
        });
        keyed.forEach(function (k) { body.appendChild(k.row); });
      }
      th.addEventListener("click", sort);
      th.addEventListener("keydown", function (e) {
        if (e.key === "Enter" || e.key === " ") { e.preventDefault(); sort(); }
      });
    });
  }

  var popover = null;

  function hidePreview() {
    if (popover) popover.hidden = true;
  }

  function showPreview(link) {
    var text = link.getAttribute("data-reflib-preview");
    if (!text) return;
    if (!popover || !document.body.contains(popover)) {
      popover = document.createElement("div");
      popover.className = "reflib-popover md-typeset";
      popover.setAttribute("role", "tooltip");
      popover.id = "reflib-popover";
      document.body.appendChild(popover);
    }
    popover.textContent = "";
    var head = document.createElement("div");
    head.className = "reflib-popover__head";
    head.textContent = (link.getAttribute("data-reflib-resource") || "") +
      " › " + (link.getAttribute("data-reflib-heading") || "");
    var body = document.createElement("div");
    body.className = "reflib-popover__body";
    body.textContent = text;
    popover.appendChild(head);
    popover.appendChild(body);
    popover.hidden = false;
    var r = link.getBoundingClientRect();
    var width = Math.min(480, window.innerWidth - 24);
    var left = Math.max(12, Math.min(r.left + window.scrollX, window.scrollX + window.innerWidth - width - 12));
    popover.style.width = width + "px";
    popover.style.left = left + "px";
    popover.style.top = (r.bottom + window.scrollY + 6) + "px";
    link.setAttribute("aria-describedby", "reflib-popover");
  }

  function initPreviews(root) {
    root.querySelectorAll("a.reflib-evidence[data-reflib-preview]").forEach(function (link) {
      if (link.getAttribute("data-reflib-ready")) return;
      link.setAttribute("data-reflib-ready", "1");
      link.addEventListener("mouseenter", function () { showPreview(link); });
      link.addEventListener("focus", function () { showPreview(link); });
      link.addEventListener("mouseleave", hidePreview);
      link.addEventListener("blur", hidePreview);
    });
  }

  function init() {
    hidePreview();
    document.querySelectorAll("[data-reflib-filters]").forEach(initFilters);
    initPreviews(document);
  }

  if (typeof window.document$ !== "undefined" && window.document$.subscribe) {
    window.document$.subscribe(init);
  } else if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
  document.addEventListener("keydown", function (e) { if (e.key === "Escape") hidePreview(); });
})();
