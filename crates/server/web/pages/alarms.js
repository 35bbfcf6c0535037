// 报警: source-supervision alarms the caller may see, and one alarm with
// the hours that decided it, its history and attachments, and the actions
// the lifecycle gives this caller (the bureau acknowledges, returns,
// closes; the firm explains with proof).

import { render } from '../vendor/lit-html.js';
import { api, session } from '../lib/api.js';
import { chart } from '../lib/charts.js';
import { t } from '../lib/i18n.js';
import { exportLinks, html, nothing } from '../lib/ui.js';

export const alarmTable = list => html`<table class="alarms"><thead><tr><th>#</th><th>${t('src.name')}</th><th>${t('src.outlet')}</th><th>${t('src.rule')}</th>
  <th>${t('src.factor')}</th><th>${t('src.period')}</th><th class="n">${t('src.max')}</th><th class="n">${t('src.limit')}</th><th>${t('state')}</th></tr></thead>
  <tbody>${list.map(a => html`<tr data-state=${a.state}><td><a href="#/alarms/${a.id}">${a.id}</a></td><td>${a.firm}${a.sample ? html` <span class="tag">${t('src.sampletag')}</span>` : ''}</td>
    <td>${a.outlet}</td><td>${a.rule_zh}</td><td>${a.code}</td><td>${a.start} – ${a.end}（${a.hours} h）</td>
    <td class="n">${a.max_value ?? ''}</td><td class="n">${a.limit_value ?? ''}</td><td>${a.state_zh}</td></tr>`)}</tbody></table>`;

async function act(main, a, action) {
  const note = main.querySelector('#note').value;
  try {
    await api(`/api/v1/alarms/${a.id}/act`, { method: 'POST', body: JSON.stringify({ action, note, version: a.version }) });
  } catch (e) { alert(e.message); }
  await one(main, a.id);
}

async function attach(main, a, input) {
  const file = input.files[0];
  if (!file) return;
  const r = await fetch(`/api/v1/alarms/${a.id}/attachments?name=${encodeURIComponent(file.name)}`, {
    method: 'POST', credentials: 'same-origin', body: file,
    headers: { 'X-CSRF-Token': session.csrf || '', 'Content-Type': 'application/octet-stream' } });
  if (!r.ok) alert((await r.json()).error);
  await one(main, a.id);
}

// The evidence as a chart: every numeric value of the hours (measured,
// corrected, O2, the device's own corrected value, meters' kW) over the
// alarm's hours, the limit as a dashed line; the flags under the axis.
function evidenceChart(el, a, rows) {
  const keys = [...new Set(rows.flatMap(r => Object.keys(r)))]
    .filter(k => k !== 'time' && k !== 'flag' && rows.some(r => r[k] !== undefined && !Number.isNaN(Number(r[k]))));
  const right = k => k === 'o2';
  const lim = a.limit_value ? Number(a.limit_value) : null;
  const series = keys.map(k => ({
    name: keyName(k), type: 'line', yAxisIndex: right(k) ? 1 : 0, symbolSize: 6,
    data: rows.map(r => (r[k] === undefined ? null : Number(r[k]))),
    markLine: a.limit_value && (k === 'corrected' || (k === 'value' && !keys.includes('corrected')))
      ? { silent: true, symbol: 'none', lineStyle: { type: 'dashed', color: '#d7301f', width: 2 }, label: { position: 'insideEndTop', formatter: `${t('src.limit')} ${a.limit_value}` },
        data: [{ yAxis: Number(a.limit_value) }] } : undefined,
  }));
  chart(el, {
    tooltip: { trigger: 'axis' }, legend: { top: 0 }, grid: { left: 50, right: 50, top: 40, bottom: 40 },
    xAxis: { type: 'category', data: rows.map(r => `${String(r.time ?? '').slice(5)}${r.flag && r.flag !== 'N' ? ` ${r.flag}` : ''}`) },
    // The axis reaches the limit, so its line is always in sight.
    yAxis: [{ type: 'value', scale: true, ...(lim === null ? {} : { min: v => Math.min(v.min, lim), max: v => Math.max(v.max, lim) }) }, { type: 'value', name: 'O2 %', scale: true, splitLine: { show: false }, show: keys.some(right) }],
    series,
  });
  el.dataset.series = String(series.length);
  el.dataset.limit = a.limit_value ? String(a.limit_value) : '';
}

