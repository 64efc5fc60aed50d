/* The vnmod report page: charts (Plotly), top posts, filters, the paged table, the language
   switch. Data from the scored file enter the DOM through textContent only, never innerHTML. */
(function () {
  "use strict";

  const DATA = JSON.parse(document.getElementById("vnmod-data").textContent);
  const STRINGS = JSON.parse(document.getElementById("vnmod-strings").textContent);
  const META = DATA.meta;
  const CATS = DATA.categories.map(function (c) { return c.key; });
  const ROWS = DATA.rows; // [row, id, text, labelMask, score x4, status, date]
  const R_ROW = 0, R_ID = 1, R_TEXT = 2, R_MASK = 3, R_SCORE = 4, R_STATUS = 8, R_DATE = 9;
  const PLOT_CONFIG = { displaylogo: false, responsive: true,
    modeBarButtonsToRemove: ["select2d", "lasso2d", "autoScale2d"] };

  const state = { lang: META.lang, category: "all", threshold: 0, search: "", sort: "row",
    page: 0, pageSize: 50 };
  let matched = [];       // indices into ROWS that pass the filters, in display order
  let lowerTexts = null;  // ROWS' texts for searching, made on the first search
  const maxScores = ROWS.map(function (r) {
    return Math.max(r[R_SCORE], r[R_SCORE + 1], r[R_SCORE + 2], r[R_SCORE + 3]);
  });

  // ------------------------------------------------------------------------- strings

  function t(key, args) {
    const entry = STRINGS[key];
    if (!entry || entry[state.lang] === undefined) {
      console.error("vnmod report: no string " + key + " in " + state.lang);
      return key;
    }
    let text = entry[state.lang];
    if (args) {
      Object.keys(args).forEach(function (name) {
        const value = typeof args[name] === "number" ? fmtNum(args[name]) : String(args[name]);
        text = text.split("{" + name + "}").join(value);
      });
    }
    return text;
  }

  function locale() { return state.lang === "vi" ? "vi-VN" : "en-US"; }
  function fmtNum(n) { return new Intl.NumberFormat(locale()).format(n); }
  function fmtPct(x) {
    return new Intl.NumberFormat(locale(), { style: "percent", minimumFractionDigits: 1,
      maximumFractionDigits: 1 }).format(x);
  }
  function fmtScore(x) {
    return new Intl.NumberFormat(locale(), { minimumFractionDigits: 2,
      maximumFractionDigits: 2 }).format(x);
  }
  function catName(cat) { return t("cat." + cat); }
  function color(cat) {
    return getComputedStyle(document.documentElement).getPropertyValue("--c-" + cat).trim();
  }

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined && text !== null) { node.textContent = text; }
    return node;
  }

  function badges(mask) {
    const frag = document.createDocumentFragment();
    CATS.forEach(function (cat, i) {
      if (mask & (1 << i)) { frag.appendChild(el("span", "badge cat-" + cat, catName(cat))); }
    });
    return frag;
  }

  // -------------------------------------------------------------------------- charts

  function layout(extra) {
    return Object.assign({
      margin: { l: 55, r: 15, t: 45, b: 45 },
      separators: state.lang === "vi" ? ",." : ".,",
      font: { family: "system-ui, -apple-system, Segoe UI, Roboto, Noto Sans, Arial, sans-serif",
        size: 12 },
      paper_bgcolor: "rgba(0,0,0,0)",
      plot_bgcolor: "rgba(0,0,0,0)",
      showlegend: false,
    }, extra);
  }

  function drawCounts() {
    const total = Math.max(1, META.rows);
    Plotly.react("chart-counts", [{
      type: "bar",
      x: CATS.map(catName),
      y: CATS.map(function (c) { return DATA.counts[c]; }),
      text: CATS.map(function (c) { return fmtPct(DATA.counts[c] / total); }),
      textposition: "auto",
      marker: { color: CATS.map(color) },
      hovertemplate: "%{x}: %{y}<extra></extra>",
    }], layout({
      title: { text: t("chart_counts") },
      yaxis: { title: { text: t("count") }, rangemode: "tozero" },
    }), PLOT_CONFIG);
  }

  function drawHistograms() {
    const bins = DATA.hist.bins;
    const width = 1 / bins;
    const centres = [];
    for (let i = 0; i < bins; i++) { centres.push((i + 0.5) * width); }
    CATS.forEach(function (cat) {
      Plotly.react("chart-hist-" + cat, [{
        type: "bar",
        x: centres,
        y: DATA.hist.counts[cat],
        width: width,
        marker: { color: color(cat) },
        hovertemplate: t("score") + " %{x:.3f}: %{y}<extra></extra>",
      }], layout({
        title: { text: catName(cat), x: 0, xanchor: "left", xref: "paper" },
        bargap: 0.05,
        xaxis: { title: { text: t("score") }, range: [0, 1] },
        yaxis: { title: { text: t("count") }, rangemode: "tozero" },
        updatemenus: [{
          type: "buttons", direction: "left", showactive: true, x: 1, xanchor: "right", y: 1.22,
          yanchor: "top", pad: { r: 0, t: 0 }, font: { size: 10 },
          buttons: [
            { label: t("scale_linear"), method: "relayout", args: [{ "yaxis.type": "linear" }] },
            { label: t("scale_log"), method: "relayout", args: [{ "yaxis.type": "log" }] },
          ],
        }],
      }), PLOT_CONFIG);
    });
  }

  function drawTimeline() {
    const tl = DATA.timeline;
    if (!tl || !tl.x.length || !document.getElementById("chart-timeline")) { return; }
    const mode = tl.x.length > 60 ? "lines" : "lines+markers";
    const traces = [{
      type: "scatter", mode: mode, name: t("timeline_all"), x: tl.x, y: tl.total,
      line: { color: color("total"), dash: "dot" },
    }];
    CATS.forEach(function (cat) {
      traces.push({ type: "scatter", mode: mode, name: catName(cat), x: tl.x, y: tl.counts[cat],
        line: { color: color(cat) } });
    });
    Plotly.react("chart-timeline", traces, layout({
      title: { text: t("bucket_" + tl.bucket) },
      showlegend: true,
      legend: { orientation: "h", y: -0.2 },
      margin: { l: 55, r: 15, t: 45, b: 70 },
      // Numeric dates in Vietnamese (Plotly's month names are English only).
      xaxis: state.lang === "vi"
        ? { type: "date", tickformat: tl.bucket === "month" ? "%m/%Y" : "%d/%m/%Y",
          hoverformat: tl.bucket === "month" ? "%m/%Y" : "%d/%m/%Y" }
        : { type: "date" },
      yaxis: { title: { text: t("count") }, rangemode: "tozero" },
      hovermode: "x unified",
    }), PLOT_CONFIG);
  }

  function drawCharts() {
    if (typeof Plotly === "undefined") {
      console.error("vnmod report: Plotly did not load");
      return;
    }
    drawCounts();
    drawHistograms();
    drawTimeline();
  }

  // ------------------------------------------------------------------------- filters

  function searchKey(text) { return text.normalize("NFC").toLowerCase(); }

  function passes(mask, scores, max) {
    const cat = state.category;
    let score = max;
    if (cat === "flagged") {
      if (!mask) { return false; }
    } else if (cat === "clean") {
      if (mask) { return false; }
    } else if (cat !== "all") {
      const i = CATS.indexOf(cat);
      if (!(mask & (1 << i))) { return false; }
      score = scores[i];
    }
    return score >= state.threshold;
  }

  function applyFilters() {
    const needle = searchKey(state.search.trim());
    if (needle && lowerTexts === null) {
      lowerTexts = ROWS.map(function (r) { return searchKey(r[R_TEXT]); });
    }
    const out = [];
    const scores = [0, 0, 0, 0];
    for (let i = 0; i < ROWS.length; i++) {
      const r = ROWS[i];
      for (let k = 0; k < 4; k++) { scores[k] = r[R_SCORE + k]; }
      if (!passes(r[R_MASK], scores, maxScores[i])) { continue; }
      if (needle && lowerTexts[i].indexOf(needle) < 0) { continue; }
      out.push(i);
    }
    matched = out;
    sortMatched();
    state.page = 0;
    renderTable();
    renderTop();
  }

  function sortMatched() {
    if (state.sort === "row") {
      matched.sort(function (a, b) { return a - b; });
      return;
    }
    const k = state.sort === "max" ? -1 : CATS.indexOf(state.sort);
    const key = k < 0 ? function (i) { return maxScores[i]; }
      : function (i) { return ROWS[i][R_SCORE + k]; };
    matched.sort(function (a, b) { return key(b) - key(a) || a - b; });
  }

  // ----------------------------------------------------------------------- top posts

  function renderPost(post, cat) {
    const li = el("li", "post");
    const meta = el("div", "post-meta");
    meta.appendChild(el("span", "badge score", fmtScore(post.score)));
    meta.appendChild(el("span", null, t("row") + " " + fmtNum(post.row)));
    if (post.id) { meta.appendChild(el("code", null, post.id)); }
    meta.appendChild(badges(post.mask));
    li.appendChild(meta);
    const text = el("p", "post-text");
    post.segments.forEach(function (seg) {
      if (seg[1].length) {
        const mark = el("mark", "ev cat-" + cat, seg[0]);
        mark.title = t("rules") + ": " + seg[1].join(", ");
        text.appendChild(mark);
      } else {
        text.appendChild(document.createTextNode(seg[0]));
      }
    });
    li.appendChild(text);
    if (post.reason) { li.appendChild(el("p", "post-reason", t("reason") + ": " + post.reason)); }
    return li;
  }

  function renderTop() {
    const needle = searchKey(state.search.trim());
    let shown = 0;
    CATS.forEach(function (cat) {
      const article = document.getElementById("top-" + cat);
      const visible = state.category === "all" || state.category === "flagged"
        || state.category === cat;
      article.hidden = !visible;
      if (!visible) { return; }
      shown++;
      const list = document.getElementById("top-list-" + cat);
      const frag = document.createDocumentFragment();
      DATA.top[cat].forEach(function (post) {
        if (post.score < state.threshold) { return; }
        if (needle) {
          if (post.search === undefined) {
            post.search = searchKey(post.segments.map(function (s) { return s[0]; }).join(""));
          }
          if (post.search.indexOf(needle) < 0) { return; }
        }
        frag.appendChild(renderPost(post, cat));
      });
      if (!frag.childNodes.length) { frag.appendChild(el("li", "empty", t("no_posts"))); }
      list.replaceChildren(frag);
    });
    document.getElementById("top-empty").hidden = shown > 0;
  }

  // --------------------------------------------------------------------------- table

  function pages() { return Math.max(1, Math.ceil(matched.length / state.pageSize)); }

  function renderTable() {
    const last = pages() - 1;
    state.page = Math.min(Math.max(0, state.page), last);
    const start = state.page * state.pageSize;
    const end = Math.min(matched.length, start + state.pageSize);
    const frag = document.createDocumentFragment();
    for (let p = start; p < end; p++) {
      const r = ROWS[matched[p]];
      const tr = document.createElement("tr");
      tr.appendChild(el("td", "num", fmtNum(r[R_ROW])));
      if (META.has_id) { tr.appendChild(el("td", "id", r[R_ID])); }
      if (META.has_date) { tr.appendChild(el("td", "date", r[R_DATE])); }
      const td = el("td", "text");
      const div = el("div", "cell-text", r[R_TEXT]);
      div.title = r[R_TEXT];
      td.appendChild(div);
      tr.appendChild(td);
      const labels = el("td", "labels");
      labels.appendChild(badges(r[R_MASK]));
      tr.appendChild(labels);
      CATS.forEach(function (cat, i) {
        const hit = r[R_MASK] & (1 << i);
        tr.appendChild(el("td", "num score" + (hit ? " hit cat-" + cat : ""),
          fmtScore(r[R_SCORE + i])));
      });
      tr.appendChild(el("td", "status", r[R_STATUS]));
      frag.appendChild(tr);
    }
    document.querySelector("#posts-table tbody").replaceChildren(frag);
    document.getElementById("matching").textContent = t("matching", { n: matched.length });
    document.getElementById("page-info").textContent =
      t("page_of", { page: state.page + 1, pages: last + 1 });
    const input = document.getElementById("page-input");
    input.max = String(last + 1);
    input.value = String(state.page + 1);
    document.getElementById("page-first").disabled = state.page === 0;
    document.getElementById("page-prev").disabled = state.page === 0;
    document.getElementById("page-next").disabled = state.page === last;
    document.getElementById("page-last").disabled = state.page === last;
  }

  function goTo(page) {
    state.page = page;
    renderTable();
  }

  // ------------------------------------------------------------------------ language

  function applyLanguage() {
    document.documentElement.lang = state.lang;
    document.title = t("title") + " – " + META.source;
    document.querySelectorAll("[data-i18n]").forEach(function (node) {
      const args = node.dataset.i18nArgs ? JSON.parse(node.dataset.i18nArgs) : null;
      node.textContent = t(node.dataset.i18n, args);
    });
    document.querySelectorAll("[data-i18n-title]").forEach(function (node) {
      node.title = t(node.dataset.i18nTitle);
    });
    document.querySelectorAll("[data-num]").forEach(function (node) {
      node.textContent = fmtNum(Number(node.dataset.num));
    });
    document.querySelectorAll("[data-pct]").forEach(function (node) {
      node.textContent = fmtPct(Number(node.dataset.pct));
    });
    document.querySelectorAll("[data-sort-cat]").forEach(function (node) {
      node.textContent = t("sort_score", { category: catName(node.dataset.sortCat) });
    });
    DATA.categories.forEach(function (c) {
      document.querySelector(".cat-desc[data-cat='" + c.key + "']").textContent =
        state.lang === "vi" ? c.name_vi + ": " + c.description_vi : c.description_en;
    });
    document.getElementById("threshold-value").textContent = fmtScore(state.threshold);
    drawCharts();
    renderTop();
    renderTable();
  }

  // -------------------------------------------------------------------------- events

  function debounce(fn, ms) {
    let timer = null;
    return function () {
      clearTimeout(timer);
      timer = setTimeout(fn, ms);
    };
  }

  function byId(id) { return document.getElementById(id); }

  byId("lang-switch").addEventListener("click", function () {
    state.lang = state.lang === "vi" ? "en" : "vi";
    applyLanguage();
  });
  byId("filter-category").addEventListener("change", function (ev) {
    state.category = ev.target.value;
    applyFilters();
  });
  const refilter = debounce(applyFilters, 120);
  byId("filter-threshold").addEventListener("input", function (ev) {
    state.threshold = Number(ev.target.value);
    byId("threshold-value").textContent = fmtScore(state.threshold);
    refilter();
  });
  const research = debounce(applyFilters, 200);
  byId("filter-search").addEventListener("input", function (ev) {
    state.search = ev.target.value;
    research();
  });
  byId("filter-reset").addEventListener("click", function () {
    state.category = "all";
    state.threshold = 0;
    state.search = "";
    byId("filter-category").value = "all";
    byId("filter-threshold").value = "0";
    byId("filter-search").value = "";
    byId("threshold-value").textContent = fmtScore(0);
    applyFilters();
  });
  byId("sort").addEventListener("change", function (ev) {
    state.sort = ev.target.value;
    sortMatched();
    goTo(0);
  });
  byId("page-size").addEventListener("change", function (ev) {
    state.pageSize = Number(ev.target.value);
    goTo(0);
  });
  byId("page-first").addEventListener("click", function () { goTo(0); });
  byId("page-prev").addEventListener("click", function () { goTo(state.page - 1); });
  byId("page-next").addEventListener("click", function () { goTo(state.page + 1); });
  byId("page-last").addEventListener("click", function () { goTo(pages() - 1); });
  byId("page-input").addEventListener("change", function (ev) {
    const page = parseInt(ev.target.value, 10);
    goTo(Number.isFinite(page) ? page - 1 : state.page);
  });

  matched = ROWS.map(function (_, i) { return i; });
  applyLanguage();
  document.body.dataset.ready = "true";
}());
