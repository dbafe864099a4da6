/* 数据分析 (app/dashboards/): draws each chart of the page with ECharts from the JSON the
   server put beside it; a click on a region's bar or slice opens the level below; each panel
   switches between the chart and its table and downloads the chart as PNG. */
(function () {
  "use strict";
  if (typeof echarts === "undefined") { return; }
  var charts = {};
  var SHOWN = 15;  // categories on the axis at once

  function axisOption(data, kind) {
    var percent = data.percent;
    var series = data.series.map(function (s) {
      return {name: s.name, type: kind, data: s.data, smooth: kind === "line",
              label: {show: data.series.length === 1 && data.categories.length <= 12,
                      position: "top", formatter: percent ? "{c}%" : "{c}"}};
    });
    var many = data.categories.length > SHOWN;  // a slider instead of unreadable labels
    return {
      color: ["#3a7bd5", "#5cb85c", "#f0ad4e", "#d9534f", "#5bc0de", "#9b59b6", "#34495e"],
      dataZoom: many ? [{type: "slider", height: 16, bottom: 4, startValue: 0,
                         endValue: SHOWN - 1}] : [],
      tooltip: {trigger: "axis", valueFormatter: function (v) {
        return v === null || v === undefined ? "—" : (percent ? v + "%" : v.toLocaleString());
      }},
      legend: {show: data.series.length > 1, top: 0, type: "scroll"},
      grid: {left: 48, right: 16, top: data.series.length > 1 ? 32 : 16, bottom: many ? 28 : 8,
             containLabel: true},
      xAxis: {type: "category", data: data.categories,
              axisLabel: {interval: 0, rotate: data.categories.length > 6 ? 30 : 0}},
      yAxis: {type: "value", max: percent ? 100 : null, minInterval: percent ? 0 : 1,
              axisLabel: {formatter: percent ? "{value}%" : "{value}"}},
      series: series
    };
  }

  function pieOption(data) {
    var s = data.series[0] || {data: []};
    return {
      color: ["#3a7bd5", "#5cb85c", "#f0ad4e", "#d9534f", "#5bc0de", "#9b59b6", "#34495e"],
      tooltip: {trigger: "item", formatter: "{b}：{c}（{d}%）"},
      legend: {type: "scroll", orient: "vertical", left: 0, top: "middle"},
      series: [{type: "pie", radius: ["35%", "65%"], center: ["62%", "50%"],
                data: data.categories.map(function (c, i) { return {name: c, value: s.data[i]}; }),
                label: {formatter: "{b}\n{d}%"}}]
    };
  }

  document.querySelectorAll(".dashboard-chart").forEach(function (box) {
    var source = document.getElementById(box.getAttribute("data-chart"));
    if (!source) { return; }
    var data = JSON.parse(source.textContent);
    var chart = echarts.init(box, null, {renderer: "canvas"});
    chart.setOption(data.kind === "pie" ? pieOption(data) : axisOption(data, data.kind));
    if (data.drill && data.drill.some(function (u) { return u; })) {
      box.title = document.querySelector(".dashboard-page").getAttribute("data-drill-hint");
      chart.on("click", function (event) {
        var url = data.drill[event.dataIndex];
        if (url) { window.location.href = url; }
      });
      chart.getZr().on("mousemove", function () { box.style.cursor = "pointer"; });
    }
    charts[box.closest(".dashboard-panel").id] = chart;
  });

  window.addEventListener("resize", function () {
    Object.keys(charts).forEach(function (k) { charts[k].resize(); });
  });

  document.querySelectorAll(".dashboard-toggle").forEach(function (button) {
    button.addEventListener("click", function () {
      var panel = document.getElementById(button.getAttribute("data-target"));
      var box = panel.querySelector(".dashboard-chart");
      var table = panel.querySelector(".dashboard-table");
      var text = button.querySelector("span");
      var showTable = table.hidden;
      table.hidden = !showTable;
      box.hidden = showTable;
      text.textContent = text.getAttribute(showTable ? "data-chart-text" : "data-table-text");
      if (!showTable && charts[panel.id]) { charts[panel.id].resize(); }
    });
  });

  document.querySelectorAll(".dashboard-png").forEach(function (button) {
    button.addEventListener("click", function () {
      var chart = charts[button.getAttribute("data-target")];
      if (!chart) { return; }
      var link = document.createElement("a");
      link.href = chart.getDataURL({type: "png", pixelRatio: 2, backgroundColor: "#fff"});
      link.download = button.getAttribute("data-file");
      document.body.appendChild(link);
      link.click();
      link.remove();
    });
  });
})();
