// Talent-needs editor of an investment project: add and remove rows. Without JavaScript the
// form still offers spare blank rows, and clearing a row removes it.
(function () {
  "use strict";
  function renumber(body) {
    body.querySelectorAll("tr.need-row").forEach(function (row, i) {
      row.querySelector(".row-no").textContent = String(i + 1);
      ["专业", "年份", "人数"].forEach(function (label, k) {
        row.querySelectorAll("input")[k].setAttribute("aria-label", "第 " + (i + 1) + " 行" + label);
      });
    });
  }
  function wire(row, body) {
    var remove = row.querySelector(".remove-row");
    remove.hidden = false;
    remove.addEventListener("click", function () {
      if (body.querySelectorAll("tr.need-row").length > 1) {
        row.remove();
      } else {
        row.querySelectorAll("input").forEach(function (input) { input.value = ""; });
      }
      renumber(body);
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    var body = document.getElementById("need-rows");
    var add = document.getElementById("add-need-row");
    if (!body || !add) { return; }
    body.querySelectorAll("tr.need-row").forEach(function (row) { wire(row, body); });
    add.hidden = false;
    add.addEventListener("click", function () {
      var rows = body.querySelectorAll("tr.need-row");
      var copy = rows[rows.length - 1].cloneNode(true);
      copy.querySelectorAll("input").forEach(function (input) { input.value = ""; });
      body.appendChild(copy);
      wire(copy, body);
      renumber(body);
      copy.querySelector("input").focus();
    });
  });
})();
