/* Findings: filter by severity, vendor, rule and status; sort by severity, vendor, rule,
   dataset or first seen. Data comes only from the JSON blob and data- attributes;
   nothing is ever written as HTML (options are built with textContent). */
(function () {
  "use strict";
  var blob = document.getElementById("report-data");
  var list = document.getElementById("finding-list");
  if (!blob || !list) { return; }
  var data = JSON.parse(blob.textContent);
  var cards = Array.prototype.slice.call(list.querySelectorAll("article.finding"));
  var keys = ["severity", "vendor", "rule", "status"];
  var countEl = document.getElementById("finding-count");
  var emptyEl = document.getElementById("finding-empty");
  var selects = facetSelects(keys, data.facets, apply);

  function apply() {
    var shown = 0;
    cards.forEach(function (card) {
      var match = keys.every(function (key) {
        var want = selects[key] ? selects[key].value : "";
        return !want || card.getAttribute("data-" + key) === want;
      });
      card.hidden = !match;
      if (match) { shown += 1; }
    });
    if (countEl) {
      countEl.textContent = shown === cards.length
        ? cards.length + (cards.length === 1 ? " finding" : " findings")
        : shown + " of " + cards.length + " findings shown";
    }
    if (emptyEl) { emptyEl.hidden = shown !== 0 || cards.length === 0; }
  }

  var accessors = {
    rank: function (c) {  /* open before waived, then critical .. info */
      return (c.getAttribute("data-status") === "waived" ? 10 : 0) + Number(c.getAttribute("data-rank"));
    },
    vendor: function (c) { return (c.getAttribute("data-vendor-name") || "").toLowerCase(); },
    rule: function (c) { return c.getAttribute("data-rule") || ""; },
    dataset: function (c) { return (c.getAttribute("data-dataset") || "").toLowerCase(); },
    first: function (c) { return c.getAttribute("data-first") || "~"; }
  };
  var buttons = sortButtons(sortBy);

  function sortBy(key, dir) {
    var get = accessors[key];
    var sign = dir === "desc" ? -1 : 1;
    cards.sort(function (a, b) {
      return sign * compare(get(a), get(b))
        || compare(accessors.rank(a), accessors.rank(b))
        || compare(Number(a.getAttribute("data-order")), Number(b.getAttribute("data-order")));
    });
    cards.forEach(function (card) { list.appendChild(card); });
    pressed(buttons, key, dir);
    list.setAttribute("data-sorted", key + ":" + dir);
  }

  var reset = document.getElementById("filter-reset");
  if (reset) {
    reset.addEventListener("click", function () {
      keys.forEach(function (key) { if (selects[key]) { selects[key].value = ""; } });
      sortBy("rank", "asc");
      apply();
    });
  }
  sortBy("rank", "asc");
  apply();
}());

/* "Copy waive command": the exact `auditor waive <id> --reason ... --until ... -c <config>`
   from the button's data-copy attribute. The Clipboard API where the page may use it, else a
   selected off-screen textarea and execCommand("copy"); the button says whether it worked. */
(function () {
  "use strict";
  function fallback(text) {
    var area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.style.position = "fixed";
    area.style.top = "0";
    area.style.left = "0";
    area.style.width = "1px";
    area.style.height = "1px";
    area.style.opacity = "0";
    document.body.appendChild(area);
    area.select();
    var ok = false;
    try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
    document.body.removeChild(area);
    return ok;
  }
  function done(button, ok) {
    var label = button.getAttribute("data-label") || button.textContent;
    button.setAttribute("data-label", label);
    button.textContent = ok ? "Copied" : "Select and copy: " + button.getAttribute("data-copy");
    button.classList.toggle("copied", ok);
    window.setTimeout(function () { button.textContent = label; button.classList.remove("copied"); }, ok ? 1600 : 8000);
  }
  /* one listener for the page: the buttons of grouped findings are drawn later */
  document.addEventListener("click", function (event) {
    var button = event.target && event.target.closest ? event.target.closest("button[data-copy]") : null;
    if (!button) { return; }
    var text = button.getAttribute("data-copy");
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(function () { done(button, true); },
        function () { done(button, fallback(text)); });
    } else {
      done(button, fallback(text));
    }
  });
}());

