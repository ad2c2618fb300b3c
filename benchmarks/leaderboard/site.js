// Sort any table.sortable by a column header; show a score cell's runs on click (or Enter).
(function () {
  "use strict";
  function key(cell, type) {
    var raw = cell ? cell.getAttribute("data-sort") : "";
    if (raw === null) { raw = cell.textContent; }
    if (type === "num") { return raw === "" ? null : parseFloat(raw); }
    return raw.toLowerCase();
  }
  function sortBy(table, index, header) {
    var type = header.getAttribute("data-type") || "text";
    var dir = header.getAttribute("aria-sort") === "descending" ? "ascending" : "descending";
    if (type === "text" && !header.hasAttribute("aria-sort")) { dir = "ascending"; }
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    rows.forEach(function (row, i) { row.setAttribute("data-order", i); });
    rows.sort(function (a, b) {
      var x = key(a.cells[index], type), y = key(b.cells[index], type);
      if (x === null && y === null) { return a.dataset.order - b.dataset.order; }
      if (x === null) { return 1; }  // cells without results stay last
      if (y === null) { return -1; }
      var c = x < y ? -1 : (x > y ? 1 : 0);
      if (dir === "descending") { c = -c; }
      return c || a.dataset.order - b.dataset.order;
    });
    rows.forEach(function (row) { body.appendChild(row); });
    Array.prototype.forEach.call(header.parentNode.cells, function (th) {
      th.removeAttribute("aria-sort");
    });
    header.setAttribute("aria-sort", dir);
  }
  Array.prototype.forEach.call(document.querySelectorAll("table.sortable"), function (table) {
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, i) {
      th.addEventListener("click", function () { sortBy(table, i, th); });
    });
  });
  function show(cell) {
    var table = cell.closest("table");
    var detail = document.getElementById(table.id + "-detail");
    var tpl = document.getElementById(cell.getAttribute("data-cell"));
    var open = table.querySelector("td.open");
    if (open) { open.classList.remove("open"); }
    if (!tpl || open === cell) { detail.hidden = true; detail.textContent = ""; return; }
    detail.textContent = "";
    detail.appendChild(tpl.content.cloneNode(true));
    detail.hidden = false;
    cell.classList.add("open");
  }
  Array.prototype.forEach.call(document.querySelectorAll("td[data-cell]"), function (cell) {
    cell.addEventListener("click", function () { show(cell); });
    cell.addEventListener("keydown", function (e) { if (e.key === "Enter") { show(cell); } });
  });
}());
