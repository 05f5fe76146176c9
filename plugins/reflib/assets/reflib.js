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
    var mark = (link.getAttribute("data-reflib-mark") || "").split(",");
    var from = parseInt(mark[0], 10), to = parseInt(mark[1], 10);
    if (mark.length === 2 && from >= 0 && to > from && to <= text.length) {
      var hit = document.createElement("mark");
      hit.className = "reflib-quote-hit";
      hit.textContent = text.slice(from, to);
      body.appendChild(document.createTextNode(text.slice(0, from)));
      body.appendChild(hit);
      body.appendChild(document.createTextNode(text.slice(to)));
    } else {
      body.textContent = text;
    }
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

  /* Quoted evidence: a link "...?quote=words#anchor" lands on the cited heading (or page
   * marker); the quoted words are highlighted in that passage. Words are compared as
   * `reflib check` compares them: letters and digits, case-insensitive, markup ignored. */
  var WORD = /[\p{L}\p{N}]+/gu;   /* stepped through a text node with exec() */

  function norm(text) { return text.normalize("NFKC").toLowerCase(); }

  function quoteWords(text) { return norm(text).match(/[\p{L}\p{N}]+/gu) || []; }

  function passageEnd(start) {
    var heading = /^H([1-6])$/.exec(start.tagName);
    var page = /^page-\d+$/.test(start.id);
    var all = document.querySelectorAll("article h1, article h2, article h3, article h4, " +
      "article h5, article h6, article [id^='page-']");
    for (var i = 0; i < all.length; i++) {
      var el = all[i];
      if (!(start.compareDocumentPosition(el) & Node.DOCUMENT_POSITION_FOLLOWING)) continue;
      if (start.contains(el)) continue;
      var level = /^H([1-6])$/.exec(el.tagName);
      if (heading && level && parseInt(level[1], 10) <= parseInt(heading[1], 10)) return el;
      if (page && /^page-\d+$/.test(el.id)) return el;
      if (!heading && !page && level) return el;
    }
    return null;
  }

  function highlightQuotes() {
    var params = new URLSearchParams(window.location.search);
    var quotes = params.getAll("quote");
    var id = decodeURIComponent(window.location.hash.slice(1));
    var start = id && document.getElementById(id);
    if (!quotes.length || !start || start.getAttribute("data-reflib-quoted")) return;
    start.setAttribute("data-reflib-quoted", "1");
    var end = passageEnd(start);
    var root = start.closest("article") || document.body;
    var walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    var tokens = [];
    for (var node = walker.nextNode(); node; node = walker.nextNode()) {
      if (!(start.compareDocumentPosition(node) & Node.DOCUMENT_POSITION_FOLLOWING) &&
          !start.contains(node)) continue;
      if (end && !(end.compareDocumentPosition(node) & Node.DOCUMENT_POSITION_PRECEDING)) break;
      var parent = node.parentNode;
      if (parent.closest(".reflib-backlinks, .headerlink, script, style")) continue;
      var m;
      WORD.lastIndex = 0;
      while ((m = WORD.exec(node.data)) !== null) {
        var words = quoteWords(m[0]);
        for (var k = 0; k < words.length; k++) {
          tokens.push({ node: node, start: m.index, end: m.index + m[0].length, word: words[k] });
        }
      }
    }
    var first = null;
    quotes.forEach(function (quote) {
      var want = quoteWords(quote);
      if (!want.length) return;
      for (var i = 0; i + want.length <= tokens.length; i++) {
        var ok = true;
        for (var j = 0; j < want.length && ok; j++) ok = tokens[i + j].word === want[j];
        if (!ok) continue;
        var mark = markRange(tokens.slice(i, i + want.length));
        first = first || mark;
        return;
      }
    });
    if (first) first.scrollIntoView({ block: "center" });
  }

  function markRange(tokens) {
    /* one <mark> per text node the quote spans, from its first to its last word there */
    var groups = [];
    tokens.forEach(function (t) {
      var last = groups[groups.length - 1];
      if (last && last.node === t.node) last.end = t.end;
      else groups.push({ node: t.node, start: t.start, end: t.end });
    });
    var firstMark = null;
    for (var g = groups.length - 1; g >= 0; g--) {
      var range = document.createRange();
      range.setStart(groups[g].node, groups[g].start);
      range.setEnd(groups[g].node, groups[g].end);
      var mark = document.createElement("mark");
      mark.className = "reflib-quote-hit";
      range.surroundContents(mark);
      firstMark = mark;
    }
    return firstMark;
  }

  function init() {
    hidePreview();
    document.querySelectorAll("[data-reflib-filters]").forEach(initFilters);
    initPreviews(document);
    highlightQuotes();
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