function el(tag, cls, text) {  /* an element with a class and text: never HTML */
  var e = document.createElement(tag);
  if (cls) { e.className = cls; }
  if (text !== undefined && text !== null) { e.textContent = text; }
  return e;
}

function compare(a, b) { return a < b ? -1 : a > b ? 1 : 0; }

function facetSelects(keys, facets, onChange) {  /* the filter <select>s, options built with textContent */
  var selects = {};
  keys.forEach(function (key) {
    var select = document.getElementById("filter-" + key);
    if (!select) { return; }
    (facets[key] || []).forEach(function (facet) {
      var option = document.createElement("option");
      option.value = facet.value;
      option.textContent = facet.label;
      select.appendChild(option);
    });
    select.addEventListener("change", onChange);
    selects[key] = select;
  });
  return selects;
}

function sortButtons(sortBy) {  /* the sort buttons: a click sorts ascending, a second click flips it */
  var buttons = Array.prototype.slice.call(document.querySelectorAll("#finding-controls [data-sort]"));
  buttons.forEach(function (button) {
    button.addEventListener("click", function () {
      var again = button.getAttribute("aria-pressed") === "true";
      var dir = again && button.getAttribute("data-dir") === "asc" ? "desc" : "asc";
      sortBy(button.getAttribute("data-sort"), again ? dir : "asc");
    });
  });
  return buttons;
}

function pressed(buttons, key, dir) {  /* the button of the sort in force is pressed, with its direction */
  buttons.forEach(function (button) {
    var on = button.getAttribute("data-sort") === key;
    button.setAttribute("aria-pressed", on ? "true" : "false");
    if (on) { button.setAttribute("data-dir", dir); } else { button.removeAttribute("data-dir"); }
  });
}

function breakable(tag, cls, text) {  /* as the template's |breakable: a <wbr> after each / . _ : , @ = & ? - run */
  var e = el(tag, cls);
  var parts = String(text).split(/([\/._:,@=&?-]+)/);
  parts.forEach(function (part, i) {
    if (part) { e.appendChild(document.createTextNode(part)); }
    if (i % 2 === 1 && i + 1 < parts.length && parts[i + 1]) { e.appendChild(document.createElement("wbr")); }
  });
  return e;
}

/* A large report's findings (more than the page can lay out at once): grouped by rule, then vendor,
   each group drawn from the #finding-data island when it is opened. Filters hide groups with no
   match and count what matches; sorting orders the findings inside each group. */
