/* reflib site search: a search button in Material's header that opens Pagefind's UI.
 * The Pagefind bundle (written into <site>/pagefind/ after the build) is loaded on first use,
 * so pages that are only read never download it. Each result is a section of a page, linking
 * to its heading; filters: kind, type, status, priority, topic. Keys: "/" or Ctrl+K opens, Escape closes. */
(function () {
  "use strict";

  var script = document.currentScript;
  // this file is <site>/assets/reflib/reflib-search.js
  var root = new URL("../../", script ? script.src : window.location.href);
  var bundle = new URL("pagefind/", root);
  var ICON = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" aria-hidden="true">' +
    '<path d="M9.5 3A6.5 6.5 0 0 1 16 9.5c0 1.61-.59 3.09-1.56 4.23l.27.27h.79l5 5-1.5 1.5-5-5v-.79' +
    'l-.27-.27A6.52 6.52 0 0 1 9.5 16 6.5 6.5 0 0 1 3 9.5 6.5 6.5 0 0 1 9.5 3m0 2C7 5 5 7 5 9.5S7 ' +
    '14 9.5 14 14 12 14 9.5 12 5 9.5 5"/></svg>';
  var dialog = null;
  var ui = null;
  var loading = null;
  var lastFocus = null;

  function load(tag, attrs) {
    return new Promise(function (resolve, reject) {
      var el = document.createElement(tag);
      Object.keys(attrs).forEach(function (k) { el.setAttribute(k, attrs[k]); });
      el.onload = resolve;
      el.onerror = function () { reject(new Error("cannot load " + (attrs.src || attrs.href))); };
      document.head.appendChild(el);
    });
  }

  function loadPagefind() {
    if (!loading) {
      loading = Promise.all([
        load("link", { rel: "stylesheet", href: new URL("pagefind-ui.css", bundle).href }),
        load("script", { src: new URL("pagefind-ui.js", bundle).href })
      ]);
    }
    return loading;
  }

  /* Pagefind's UI writes titles as HTML: text from the library (titles, headings) must not
   * carry markup into it. The build already neutralises filter and metadata values; headings
   * are text, so their angle brackets are replaced here too. */
  function plain(text) {
    return String(text == null ? "" : text).replace(/</g, "\u2039").replace(/>/g, "\u203a");
  }

  /* How well a sub-result matches: the summed scores of the query's words in it. */
  function score(sub) {
    return (sub.weighted_locations || []).reduce(function (sum, w) {
      return sum + (w.balanced_score || 0);
    }, 0);
  }

  /* One result per section (the build cuts pages at their headings): its title is "heading
   * — resource · kind", and its link goes to the heading. When the build cut at fewer levels
   * (or none: whole pages), the headings inside a record are Pagefind's sub-results: the one
   * that matches best becomes the result (title, link and excerpt), the others stay under
   * it, linked into the page. Pagefind's UI may hand the same (already processed) result in
   * again when it shows more results: that must change nothing; a later query may hand in
   * the same object with its own sub-results. */
  function processResult(result) {
    // Pagefind keeps one object per record across queries and gives it each query's
    // sub-results: processed is when they are still the ones set here
    if (result.reflibSubs && result.sub_results === result.reflibSubs) return result;
    var meta = result.reflibMeta || result.meta || {};
    result.reflibMeta = meta;
    var where = meta.title;
    if (meta.resource_title && meta.kind && meta.kind !== "topic") {
      where = meta.resource_title + " · " + meta.kind;
    }
    var all = result.sub_results || [];
    // a sub-result for the page's title heading says nothing the result does not
    var subs = all.filter(function (sub) {
      return sub.anchor && sub.anchor.id && String(sub.anchor.element).toLowerCase() !== "h1";
    });
    // what precedes the first heading (or the title's part): the page itself
    var start = all.filter(function (sub) { return subs.indexOf(sub) < 0; });
    var section = meta.section, url = meta.url, own = null;
    if (meta.page != null && meta.anchor) {
      var link = function (anchor) {
        var target = new URL(meta.page, root);
        target.hash = anchor;
        return target.pathname + target.search + target.hash;
      };
      // Pagefind links them into the section's own document: take them to the page
      subs.forEach(function (sub) { sub.url = link(sub.anchor.id); });
      own = subs.filter(function (sub) { return sub.anchor.id === meta.anchor; })[0] ||
        { title: section, url: link(meta.anchor), excerpt: result.excerpt,
          weighted_locations: [] };
      own.title = section;
      subs = subs.filter(function (sub) { return sub !== own; });
      url = own.url;
    }
    var best = subs.length ? subs.reduce(function (a, b) { return score(b) > score(a) ? b : a; })
      : null;
    if (best && !url) {
      // a whole page: its best section is the result, unless its start matches better;
      // the other sections stay under it
      if (start.some(function (sub) { return score(sub) >= score(best); })) best = null;
    } else if (!best || !own || score(best) <= score(own)) {
      best = null;
    }
    if (best) {
      subs = subs.filter(function (sub) { return sub !== best; });
      if (own) subs.unshift(own);
      section = best.title;
      url = best.url;
      if (best.excerpt) result.excerpt = best.excerpt;
    }
    subs.forEach(function (sub) { sub.title = plain(sub.title); });
    // the title says it all: show no metadata tags under each result
    result.meta = { title: plain(section ? section + " — " + where : where), image: meta.image,
                    url: url };
    // Pagefind's UI shows the result's excerpt when its first sub-result is the result
    // itself (and the others under it)
    subs.unshift({ title: result.meta.title, url: url || result.url, excerpt: result.excerpt,
                   weighted_locations: [], locations: [] });
    result.sub_results = result.reflibSubs = subs;
    return result;
  }

  function ensureDialog() {
    if (dialog && document.body.contains(dialog)) return dialog;
    dialog = document.createElement("div");
    dialog.className = "reflib-search";
    dialog.hidden = true;
    dialog.setAttribute("role", "dialog");
    dialog.setAttribute("aria-modal", "true");
    dialog.setAttribute("aria-label", "Search the library");
    dialog.innerHTML = '<div class="reflib-search__overlay" data-reflib-search-close></div>' +
      '<div class="reflib-search__panel">' +
      '<button type="button" class="reflib-search__close" data-reflib-search-close ' +
      'aria-label="Close search" title="Close (Esc)">×</button>' +
      '<div class="reflib-search__ui" id="reflib-search-ui">' +
      '<p class="reflib-search__status">Loading search…</p></div></div>';
    dialog.addEventListener("click", function (e) {
      if (e.target.closest("[data-reflib-search-close]")) close();
      else if (e.target.closest("a[href]")) close(true);
    });
    document.body.appendChild(dialog);
    ui = null;
    return dialog;
  }

  /* What the build says of its index (assets/reflib/search.json): how many results to show
   * at once. A missing or unreadable file leaves the defaults. */
  var settings = null;
  function loadSettings() {
    if (!settings) {
      settings = fetch(new URL("assets/reflib/search.json", root).href)
        .then(function (r) { return r.ok ? r.json() : {}; })
        .catch(function () { return {}; });
    }
    return settings;
  }

  function open() {
    var box = ensureDialog();
    lastFocus = document.activeElement;
    box.hidden = false;
    document.documentElement.classList.add("reflib-search-open");
    Promise.all([loadPagefind(), loadSettings()]).then(function (done) {
      var pageSize = Number(done[1] && done[1].page_size) || 8;
      if (!ui) {
        box.querySelector(".reflib-search__ui").textContent = "";
        ui = new window.PagefindUI({
          element: "#reflib-search-ui",
          bundlePath: bundle.pathname,
          baseUrl: root.pathname,
          showSubResults: true,
          showImages: false,
          resetStyles: true,
          pageSize: Math.max(1, Math.min(pageSize, 20)),
          excerptLength: 24,
          processResult: processResult,
          translations: { placeholder: "Search cards, topics and full texts" }
        });
      }
      var input = box.querySelector(".pagefind-ui__search-input");
      if (input) input.focus();
    }, function () {
      box.querySelector(".reflib-search__ui").innerHTML =
        '<p class="reflib-search__status">Search is not available: the site has no Pagefind ' +
        "index (it is written after the build).</p>";
    });
  }

  function close(keepFocus) {
    if (!dialog || dialog.hidden) return;
    dialog.hidden = true;
    document.documentElement.classList.remove("reflib-search-open");
    if (!keepFocus && lastFocus && lastFocus.focus) lastFocus.focus();
  }

  function ensureButton() {
    var inner = document.querySelector(".md-header__inner");
    if (!inner || inner.querySelector(".reflib-search-button")) return;
    var button = document.createElement("button");
    button.type = "button";
    button.className = "md-header__button md-icon reflib-search-button";
    button.setAttribute("aria-label", "Search");
    button.setAttribute("title", "Search (/)");
    button.setAttribute("data-reflib-search-open", "");
    button.innerHTML = ICON + '<span class="reflib-search-button__label">Search</span>';
    button.addEventListener("click", open);
    var source = inner.querySelector(".md-header__source");
    inner.insertBefore(button, source);
  }

  function typing(target) {
    return target && (target.isContentEditable ||
      /^(input|textarea|select)$/i.test(target.tagName || ""));
  }

  document.addEventListener("keydown", function (e) {
    if (e.key === "Escape") { close(); return; }
    if (typing(e.target)) return;
    if (e.key === "/" || ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === "k")) {
      e.preventDefault();
      open();
    }
  });

  ensureButton();
  if (typeof window.document$ !== "undefined" && window.document$.subscribe) {
    // instant navigation swaps the page without a reload: close the dialog after a jump
    window.document$.subscribe(function () { ensureButton(); close(true); });
  }
  window.reflibSearch = { open: open, close: close };
})();
