// 站点: one station's hours, its AQI calendar and its pollution rose, on
// reviewed data (审核数据) or raw; the data review's trail and, for
// reviewers, the bureau and admins, marking hours invalid and restoring them.

import { render } from '../vendor/lit-html.js';
import { api, session } from '../lib/api.js';
import { chart } from '../lib/charts.js';
import { lang, t } from '../lib/i18n.js';
import { chipStyle, exportLinks, fmt, html, label, nothing } from '../lib/ui.js';

const POLLUTANTS = ['PM2.5', 'PM10', 'SO2', 'NO2', 'CO', 'O3'];
const REASONS = ['calibration', 'fault', 'sand_dust', 'fireworks', 'other'];
/** Raw data asked for (the figures' `?data=raw`), kept while moving between stations. */
let raw = false;

/** The review trail of a station, with the mark form and restore buttons for reviewers. */
function reviewCard(main, code, trail, reviewer) {
  const again = () => show(main, code);
  const fail = e => { main.querySelector('#review-error').textContent = e.message; };
  const mark = e => {
    e.preventDefault();
    const fm = new FormData(e.target);
    api('/api/v1/reviews', { method: 'POST', body: JSON.stringify({
      station: code, pollutant: fm.get('pollutant') || null, from: fm.get('from'), to: fm.get('to'),
      reason: fm.get('reason'), note: fm.get('note'), evidence: fm.get('evidence') }) }).then(again, fail);
  };
  const restore = id => {
    const note = prompt(t('rv.restorewhy'));
    if (note) api(`/api/v1/reviews/${id}/restore`, { method: 'POST', body: JSON.stringify({ note }) }).then(again, fail);
  };
  return html`<div class="card scroll" id="reviews"><h2>${t('rv.title')}</h2>
    <p class="muted">${t('rv.how')}</p>
    ${trail.length ? html`<table><thead><tr><th>${t('rv.hours')}</th><th>${t('rv.pollutant')}</th><th>${t('rv.reason')}</th><th>${t('rv.note')}</th>
      <th>${t('rv.by')}</th><th>${t('state')}</th><th></th></tr></thead><tbody>
      ${trail.map(r => html`<tr data-active=${r.active}><td>${r.from} – ${r.to}（${r.hours} h）</td><td>${r.pollutant ?? t('rv.all')}</td>
        <td>${r.reason_zh}${r.invalid ? '' : html` <span class="muted">${t('rv.event')}</span>`}</td><td>${r.note}${r.evidence ? html`<div class="muted">${r.evidence}</div>` : ''}</td>
        <td>${r.marked_by} <span class="muted">${r.marked_at?.slice(0, 16)}</span></td>
        <td>${r.active ? t('rv.active') : html`${t('rv.restored')} <span class="muted">${r.restored_by} ${r.restored_at?.slice(0, 16)} ${r.restore_note ?? ''}</span>`}</td>
        <td>${reviewer && r.active ? html`<button class="restore" @click=${() => restore(r.id)}>${t('rv.restore')}</button>` : ''}</td></tr>`)}
      </tbody></table>` : html`<p class="state">${t('rv.none')}</p>`}
    ${reviewer ? html`<form class="stack" id="review-form" @submit=${mark}><b>${t('rv.mark')}</b>
      <select name="pollutant"><option value="">${t('rv.all')}</option>${POLLUTANTS.map(p => html`<option>${p}</option>`)}</select>
      <label>${t('rv.from')} <input name="from" required placeholder="2026-01-05 00:00"></label>
      <label>${t('rv.to')} <input name="to" required placeholder="2026-01-06 00:00"></label>
      <select name="reason">${REASONS.map(r => html`<option value=${r}>${t('rv.r.' + r)}</option>`)}</select>
      <input name="note" required placeholder=${t('rv.note')}><input name="evidence" placeholder=${t('rv.evidence')}>
      <button class="primary">${t('rv.submit')}</button></form>` : ''}
    <p class="err" id="review-error"></p></div>`;
}

export async function show(main, code) {
  const list = await api('/api/v1/stations' + (raw ? '?data=raw' : ''));
  label(list.label);
  const stations = list.stations;
  if (!stations.length) { render(nothing(t('nodata')), main); return; }
  const s = stations.find(x => x.code === code) || stations[0];
  const at = `/api/v1/stations/${encodeURIComponent(s.code)}`;
  const q = raw ? '&data=raw' : '';
  const role = session.me && session.me.role;
  const reviewer = ['admin', 'bureau', 'reviewer'].includes(role);
  const [hours, days, rose, trail] = await Promise.all([api(`${at}/hourly?days=7${q}`), api(`${at}/daily?${q}`), api(`${at}/rose?${q}`),
    role && role !== 'public' && role !== 'integration' ? api(`/api/v1/reviews?station=${encodeURIComponent(s.code)}`).then(r => r.reviews, () => null) : null]);
  const toggle = e => { raw = e.target.checked; show(main, s.code); };
  const pick = e => { location.hash = '#/station/' + encodeURIComponent(e.target.value); };
  const calendarDays = days.days.filter(d => d.aqi !== null);
  render(html`<p>${t('choose')}：<select id="pick" @change=${pick}>
      ${stations.map(x => html`<option value=${x.code} ?selected=${x.code === s.code}>${x.name}</option>`)}</select>
      <span class="chip" style=${chipStyle(s)}>AQI ${fmt(s.aqi)}</span> <span class="muted">${s.as_of ?? ''}</span>
      <label class="muted"><input type="checkbox" id="raw" .checked=${raw} @change=${toggle}> ${t('rv.raw')}</label></p>
    <div class="card"><h2>${t('hourly')} ${exportLinks(`${at}/hourly?days=7${q}`)}</h2><div id="hourly" class="chart tall"></div></div>
    <div class="grid" style="margin-top:1rem">
      <div class="card"><h2>${t('calendar')} ${exportLinks(`${at}/daily${raw ? '?data=raw' : ''}`)}</h2>
        ${days.year ? html`<div id="calendar" class="chart" data-days=${calendarDays.length}></div>` : nothing(t('nodata'))}</div>
      <div class="card"><h2>${t('rose')}</h2>
        ${rose.hours ? html`<div id="rose" class="chart" data-hours=${rose.hours}></div>` : html`<p class="state" id="rose-none">${t('norose')}</p>`}</div>
    </div>
    ${trail ? reviewCard(main, s.code, trail, reviewer) : ''}`, main);
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
