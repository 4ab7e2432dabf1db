// Draws the dashboard charts with Chart.js from the JSON data blocks the page embeds next to each
// canvas (<script type="application/json" id="dashboard-data-…">: data, not code, so the CSP
// allows it), and draws them again whenever htmx swaps new content in or restores history.
(function dashboardCharts() {
  // A history restore swaps the whole page in again, scripts included: listen only once.
  if (window.dashboardCharts) return;

  const palette = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];
  const statusColours = {
    OPEN: '#1f77b4', PAID: '#17becf', SHIPPED: '#ff7f0e', COMPLETE: '#2ca02c', CANCELLED: '#7f7f7f', REFUNDED: '#d62728',
    CREATED: '#1f77b4', 'IN-TRANSIT': '#ff7f0e', DELIVERED: '#2ca02c',
  };
  const number = new Intl.NumberFormat('en-US');
  const money = new Intl.NumberFormat('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });

  function configFor(block) {
    const isMoney = (label) => label === 'Revenue' || label === 'Value';
    const tooltip = {
      callbacks: {
        label: (ctx) => `${ctx.dataset.label}: ${(isMoney(ctx.dataset.label) ? money : number).format(ctx.parsed.y ?? ctx.parsed.x ?? ctx.parsed)}`,
      },
    };
    if (block.kind === 'doughnut') {
      return {
        type: 'doughnut',
        data: {
          labels: block.labels,
          datasets: [{ label: block.series[0].label, data: block.series[0].data, backgroundColor: block.labels.map((l, i) => statusColours[l] || palette[i % palette.length]) }],
        },
        options: { responsive: true, aspectRatio: 2, plugins: { legend: { position: 'right' }, tooltip: { callbacks: { label: (ctx) => `${ctx.label}: ${number.format(ctx.parsed)}` } } } },
      };
    }
    if (block.kind === 'sales') {
      return {
        type: 'bar',
        data: {
          labels: block.labels,
          datasets: block.series.map((s, i) => ({
            type: s.type, label: s.label, data: s.data, yAxisID: s.axis === 'right' ? 'count' : 'money',
            backgroundColor: palette[i], borderColor: palette[i], tension: 0.2, pointRadius: 2, order: s.type === 'line' ? 0 : 1,
          })),
        },
        options: {
          responsive: true, aspectRatio: 2.5, interaction: { mode: 'index', intersect: false }, plugins: { tooltip },
          scales: {
            money: { type: 'linear', position: 'left', beginAtZero: true, title: { display: true, text: 'Revenue' } },
            count: { type: 'linear', position: 'right', beginAtZero: true, grid: { drawOnChartArea: false }, title: { display: true, text: 'Orders, units' } },
          },
        },
      };
    }
    const horizontal = block.kind === 'hbar';
    return {
      type: 'bar',
      data: { labels: block.labels, datasets: [{ label: block.series[0].label, data: block.series[0].data, backgroundColor: palette[horizontal ? 0 : 2] }] },
      options: {
        responsive: true, aspectRatio: horizontal ? 1.8 : 2.5, indexAxis: horizontal ? 'y' : 'x', plugins: { legend: { display: false }, tooltip },
        scales: { [horizontal ? 'x' : 'y']: { beginAtZero: true } },
      },
    };
  }

  // Charts by canvas. Kept here rather than looked up through Chart.getChart: a history restore
  // loads chart.js again, and the new copy does not know the charts the first one drew.
  const drawn = new Map();

  /** (Re)draws every chart on the page; charts whose canvas left the page are released. */
  function draw() {
    if (!window.Chart) return;
    // Short animations: a redraw after a swap should settle at once, and none for reduced motion.
    window.Chart.defaults.animation.duration = window.matchMedia('(prefers-reduced-motion: reduce)').matches ? 0 : 250;
    for (const [canvas, chart] of drawn) {
      if (!canvas.isConnected) { chart.destroy(); drawn.delete(canvas); }
    }
    for (const canvas of document.querySelectorAll('canvas[data-chart]')) {
      const source = document.getElementById(canvas.dataset.chart);
      if (!source) continue;
      drawn.get(canvas)?.destroy();
      drawn.set(canvas, new window.Chart(canvas, configFor(JSON.parse(source.textContent))));
    }
    document.dispatchEvent(new CustomEvent('dashboard:drawn'));
  }

  window.dashboardCharts = { draw, charts: () => [...drawn.values()] };
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', draw);
  else draw();
  document.addEventListener('htmx:afterSettle', (event) => {
    if (event.target.querySelector?.('canvas[data-chart]') || event.target.matches?.('canvas[data-chart]')) draw();
  });
  document.addEventListener('htmx:historyRestore', draw);
})();