(function () {
  "use strict";
  var box = document.getElementById("finding-groups");
  var island = document.getElementById("finding-data");
  var blob = document.getElementById("report-data");
  if (!box || !island || !blob) { return; }
  var facets = JSON.parse(blob.textContent).facets;
  var data = JSON.parse(island.textContent);
  var S = data.strings;
  var ID = 0, SEV = 1, RANK = 2, STATUS = 3, NEW = 4, TITLE = 5, DS = 6, SRC = 7, URI = 8, SINCE = 9, FIRST = 10,
    EV = 11, EXPIRED = 12, DESC = 13, REM = 14, VNAME = 15, ORDER = 16, SHOW_AT_ONCE = 200;
  var labels = {};
  (facets.severity || []).forEach(function (f) { labels[f.value] = f.label; });
  var keys = ["severity", "vendor", "rule", "status"];
  var total = 0;
  var groups = Array.prototype.slice.call(box.querySelectorAll("details.finding-group"));
  var sections = Array.prototype.slice.call(box.querySelectorAll("section.rule-group"));
  groups.forEach(function (g) {
    g.rows = data.groups[g.getAttribute("data-group")].rows;
    g.rows.forEach(function (row, i) { row[ORDER] = i; });
    g.shown = g.rows;
    total += g.rows.length;
    g.addEventListener("toggle", function () { if (g.open) { draw(g); } });
  });
  var countEl = document.getElementById("finding-count");
  var emptyEl = document.getElementById("finding-empty");

  function quote(s) {  /* shlex.quote */
    if (s === "") { return "''"; }
    return /^[A-Za-z0-9_@%+=:,.\/-]+$/.test(s) ? s : "'" + s.replace(/'/g, "'\"'\"'") + "'";
  }

  function article(g, row) {
    var sev = S[row[SEV]], status = S[row[STATUS]];
    var a = el("article", "finding sev-" + sev + " status-" + status);
    var attrs = {id: S[row[ID]], severity: sev, rank: row[RANK], vendor: g.getAttribute("data-vendor"),
      "vendor-name": S[row[VNAME]], rule: g.getAttribute("data-rule"), status: status, dataset: S[row[DS]],
      first: S[row[FIRST]], order: row[ORDER]};
    Object.keys(attrs).forEach(function (k) { a.setAttribute("data-" + k, attrs[k]); });
    var head = el("header");
    head.appendChild(el("span", "badge sev-" + sev, labels[sev] || sev));
    head.appendChild(el("h3", "", S[row[TITLE]]));
    if (row[NEW] && status === "open") { head.appendChild(el("span", "tag new", "New")); }
    if (status === "waived") { head.appendChild(el("span", "tag waived", "Waived")); }
    if (row[EXPIRED] >= 0) { head.appendChild(el("span", "tag expired", "Waiver expired " + S[row[EXPIRED]])); }
    a.appendChild(head);
    var where = el("p", "where");
    where.appendChild(breakable("span", "ds-name", S[row[DS]]));
    where.appendChild(document.createTextNode(" · " + S[row[VNAME]] + " · source " + S[row[SRC]]));
    if (S[row[URI]]) { where.appendChild(document.createTextNode(" · ")); where.appendChild(breakable("code", "uri", S[row[URI]])); }
    where.appendChild(el("span", "since", S[row[SINCE]]));
    a.appendChild(where);
    if (S[row[DESC]] || S[row[REM]]) {
      var two = el("div", "two");
      [["Why it matters", DESC], ["What to do", REM]].forEach(function (x) {
        if (!S[row[x[1]]]) { return; }
        var d = el("div"); d.appendChild(el("h4", "", x[0])); d.appendChild(el("p", "", S[row[x[1]]])); two.appendChild(d);
      });
      a.appendChild(two);
    }
    var ev = row[EV];
    if (ev.length) {
      var details = el("details", "evidence");
      var summary = el("summary", "", "Evidence ");
      summary.appendChild(el("small", "muted", "(counts, names and masked samples only)"));
      details.appendChild(summary);
      var table = el("table", "kv");
      for (var i = 0; i < ev.length; i += 2) {
        var tr = table.insertRow();
        tr.appendChild(el("th", "", S[ev[i]]));
        tr.appendChild(breakable("td", "", S[ev[i + 1]]));
      }
      details.appendChild(table);
      a.appendChild(details);
    }
    var foot = el("footer");
    var fid = el("span", "finding-id", "id ");
    var code = el("code", "", S[row[ID]]);
    code.setAttribute("data-finding-id", "");
    fid.appendChild(code);
    var button = el("button", "copy no-print", "Copy waive command");
    button.type = "button";
    button.setAttribute("data-copy", data.waive[0] + quote(S[row[ID]]) + data.waive[1]);
    button.title = button.getAttribute("data-copy");
    fid.appendChild(button);
    foot.appendChild(fid);
    a.appendChild(foot);
    return a;
  }

  function draw(g, upTo) {
    var body = g.querySelector(".group-body");
    var limit = upTo || SHOW_AT_ONCE;
    body.textContent = "";
    var frag = document.createDocumentFragment();
    g.shown.slice(0, limit).forEach(function (row) { frag.appendChild(article(g, row)); });
    if (g.shown.length > limit) {
      var more = el("button", "link more no-print", "Show " + Math.min(SHOW_AT_ONCE, g.shown.length - limit) + " more of " + (g.shown.length - limit));
      more.type = "button";
      more.addEventListener("click", function () { draw(g, limit + SHOW_AT_ONCE); });
      frag.appendChild(more);
    }
    body.appendChild(frag);
  }

  var text = document.getElementById("filter-text"), words = "", timer = null, OPEN_UP_TO = 50;
  function hay(row) {
    if (row.hay === undefined) {
      row.hay = [S[row[ID]], S[row[DS]], S[row[SRC]], S[row[URI]]].join("\n").toLowerCase();
    }
    return row.hay;
  }

  function matches(g, row) {
    if (words && hay(row).indexOf(words) === -1) { return false; }
    return keys.every(function (key) {
      var want = selects[key] ? selects[key].value : "";
      if (!want) { return true; }
      var value = key === "vendor" ? g.getAttribute("data-vendor") : key === "rule" ? g.getAttribute("data-rule")
        : key === "severity" ? S[row[SEV]] : S[row[STATUS]];
      return value === want;
    });
  }

  function counted(span, shown) {
    var all = Number(span.getAttribute("data-total"));
    span.textContent = shown === all ? String(all) : shown + " of " + all;
  }

  function apply() {
    var shown = 0;
    groups.forEach(function (g) {
      g.shown = g.rows.filter(function (row) { return matches(g, row); });
      g.hidden = g.shown.length === 0;
      counted(g.querySelector(".group-count"), g.shown.length);
      shown += g.shown.length;
      if (g.open) { draw(g); }
    });
    sections.forEach(function (s) {
      var n = 0;
      Array.prototype.forEach.call(s.querySelectorAll("details.finding-group"), function (g) { n += g.shown.length; });
      s.hidden = n === 0;
      counted(s.querySelector("header .group-count"), n);
    });
    if (countEl) {
      countEl.textContent = shown === total ? total + (total === 1 ? " finding" : " findings")
        : shown + " of " + total + " findings shown";
    }
    if (emptyEl) { emptyEl.hidden = shown !== 0 || total === 0; }
    if (words && shown <= OPEN_UP_TO) {  /* a few matches of a search: show them */
      groups.forEach(function (g) { if (!g.hidden && !g.open) { g.open = true; } });
    }
  }

  if (text) {
    text.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(function () { words = text.value.trim().toLowerCase(); apply(); }, 150);
    });
  }

  var selects = facetSelects(keys, facets, apply);

  var accessors = {
    rank: function (r) { return (S[r[STATUS]] === "waived" ? 10 : 0) + r[RANK]; },
    vendor: function (r) { return S[r[VNAME]].toLowerCase(); },
    rule: function () { return ""; },  /* one rule a group */
    dataset: function (r) { return S[r[DS]].toLowerCase(); },
    first: function (r) { return S[r[FIRST]] || "~"; }
  };
  var buttons = sortButtons(sortBy);
  function sortBy(key, dir) {
    var get = accessors[key], sign = dir === "desc" ? -1 : 1;
    groups.forEach(function (g) {
      g.rows.sort(function (a, b) {
        return sign * compare(get(a), get(b)) || compare(accessors.rank(a), accessors.rank(b)) || compare(a[ORDER], b[ORDER]);
      });
    });
    pressed(buttons, key, dir);
    box.setAttribute("data-sorted", key + ":" + dir);
    apply();
  }
  var reset = document.getElementById("filter-reset");
  if (reset) {
    reset.addEventListener("click", function () {
      keys.forEach(function (key) { if (selects[key]) { selects[key].value = ""; } });
      if (text) { text.value = ""; words = ""; }
      sortBy("rank", "asc");
    });
  }
  apply();
}());

