// Dashboard charts: drawn with the vendored ECharts from the JSON the page embeds
// (#dashboard-data). The tables beside each chart hold the same numbers and links, so the page
// reads without scripts; a click on a bar, point or slice opens the records behind it.
(function () {
  "use strict";

  function ready(fn) {
    if (document.readyState !== "loading") fn();
    else document.addEventListener("DOMContentLoaded", fn);
  }

  // The link of the table cell that shows the same number (tables are the source of truth).
  function linkOf(selector) {
    var a = document.querySelector(selector);
    return a ? a.getAttribute("href") : null;
  }

  function chart(id, option, linkFor) {
    var el = document.getElementById(id);
    if (!el || !window.echarts) return null;
    var c = window.echarts.init(el, null, { renderer: "canvas" });
    option.animation = false;
    c.setOption(option);
    if (linkFor) {
      c.on("click", function (p) {
        var href = linkFor(p);
        if (href) window.location.href = href;
      });
    }
    window.addEventListener("resize", function () { c.resize(); });
    return c;
  }

  ready(function () {
    var node = document.getElementById("dashboard-data");
    if (!node) return;
    var data = JSON.parse(node.textContent);

    chart("chart-trends", {
      tooltip: { trigger: "axis" },
      legend: { top: 0 },
      grid: { left: 50, right: 20, top: 40, bottom: 30 },
      xAxis: { type: "category", data: data.months },
      yAxis: { type: "value" },
      series: data.trends.map(function (s) {
        return { name: s.name, type: "line", data: s.data };
      })
    }, function (p) {
      var cells = document.querySelectorAll("#trends tbody tr")[p.dataIndex];
      return cells ? cells.querySelectorAll("a")[p.seriesIndex].getAttribute("href") : null;
    });

    chart("chart-chains", {
      tooltip: { trigger: "axis" },
      legend: { top: 0 },
      grid: { left: 50, right: 20, top: 40, bottom: 60 },
      xAxis: { type: "category", data: data.chains, axisLabel: { interval: 0, rotate: 30 } },
      yAxis: [{ type: "value", name: "项" }, { type: "value", name: "元" }],
      series: data.by_chain.map(function (s, i) {
        return { name: s.name, type: "bar", yAxisIndex: i === 3 ? 1 : 0, data: s.data };
      })
    }, function (p) {
      var row = document.querySelectorAll("#by-chain tbody tr")[p.dataIndex];
      return row ? row.querySelectorAll("a")[p.seriesIndex + 1].getAttribute("href") : null;
    });

    var channelKeys = Object.keys(data.channels);
    chart("chart-channels", {
      tooltip: { trigger: "item" },
      title: channelKeys.map(function (k, i) {
        var h = document.querySelectorAll("[data-channels]")[i];
        var title = h ? h.previousElementSibling.textContent : k;
        return { text: title, left: (i * 33 + 16) + "%", top: "85%", textAlign: "center",
                 textStyle: { fontSize: 12 } };
      }),
      series: channelKeys.map(function (k, i) {
        return { name: k, type: "pie", radius: ["25%", "45%"],
                 center: [(i * 33 + 16) + "%", "45%"], label: { fontSize: 10 },
                 data: data.channels[k] };
      })
    }, function (p) {
      var rows = document.querySelectorAll('[data-channels="' + p.seriesName + '"] a');
      return rows[p.dataIndex] ? rows[p.dataIndex].getAttribute("href") : null;
    });

    ["demand", "achievement"].forEach(function (name) {
      chart("chart-funnel-" + name, {
        tooltip: { trigger: "item" },
        series: [{ type: "funnel", sort: "none", left: "10%", width: "80%", minSize: "10%",
                   label: { position: "inside", formatter: "{b}：{c}" },
                   data: data.funnels[name] }]
      }, function (p) {
        return linkOf("#funnel-" + name + ' [data-step="' + p.dataIndex + '"]');
      });
    });
    document.body.setAttribute("data-charts", "ready");
  });
})();
