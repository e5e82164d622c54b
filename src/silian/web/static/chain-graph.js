// Draws the chain map's four links (产业链、创新链、人才链、教育链) with ECharts; nodes link to their lists.
(function () {
  "use strict";
  function draw() {
    var box = document.getElementById("chain-graph");
    var source = document.getElementById("chain-graph-data");
    if (!box || !source || typeof echarts === "undefined") return;
    var data = JSON.parse(source.textContent);
    var chart = echarts.init(box);
    chart.setOption({
      color: ["#37474f", "#1565c0", "#ef6c00", "#2e7d32", "#6a1b9a", "#c62828"],
      tooltip: { formatter: function (p) { return p.data.name || ""; } },
      legend: [{ data: data.categories.map(function (c) { return c.name; }), bottom: 0 }],
      series: [{
        type: "graph",
        layout: "force",
        roam: true,
        draggable: true,
        force: { repulsion: 260, edgeLength: [50, 110] },
        label: { show: true, position: "right", fontSize: 12 },
        categories: data.categories,
        data: data.nodes,
        links: data.links,
        lineStyle: { color: "source", opacity: 0.6 }
      }]
    });
    chart.on("click", function (p) {
      if (p.data && p.data.url) window.location.href = p.data.url;
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
