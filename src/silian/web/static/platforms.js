// Platform page charts (ECharts, vendored): each service's load calendar and the monthly
// utilisation and income. Data comes from data- attributes (no inline scripts under the CSP).
(function () {
  "use strict";
  function read(el, name) { return JSON.parse(el.getAttribute("data-" + name)); }

  function calendar(el) {
    var range = read(el, "range"), points = read(el, "points");
    var capacity = Number(el.getAttribute("data-capacity")), unit = el.getAttribute("data-unit");
    var chart = echarts.init(el);
    chart.setOption({
      tooltip: { formatter: function (p) { return p.value[0] + "：已确认 " + p.value[1] + " / " + capacity + " " + unit; } },
      visualMap: {
        min: 0, max: capacity, orient: "horizontal", left: "center", bottom: 0,
        text: ["约满", "空闲"], inRange: { color: ["#eef2f7", "#93c5fd", "#1d4ed8"] }
      },
      calendar: {
        range: range, top: 24, left: 36, right: 16, cellSize: ["auto", 15],
        dayLabel: { nameMap: "ZH", firstDay: 1 }, monthLabel: { nameMap: "ZH" }, yearLabel: { show: false }
      },
      series: [{ type: "heatmap", coordinateSystem: "calendar", data: points }]
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }

  function utilisation(el) {
    var months = read(el, "months"), used = read(el, "utilisation"), income = read(el, "income");
    var chart = echarts.init(el);
    chart.setOption({
      tooltip: { trigger: "axis" },
      legend: { data: ["利用率", "收入（元）"] },
      xAxis: { type: "category", data: months.map(function (m) { return m.slice(5) + "月"; }) },
      yAxis: [
        { type: "value", name: "利用率", min: 0, max: 100, axisLabel: { formatter: "{value}%" } },
        { type: "value", name: "收入（元）" }
      ],
      series: [
        { name: "收入（元）", type: "bar", yAxisIndex: 1, data: income, itemStyle: { color: "#93c5fd" } },
        { name: "利用率", type: "line", data: used.map(function (u) { return u === null ? null : Math.round(u * 1000) / 10; }), itemStyle: { color: "#1d4ed8" } }
      ]
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }

  function draw() {
    if (typeof echarts === "undefined") { return; }
    document.querySelectorAll("[data-chart=calendar]").forEach(calendar);
    document.querySelectorAll("[data-chart=utilisation]").forEach(utilisation);
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", draw); } else { draw(); }
})();
