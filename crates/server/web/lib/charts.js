// ECharts (the vendored global `echarts`) on the pages: every chart is
// kept so the router can dispose of it, resized with the window, and drawn
// without animation (what it shows must be final at once).

const charts = [];
window.addEventListener('resize', () => charts.forEach(c => c.resize()));

export function chart(el, option) {
  const c = echarts.init(el);
  try { c.setOption({ animation: false, ...option }); } catch (e) { c.dispose(); throw e; }
  charts.push(c);
  return c;
}

export function disposeAll() {
  charts.splice(0).forEach(c => c.dispose());
}

const escape = s => String(s ?? '').replace(/[&<>"']/g, c => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));

/**
 * The stations on a map in their AQI's colour: over the operator's boundary
 * when one is loaded and can be drawn, else on a plain background.
 */
export async function stationMap(el, stations) {
  const pts = stations.filter(s => s.lon !== null && s.lat !== null);
  const data = pts.map(s => ({ name: s.name, value: [s.lon, s.lat, s.aqi], itemStyle: { color: s.colour || '#bbb', borderColor: '#333', borderWidth: 1 } }));
  let geo = null;
  try {
    const gj = await fetch('/api/v1/public/boundary').then(r => (r.ok ? r.json() : null));
    if (gj) { echarts.registerMap('county', gj); geo = { map: 'county', roam: true, itemStyle: { areaColor: '#eef3f7', borderColor: '#7a8a99' } }; }
  } catch (_) { /* plain background */ }
  const series = { type: 'scatter', coordinateSystem: geo ? 'geo' : 'cartesian2d', symbolSize: 18, data,
    label: { show: true, position: 'right', formatter: p => `${p.name} ${p.value[2] ?? '—'}`, fontSize: 11 } };
  // ECharts renders tooltips as HTML: the station's name is escaped.
  const option = { tooltip: { formatter: p => `${escape(p.name)}<br>AQI ${p.value[2] ?? '—'}` }, series: [series] };
  let c = null;
  // A boundary the map cannot draw leaves the stations on a plain background.
  if (geo) { try { c = chart(el, { ...option, geo }); } catch (_) { geo = null; series.coordinateSystem = 'cartesian2d'; } }
  if (!c) {
    const lons = pts.map(p => p.lon), lats = pts.map(p => p.lat);
    const pad = 0.05;
    option.grid = { left: 10, right: 90, top: 10, bottom: 10 };
    option.xAxis = { min: Math.min(...lons) - pad, max: Math.max(...lons) + pad, show: false };
    option.yAxis = { min: Math.min(...lats) - pad, max: Math.max(...lats) + pad, show: false };
    c = chart(el, option);
  }
  el.dataset.markers = String(data.length);
  el.dataset.geo = geo ? '1' : '0';
  el.dataset.colours = data.map(d => d.itemStyle.color).join(',');
  el.dataset.aqis = data.map(d => d.value[2] ?? '').join(',');
  return c;
}
