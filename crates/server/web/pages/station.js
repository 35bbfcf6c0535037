// 站点: one station's hours, its AQI calendar and its pollution rose.

import { render } from '../vendor/lit-html.js';
import { api } from '../lib/api.js';
import { chart } from '../lib/charts.js';
import { lang, t } from '../lib/i18n.js';
import { chipStyle, exportLinks, fmt, html, label, nothing } from '../lib/ui.js';

const POLLUTANTS = ['PM2.5', 'PM10', 'SO2', 'NO2', 'CO', 'O3'];

export async function show(main, code) {
  const list = await api('/api/v1/stations');
  label(list.label);
  const stations = list.stations;
  if (!stations.length) { render(nothing(t('nodata')), main); return; }
  const s = stations.find(x => x.code === code) || stations[0];
  const at = `/api/v1/stations/${encodeURIComponent(s.code)}`;
  const [hours, days, rose] = await Promise.all([api(`${at}/hourly?days=7`), api(`${at}/daily`), api(`${at}/rose`)]);
  const pick = e => { location.hash = '#/station/' + encodeURIComponent(e.target.value); };
  const calendarDays = days.days.filter(d => d.aqi !== null);
  render(html`<p>${t('choose')}：<select id="pick" @change=${pick}>
      ${stations.map(x => html`<option value=${x.code} ?selected=${x.code === s.code}>${x.name}</option>`)}</select>
      <span class="chip" style=${chipStyle(s)}>AQI ${fmt(s.aqi)}</span> <span class="muted">${s.as_of ?? ''}</span></p>
    <div class="card"><h2>${t('hourly')} ${exportLinks(`${at}/hourly?days=7`)}</h2><div id="hourly" class="chart tall"></div></div>
    <div class="grid" style="margin-top:1rem">
      <div class="card"><h2>${t('calendar')} ${exportLinks(`${at}/daily`)}</h2>
        ${days.year ? html`<div id="calendar" class="chart" data-days=${calendarDays.length}></div>` : nothing(t('nodata'))}</div>
      <div class="card"><h2>${t('rose')}</h2>
        ${rose.hours ? html`<div id="rose" class="chart" data-hours=${rose.hours}></div>` : html`<p class="state" id="rose-none">${t('norose')}</p>`}</div>
    </div>`, main);
  chart(document.getElementById('hourly'), {
    tooltip: { trigger: 'axis' }, legend: {}, grid: { left: 45, right: 45, top: 40, bottom: 30 },
    xAxis: { type: 'category', data: hours.hours.map(h => h.time.slice(5, 16)) },
    yAxis: [{ type: 'value', name: 'µg/m³' }, { type: 'value', name: 'CO mg/m³' }],
    series: POLLUTANTS.map(n => ({ name: n, type: 'line', showSymbol: false, yAxisIndex: n === 'CO' ? 1 : 0, data: hours.hours.map(h => h.values[n]) })),
  });
  if (rose.hours) {
    chart(document.getElementById('rose'), {
      tooltip: { formatter: p => `${p.name}: PM2.5 ${p.value ?? '—'} µg/m³（${rose.bins[p.dataIndex].hours} h）` },
      polar: { radius: '75%' }, angleAxis: { type: 'category', data: rose.bins.map(b => b.dir), startAngle: 90 + 11.25 },
      radiusAxis: { name: 'µg/m³' },
      series: [{ type: 'bar', coordinateSystem: 'polar', data: rose.bins.map(b => ({ value: b.pm25, itemStyle: { color: b.colour || '#ccc' } })) }],
    });
  }
  if (days.year) {
    chart(document.getElementById('calendar'), {
      tooltip: { formatter: p => `${p.value[0]}: AQI ${p.value[1]}` },
      visualMap: { type: 'piecewise', orient: 'horizontal', left: 'center', bottom: 0,
        pieces: days.levels.map(l => ({ min: l.min, max: l.max, color: l.colour, label: lang === 'en' ? l.category_en : l.category_zh })) },
      calendar: { range: String(days.year), cellSize: ['auto', 14], top: 30, left: 60, right: 10,
        dayLabel: { nameMap: lang === 'en' ? 'EN' : 'ZH' }, monthLabel: { nameMap: lang === 'en' ? 'EN' : 'ZH' } },
      series: [{ type: 'heatmap', coordinateSystem: 'calendar', data: calendarDays.map(d => [d.date, d.aqi]) }],
    });
  }
}