/* A large report's inventory: a paged table drawn from the #inventory-data island, with a
   find box over name, vendor, source and URI. */
(function () {
  "use strict";
  var island = document.getElementById("inventory-data");
  var table = document.getElementById("inventory-table");
  if (!island || !table) { return; }
  var data = JSON.parse(island.textContent);
  var S = data.strings, rows = data.rows, size = data.page;
  var find = document.getElementById("inventory-find");
  var prev = document.getElementById("inventory-prev");
  var next = document.getElementById("inventory-next");
  var range = document.getElementById("inventory-range");
  var shown = rows, page = 0, hay = null, timer = null;

  function list(td, items, cls, tag) {
    items.forEach(function (i) { td.appendChild(el(tag || "div", cls || "", S[i])); });
  }

  function body(r) {
    var tb = el("tbody", "ds-group" + (S[r[15]] === "error" ? " row-error" : ""));
    var tr = tb.insertRow();
    var ds = el("td", "ds");
    ds.style.paddingLeft = (0.6 + r[5] * 1.1) + "em";
    ds.appendChild(el("span", "kind", S[r[2]]));
    ds.appendChild(document.createTextNode(" "));
    ds.appendChild(breakable("strong", "", S[r[0]]));
    ds.appendChild(el("br"));
    ds.appendChild(el("small", "muted", S[r[3]] + " · " + S[r[4]]));
    ds.appendChild(el("br"));
    ds.appendChild(breakable("code", "uri", S[r[1]]));
    tr.appendChild(ds);
    var sz = el("td", "", S[r[6]] + " records");
    sz.appendChild(el("br"));
    sz.appendChild(el("small", "", S[r[7]]));
    tr.appendChild(sz);
    var when = el("td", r[11] ? "bad-text" : "", S[r[8]]);
    when.appendChild(el("br"));
    when.appendChild(el("small", "muted", S[r[9]] + (S[r[10]] ? " · " + S[r[10]] : "")));
    tr.appendChild(when);
    tr.appendChild(el("td", "", S[r[12]]));
    var prot = el("td"), dl = el("dl", "mini");
    for (var i = 0; i < r[13].length; i += 2) {
      dl.appendChild(el("dt", "", S[r[13][i]]));
      dl.appendChild(el("dd", S[r[13][i + 1]] === "unknown" ? "unknown" : "", S[r[13][i + 1]]));
    }
    prot.appendChild(dl);
    tr.appendChild(prot);
    var pd = el("td");
    list(pd, r[14]);
    tr.appendChild(pd);
    var st = el("td", "", S[r[15]]);
    if (S[r[16]]) { st.appendChild(el("div", "bad-text", S[r[16]])); }
    r[17].forEach(function (i) { var d = el("div"); d.appendChild(el("code", "denied", S[i])); st.appendChild(d); });
    list(st, r[18], "note");
    tr.appendChild(st);
    if (r[19].length) {
      var fr = tb.insertRow();
      fr.className = "facts-row";
      var td = el("td");
      td.colSpan = 7;
      var facts = el("dl", "facts");
      for (var j = 0; j < r[19].length; j += 2) {
        var div = el("div");
        div.appendChild(el("dt", "", S[r[19][j]]));
        div.appendChild(document.createTextNode(" "));
        div.appendChild(el("dd", "", S[r[19][j + 1]]));
        facts.appendChild(div);
      }
      td.appendChild(facts);
      fr.appendChild(td);
    }
    return tb;
  }

  function draw() {
    Array.prototype.slice.call(table.tBodies).forEach(function (tb) { table.removeChild(tb); });
    var pages = Math.max(1, Math.ceil(shown.length / size));
    page = Math.min(Math.max(0, page), pages - 1);
    var start = page * size, end = Math.min(shown.length, start + size);
    var frag = document.createDocumentFragment();
    for (var i = start; i < end; i++) { frag.appendChild(body(shown[i])); }
    if (!shown.length) {
      var tb = el("tbody");
      var td = el("td", "muted", "No dataset matches.");
      td.colSpan = 7;
      tb.insertRow().appendChild(td);
      frag.appendChild(tb);
    }
    table.appendChild(frag);
    range.textContent = shown.length ? "datasets " + (start + 1) + "–" + end + " of " + shown.length
      + (shown === rows ? "" : " matching (of " + rows.length + ")") : "0 of " + rows.length + " datasets match";
    prev.disabled = page === 0;
    next.disabled = page >= pages - 1;
  }

  function search() {
    var q = find.value.trim().toLowerCase();
    if (!q) { shown = rows; } else {
      if (!hay) { hay = rows.map(function (r) { return [S[r[0]], S[r[1]], S[r[3]], S[r[4]]].join("\n").toLowerCase(); }); }
      shown = rows.filter(function (r, i) { return hay[i].indexOf(q) !== -1; });
    }
    page = 0;
    draw();
  }

  prev.addEventListener("click", function () { page -= 1; draw(); });
  next.addEventListener("click", function () { page += 1; draw(); });
  find.addEventListener("input", function () { window.clearTimeout(timer); timer = window.setTimeout(search, 150); });
  draw();
}());
