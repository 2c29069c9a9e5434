// Sortable tables (table.sortable): each column header becomes a button; a click (or Enter / Space) sorts by that
// column, a second click reverses. Numbers sort as numbers, '-' (missing) last. Progressive enhancement only: without
// this file the tables are plain, and every table has a CSV download.
(function () {
  "use strict";
  function key(text) {
    var t = text.trim();
    if (t === "-" || t === "") { return null; }
    var n = Number(t.replace(/,/g, ""));
    return isNaN(n) ? t.toLowerCase() : n;
  }
  function compare(a, b) {
    if (a === null) { return b === null ? 0 : 1; }
    if (b === null) { return -1; }
    if (typeof a === typeof b) { return a < b ? -1 : a > b ? 1 : 0; }
    return typeof a === "number" ? -1 : 1;
  }
  function sortBy(table, col, th) {
    var body = table.tBodies[0];
    var dir = th.getAttribute("aria-sort") === "ascending" ? -1 : 1;
    var rows = Array.prototype.slice.call(body.rows);
    var keyed = rows.map(function (r, i) { return [key(r.cells[col] ? r.cells[col].textContent : ""), i, r]; });
    keyed.sort(function (x, y) {
      if (x[0] === null || y[0] === null) { return compare(x[0], y[0]) || x[1] - y[1]; }
      return dir * compare(x[0], y[0]) || x[1] - y[1];
    });
    keyed.forEach(function (k) { body.appendChild(k[2]); });
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (h) { h.removeAttribute("aria-sort"); });
    th.setAttribute("aria-sort", dir === 1 ? "ascending" : "descending");
  }
  document.querySelectorAll("table.sortable").forEach(function (table) {
    if (!table.tHead) { return; }
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, col) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "sort";
      button.textContent = th.textContent;
      button.title = "sort by " + th.textContent;
      th.textContent = "";
      th.appendChild(button);
      button.addEventListener("click", function () { sortBy(table, col, th); });
    });
  });
})();
