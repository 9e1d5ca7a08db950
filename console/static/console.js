// The console's one script. Every page works without it; it adds:
// times in the operator's locale (the UTC time stays on hover), and
// tables that sort by a column when its heading's button is pressed.
"use strict";

// A time names its month in words and its zone ("5 Dec 2026, 23:40:02
// CET"): "12/5/2026" is December or May depending on the reader, and
// the title's UTC time is out of reach of a keyboard or a screen reader.
document.querySelectorAll("time[datetime]").forEach(function (t) {
  var d = new Date(t.getAttribute("datetime"));
  if (!isNaN(d)) {
    t.textContent = d.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "long" });
  }
});

document.querySelectorAll("table.sortable").forEach(function (table) {
  var heads = table.querySelectorAll("thead th");
  heads.forEach(function (th, col) {
    if (th.hasAttribute("data-nosort")) {
      return;
    }
    // The button keeps the heading's own words as its name (a screen
    // reader reads the heading with each cell of the column, so "Sort
    // by …" would be read there too); aria-sort on the heading says how
    // the column is sorted, "none" until its button is pressed.
    var b = document.createElement("button");
    b.type = "button";
    b.className = "sort";
    b.textContent = th.textContent;
    th.textContent = "";
    th.appendChild(b);
    th.setAttribute("aria-sort", "none");
    b.addEventListener("click", function () {
      var asc = th.getAttribute("aria-sort") !== "ascending";
      heads.forEach(function (h) {
        if (h.hasAttribute("aria-sort")) {
          h.setAttribute("aria-sort", "none");
        }
      });
      th.setAttribute("aria-sort", asc ? "ascending" : "descending");
      var body = table.tBodies[0];
      var rows = Array.prototype.slice.call(body.rows);
      rows.sort(function (a, b) {
        var x = key(a.cells[col]), y = key(b.cells[col]);
        var c = typeof x === "number" && typeof y === "number" ? x - y : String(x).localeCompare(String(y));
        return asc ? c : -c;
      });
      rows.forEach(function (r) { body.appendChild(r); });
    });
  });
});

// key is what a cell sorts by: its data-sort value (a number if it is
// one), else its text.
function key(cell) {
  if (!cell) {
    return "";
  }
  var v = cell.getAttribute("data-sort");
  if (v === null) {
    return cell.textContent.trim();
  }
  var n = Number(v);
  return isNaN(n) ? v : n;
}
