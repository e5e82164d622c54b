// Majors–industry fit trend: supply and demand bars with the index line, drawn with the
// vendored ECharts from the JSON the page embeds (#fit-data); the table below holds the same
// numbers, so the page reads without scripts.
(function () {
  "use strict";

  function ready(fn) {
    if (document.readyState !== "loading") fn();
    else document.addEventListener("DOMContentLoaded", fn);
  }

  ready(function () {
    var node = document.getElementById("fit-data");
    var el = document.getElementById("chart-fit-trend");
    if (!node || !el || !window.echarts) return;
    var rows = JSON.parse(node.textContent);
    var chart = window.echarts.init(el, null, { renderer: "canvas" });
    chart.setOption({
      animation: false,
      tooltip: { trigger: "axis" },
      legend: { top: 0 },
      grid: { left: 50, right: 50, top: 40, bottom: 30 },
      xAxis: { type: "category", data: rows.map(function (r) { return String(r.year); }) },
      yAxis: [
        { type: "value", name: "人" },
        { type: "value", name: "匹配度", min: 0, max: 100 }
      ],
      series: [
        { name: "供给", type: "bar", data: rows.map(function (r) { return r.supply; }) },
        { name: "需求", type: "bar", data: rows.map(function (r) { return r.demand; }) },
        {
          name: "匹配度", type: "line", yAxisIndex: 1,
          data: rows.map(function (r) { return r.index; })
        }
      ]
    });
    chart.on("click", function (p) {
      var links = document.querySelectorAll("#fit-trend tbody a");
      if (links[p.dataIndex]) window.location.href = links[p.dataIndex].getAttribute("href");
    });
    window.addEventListener("resize", function () { chart.resize(); });
  });
})();
