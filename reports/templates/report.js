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
  var selects = {};
  var countEl = document.getElementById("finding-count");
  var emptyEl = document.getElementById("finding-empty");

  keys.forEach(function (key) {
    var select = document.getElementById("filter-" + key);
    if (!select) { return; }
    (data.facets[key] || []).forEach(function (facet) {
      var option = document.createElement("option");
      option.value = facet.value;
      option.textContent = facet.label;
      select.appendChild(option);
    });
    select.addEventListener("change", apply);
    selects[key] = select;
  });

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
  var buttons = Array.prototype.slice.call(document.querySelectorAll("#finding-controls [data-sort]"));

  function compare(a, b) { return a < b ? -1 : a > b ? 1 : 0; }

  function sortBy(key, dir) {
    var get = accessors[key];
    var sign = dir === "desc" ? -1 : 1;
    cards.sort(function (a, b) {
      return sign * compare(get(a), get(b))
        || compare(accessors.rank(a), accessors.rank(b))
        || compare(Number(a.getAttribute("data-order")), Number(b.getAttribute("data-order")));
    });
    cards.forEach(function (card) { list.appendChild(card); });
    buttons.forEach(function (button) {
      var on = button.getAttribute("data-sort") === key;
      button.setAttribute("aria-pressed", on ? "true" : "false");
      if (on) { button.setAttribute("data-dir", dir); } else { button.removeAttribute("data-dir"); }
    });
    list.setAttribute("data-sorted", key + ":" + dir);
  }

  buttons.forEach(function (button) {
    button.addEventListener("click", function () {
      var key = button.getAttribute("data-sort");
      var again = button.getAttribute("aria-pressed") === "true";
      var dir = again && button.getAttribute("data-dir") === "asc" ? "desc" : "asc";
      sortBy(key, again ? dir : "asc");
    });
  });

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
  Array.prototype.forEach.call(document.querySelectorAll("button[data-copy]"), function (button) {
    button.addEventListener("click", function () {
      var text = button.getAttribute("data-copy");
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(text).then(function () { done(button, true); },
          function () { done(button, fallback(text)); });
      } else {
        done(button, fallback(text));
      }
    });
  });
}());