const WORD = { acknowledge: 'src.ack', explain: 'src.explain', return: 'src.return', close: 'src.close', escalate: 'src.escalate' };
const keyName = k => (t('src.ev.' + k) === 'src.ev.' + k ? k : t('src.ev.' + k));

async function one(main, id) {
  const a = await api(`/api/v1/alarms/${id}`);
  const rows = Array.isArray(a.evidence) ? a.evidence : [];
  const cols = ['time', ...new Set(rows.flatMap(r => Object.keys(r)).filter(k => k !== 'time'))];
  render(html`${a.sample ? html`<p class="sample" id="sample-firms">${t('src.sample')}</p>` : ''}
    <div class="card" id="alarm"><h2>#${a.id} ${a.firm} ${a.outlet} · ${a.rule_zh} · <span id="alarm-state">${a.state_zh}</span></h2>
      <p>${a.code} · ${a.start} – ${a.end}（${a.hours} h${a.minutes ? `, ${a.minutes} min` : ''}）${a.max_value ? html` · ${t('src.max')} ${a.max_value}` : ''}${a.limit_value ? html` / ${t('src.limit')} ${a.limit_value}` : ''}</p>
      <p class="muted">${t('src.rulever')} ${a.rule_version} · ${t('src.opened')} ${a.opened}</p>
      ${a.actions.length ? html`<p><textarea id="note" rows="2" cols="60" placeholder=${t('src.note')}></textarea><br>
        ${a.actions.map(x => html`<button class="primary" data-act=${x} @click=${() => act(main, a, x)}>${t(WORD[x] || x)}</button> `)}
        ${a.actions.includes('explain') ? html`<label class="upload">${t('src.attach')} <input type="file" accept=".pdf,.png,.jpg,.jpeg" @change=${e => attach(main, a, e.target)}></label>` : ''}</p>` : ''}</div>
    <div class="card scroll"><h2>${t('src.evidence')}</h2>${rows.length ? html`<div class="chart" id="evidence-chart"></div><table id="evidence"><thead><tr>${cols.map(k => html`<th class=${k === 'time' ? '' : 'n'}>${keyName(k)}</th>`)}</tr></thead>
      <tbody>${rows.map(r => html`<tr>${cols.map(k => html`<td class=${k === 'time' ? '' : 'n'}>${typeof r[k] === 'object' ? JSON.stringify(r[k]) : r[k] ?? ''}</td>`)}</tr>`)}</tbody></table>` : html`<pre>${JSON.stringify(a.evidence, null, 1)}</pre>`}</div>
    <div class="card scroll"><h2>${t('src.history')}</h2><table id="history"><tbody>${a.history.map(h => html`<tr><td>${h.at}</td><td>${h.actor}</td><td>${h.action}</td><td>${h.from ?? ''} → ${h.to}</td><td>${h.note}</td></tr>`)}</tbody></table>
      ${a.attachments.length ? html`<h3>${t('src.files')}</h3><ul>${a.attachments.map(x => html`<li><a href="/api/v1/alarms/attachments/${x.id}">${x.name}</a> <span class="muted">${x.size} B · ${x.actor} · ${x.at}</span></li>`)}</ul>` : ''}</div>`, main);
  const el = main.querySelector('#evidence-chart');
  if (el) evidenceChart(el, a, rows);
}

export async function show(main, id) {
  try {
    if (id) { await one(main, id); return; }
    const list = await api('/api/v1/alarms?limit=500');
    const open = list.filter(a => ['open', 'acknowledged', 'explained'].includes(a.state));
    render(html`${list.some(a => a.sample) ? html`<p class="sample" id="sample-firms">${t('src.sample')}</p>` : ''}
      <div class="card scroll"><h2>${t('src.open')} (${open.length}) ${exportLinks('/api/v1/alarms?active=true')}</h2>${open.length ? alarmTable(open) : nothing(t('src.noalarms'))}</div>
      <div class="card scroll"><h2>${t('src.done')}</h2>${alarmTable(list.filter(a => !open.includes(a)))}</div>`, main);
  } catch (e) {
    if (e.status === 403 || e.status === 404) { render(html`<p class="state err" id="forbidden">${e.message}</p>`, main); return; }
    throw e;
  }
}
