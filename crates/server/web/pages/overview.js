// 总览: the county now, the stations on the map, the last 24 hours.

import { render } from '../vendor/lit-html.js';
import { api } from '../lib/api.js';
import { chart, stationMap } from '../lib/charts.js';
import { t } from '../lib/i18n.js';
import { areaCard, html, label, nothing, stationTable } from '../lib/ui.js';

export async function show(main) {
  const now = await api('/api/v1/overview');
  label(now.label);
  render(html`<div class="grid">${areaCard(now)}
      <div class="card"><h2>${t('map')}</h2><div id="map" class="chart tall"></div></div></div>
    <div class="grid" style="margin-top:1rem"><div class="card"><h2>${t('last24')}</h2><div id="h24" class="chart"></div></div>
      <div class="card"><h2>${t('stations')}</h2>${now.stations.length ? stationTable(now.stations) : nothing(t('nodata'))}</div></div>`, main);
  await stationMap(document.getElementById('map'), now.stations);
  chart(document.getElementById('h24'), {
    grid: { left: 40, right: 10, top: 20, bottom: 40 }, tooltip: { trigger: 'axis' },
    xAxis: { type: 'category', data: now.last24.map(h => h.time.slice(11, 16)) }, yAxis: { type: 'value', name: 'AQI' },
    series: [{ type: 'bar', data: now.last24.map(h => ({ value: h.aqi, itemStyle: { color: h.colour || '#ccc' } })) }],
  });
}
