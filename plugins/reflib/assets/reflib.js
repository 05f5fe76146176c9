/* reflib site behaviour: index filters and sorting (kept in the URL), tables that stack on a
 * phone, evidence previews.
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

  /* The filter and sort state lives in the URL (?type=paper&q=fsync&sort=priority&order=desc),
   * so a filtered index can be bookmarked, shared and restored with Back. */
  function param(key) { return key === "text" ? "q" : key; }

  function saveState(controls, sorting) {
    if (!window.history || !window.history.replaceState) return;
    var params = new URLSearchParams(window.location.search);
    controls.forEach(function (control) {
      var name = param(control.getAttribute("data-reflib-filter"));
      if (control.value) params.set(name, control.value); else params.delete(name);
    });
    if (sorting && sorting.column) {
      params.set("sort", sorting.column);
      params.set("order", sorting.dir === "descending" ? "desc" : "asc");
    } else {
      params.delete("sort");
      params.delete("order");
    }
    var query = params.toString();
    var url = window.location.pathname + (query ? "?" + query : "") + window.location.hash;
    window.history.replaceState(window.history.state, "", url);
  }

  function initFilters(box) {
    if (box.getAttribute("data-reflib-ready")) return;
    box.setAttribute("data-reflib-ready", "1");
    var index = box.parentNode.querySelector(".reflib-index table");
    if (!index) return;
    var rows = Array.prototype.slice.call(index.querySelectorAll("tbody tr"));
    var controls = box.querySelectorAll("[data-reflib-filter]");
    var counter = box.querySelector("[data-reflib-count]");
    var sorting = { column: "", dir: "ascending" };
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
    var params = new URLSearchParams(window.location.search);
    controls.forEach(function (control) {
      var wanted = params.get(param(control.getAttribute("data-reflib-filter")));
      if (wanted !== null) {
        if (control.tagName === "SELECT") {
          var known = Array.prototype.some.call(control.options, function (o) {
            return o.value === wanted;
          });
          if (known) control.value = wanted;
        } else {
          control.value = wanted;
        }
      }
      function changed() { apply(); saveState(controls, sorting); }
      control.addEventListener("input", changed);
      control.addEventListener("change", changed);
    });
    var sorter = initSort(index, box, function (column, dir) {
      sorting = { column: column, dir: dir };
      saveState(controls, sorting);
    });
    if (params.get("sort")) {
      sorter(params.get("sort"), params.get("order") === "desc" ? "descending" : "ascending");
    }
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

  function columnName(th) { return th.textContent.trim().toLowerCase(); }

  /* Sorting: click (or Enter on) a column header, or choose in the "Sort" menu that the
   * filter bar gets (the headers are hidden where the table stacks, on a phone). Returns
   * sortBy(columnName, direction). */
  function initSort(table, box, onSort) {
    var heads = Array.prototype.slice.call(table.querySelectorAll("thead th"));
    var body = table.querySelector("tbody");
    var menu = document.createElement("select");
    menu.setAttribute("data-reflib-sort", "");
    var none = document.createElement("option");
    none.value = "";
    none.textContent = "as listed";
    menu.appendChild(none);
    heads.forEach(function (th) {
      [["ascending", "\u2191"], ["descending", "\u2193"]].forEach(function (d) {
        var option = document.createElement("option");
        option.value = columnName(th) + ":" + d[0];
        option.textContent = th.textContent.trim() + " " + d[1];
        menu.appendChild(option);
      });
    });
    var label = document.createElement("label");
    label.className = "reflib-sort";
    label.appendChild(document.createTextNode("Sort "));
    label.appendChild(menu);
    var count = box.querySelector("[data-reflib-count]");
    box.insertBefore(label, count);
    var original = Array.prototype.slice.call(body.querySelectorAll("tr"));

    function sortBy(column, dir) {
      var col = heads.map(columnName).indexOf(column);
      heads.forEach(function (other) { other.setAttribute("aria-sort", "none"); });
      if (col < 0) {
        original.forEach(function (row) { body.appendChild(row); });
        menu.value = "";
        onSort("", "ascending");
        return;
      }
      heads[col].setAttribute("aria-sort", dir);
      var keyed = original.map(function (row, i) {
        return { row: row, key: sortKey(row.children[col] || row), i: i };
      });
      keyed.sort(function (x, y) {
        var c = compare(x.key, y.key);
        return (dir === "ascending" ? c : -c) || x.i - y.i;
      });
      keyed.forEach(function (k) { body.appendChild(k.row); });
      menu.value = column + ":" + dir;
      onSort(column, dir);
    }

    heads.forEach(function (th) {
      th.setAttribute("role", "columnheader");
      th.setAttribute("tabindex", "0");
      th.setAttribute("aria-sort", "none");
      function sort() {
        sortBy(columnName(th),
               th.getAttribute("aria-sort") === "ascending" ? "descending" : "ascending");
      }
      th.addEventListener("click", sort);
      th.addEventListener("keydown", function (e) {
        if (e.key === "Enter" || e.key === " ") { e.preventDefault(); sort(); }
      });
    });
    menu.addEventListener("change", function () {
      var parts = menu.value.split(":");
      sortBy(parts[0] || "", parts[1] || "ascending");
    });
    return sortBy;
  }

  /* On a phone the index and dashboard tables stack: one block per row, each cell with its
   * column's name (from the header) before it. */
  var STACKED = ".reflib-index table, .reflib-queue table, .reflib-problems table, " +
    ".reflib-low-coverage table";

  function labelCells(root) {
    root.querySelectorAll(STACKED).forEach(function (table) {
      if (table.getAttribute("data-reflib-labelled")) return;
      table.setAttribute("data-reflib-labelled", "1");
      var names = Array.prototype.map.call(table.querySelectorAll("thead th"), function (th) {
        return th.textContent.trim();
      });
      table.querySelectorAll("tbody tr").forEach(function (row) {
        Array.prototype.forEach.call(row.children, function (cell, i) {
          if (names[i]) cell.setAttribute("data-label", names[i]);
        });
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
    // below the link, or above it when it would leave the window there and fits above
    var height = popover.offsetHeight;
    var below = r.bottom + 6 + height <= window.innerHeight;
    var above = r.top - 6 - height >= 0;
    var top = !below && above ? r.top - 6 - height : r.bottom + 6;
    popover.classList.toggle("reflib-popover--above", !below && above);
    popover.style.top = (top + window.scrollY) + "px";
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
    labelCells(document);
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
