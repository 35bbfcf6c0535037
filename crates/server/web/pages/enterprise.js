// 企业详情: one firm's record (outlets, limits, facilities, meters,
// grades, white list), each outlet's recent hours against its limits
// (measured, and corrected to the reference O2), its meters' windows, its
// open alarms, and who changed the record when.

import { render } from '../vendor/lit-html.js';
import { api } from '../lib/api.js';
import { chart } from '../lib/charts.js';
import { t } from '../lib/i18n.js';
import { html, nothing } from '../lib/ui.js';
import { alarmTable } from './alarms.js';

const over = (v, limit) => limit !== undefined && v !== null && Number(v) > Number(limit);

const O2 = 'a19001';
const num = v => (v === null || v === undefined || v === '' ? null : Number(v));
const PALETTE = ['#5470c6', '#ee6666', '#91cc75', '#fac858', '#73c0de', '#3ba272', '#fc8452', '#9a60b4'];

// An outlet's hours as lines: each factor with a limit (corrected where
// the limit has a reference O2) against its limit as a dashed line of the
// same colour, O2 on the right axis; other factors start hidden.
// `referenced`: the factors whose limit has a reference O2 — plotted
// corrected only (an hour without a corrected value is a gap, not its
// measured value against the corrected limit).
function outletChart(el, o, referenced) {
  const codes = Object.keys(o.series);
  const series = codes.map((c, k) => ({
    name: c, type: 'line', showSymbol: false, yAxisIndex: c === O2 ? 1 : 0,
    itemStyle: { color: PALETTE[k % PALETTE.length] },
    data: o.series[c].map(v => (!v ? null : referenced.has(c) ? num(v.corrected) : num(v.value))),
    markLine: o.limits[c] ? { silent: true, symbol: 'none', lineStyle: { type: 'dashed', color: PALETTE[k % PALETTE.length] },
      label: { position: 'insideEndTop', formatter: `${c} ≤ ${o.limits[c]}` }, data: [{ yAxis: Number(o.limits[c]) }] } : undefined,
  }));
  const selected = Object.fromEntries(codes.map(c => [c, c === O2 || o.limits[c] !== undefined]));
  chart(el, {
    tooltip: { trigger: 'axis' }, legend: { top: 0, selected }, grid: { left: 50, right: 50, top: 40, bottom: 46 },
    xAxis: { type: 'category', data: o.times.map(x => x.slice(5)) },
    // The axis reaches the highest limit: how far each factor stands from its own.
    yAxis: [{ type: 'value', name: 'mg/m³', max: v => Math.max(v.max, ...codes.filter(c => c !== O2 && o.limits[c]).map(c => Number(o.limits[c]))) }, { type: 'value', name: 'O2 %', splitLine: { show: false } }],
    dataZoom: [{ type: 'inside' }, { type: 'slider', height: 16, bottom: 4 }],
    series,
  });
  el.dataset.series = String(series.length);
  el.dataset.limits = String(series.filter(x => x.markLine).length);
}

// The meters' mean kW per window, production solid and treatment dashed:
// the 分表计电 picture (treatment off while production runs).
function meterChart(el, meters) {
  const times = [...new Set(meters.flatMap(m => m.times))].sort();
  const series = meters.map(m => {
    const at = new Map(m.times.map((x, i) => [x, num(m.kw[i])]));
    return { name: `${m.meter} ${m.name}`, type: 'line', step: 'end', showSymbol: false,
      lineStyle: m.role === 'treatment' ? { type: 'dashed' } : undefined, data: times.map(x => at.get(x) ?? null) };
  });
  chart(el, {
    tooltip: { trigger: 'axis' }, legend: { top: 0 }, grid: { left: 50, right: 20, top: 40, bottom: 46 },
    xAxis: { type: 'category', data: times.map(x => x.slice(5)) }, yAxis: { type: 'value', name: 'kW' },
    dataZoom: [{ type: 'inside' }, { type: 'slider', height: 16, bottom: 4 }], series,
  });
  el.dataset.series = String(series.length);
}

function outletTable(o) {
  const codes = Object.keys(o.series);
  const last = o.times.length;
  const from = Math.max(0, last - 24);
  return html`<div class="card scroll"><h3>${o.outlet} <small class="muted">MN ${o.mn}</small></h3>
    ${last ? html`<div class="chart outlet-chart" data-outlet=${o.outlet}></div><table class="outlet" data-outlet=${o.outlet}><thead><tr><th>${t('src.hour')}</th>${codes.map(c => html`<th class="n">${c}${o.limits[c] ? html`<br><small>≤ ${o.limits[c]}</small>` : ''}</th>`)}</tr></thead>
      <tbody>${o.times.slice(from).reverse().map((time, j) => {
        const i = last - 1 - j;
        return html`<tr><td>${time}</td>${codes.map(c => {
          const v = o.series[c][i];
          if (!v) return html`<td class="n muted">—</td>`;
          const shown = v.corrected ?? v.value;
          return html`<td class="n ${over(shown, o.limits[c]) ? 'bad' : ''}" title=${v.corrected ? `${t('src.measured')} ${v.value}` : ''}>${shown}${v.flag !== 'N' ? html`<sup>${v.flag}</sup>` : ''}</td>`;
        })}</tr>`;
      })}</tbody></table>
      <p class="muted">${t('src.corrnote')}</p>` : nothing(t('src.nohours'))}</div>`;
}

export async function show(main, code) {
  let f, alarms, changes, measures;
  try {
    [f, alarms, changes, measures] = await Promise.all([api(`/api/v1/enterprises/${encodeURIComponent(code)}`),
      api(`/api/v1/alarms?firm=${encodeURIComponent(code)}&limit=50`), api(`/api/v1/enterprises/${encodeURIComponent(code)}/changes`),
      api(`/api/v1/enterprises/${encodeURIComponent(code)}/measures`)]);
  } catch (e) {
    if (e.status === 403 || e.status === 404) { render(html`<p class="state err" id="forbidden">${e.message}</p>`, main); return; }
    throw e;
  }
  const r = f.firm;
  render(html`${f.sample ? html`<p class="sample" id="sample-firms">${t('src.sample')}</p>` : ''}
    <div class="card" id="firm"><h2>${f.name} ${f.sample ? html`<span class="tag">${t('src.sampletag')}</span>` : ''}</h2>
      <p>${t('src.code')}：${f.credit_code} · ${t('township')}：${f.township} · ${t('src.industry')}：${r.key_industry || '—'}（${r.industry}）
        · ${t('src.grade')}：<b id="grade">${f.grade ?? '—'}</b>${f.whitelist ? html` · ${t('src.whitelist')}：${f.whitelist}` : ''}</p>
      <p class="muted">${r.address} · ${t('src.permit')}：${r.permit_no || '—'} · ${t('src.updated')} ${f.updated}（${f.updated_by}）</p></div>
    <div class="card scroll" id="measures"><h2>${t('al.measures')}</h2><table><tbody>${measures.measures.map(m => html`<tr data-level=${m.level}
        class=${measures.in_force === m.level ? 'in-force' : ''}><td>${m.level_zh}</td><td><b>${m.action_zh}</b></td><td class="muted">${m.basis}</td>
        <td>${measures.in_force === m.level ? html`<b class="bad">${t('al.inforce')}</b>` : ''}</td></tr>`)}</tbody></table></div>
    <div class="card scroll"><h2>${t('src.alarms')}</h2>${alarms.length ? alarmTable(alarms) : nothing(t('src.noalarms'))}</div>
    <h2>${t('src.live')}</h2>${f.live.outlets.length ? f.live.outlets.map(outletTable) : nothing(t('src.nolive'))}
    ${f.live.meters.length ? html`<div class="card scroll"><h2>${t('src.meters')}</h2><div class="chart" id="meter-chart"></div><table id="meters"><thead><tr><th>${t('src.meter')}</th><th>${t('src.role')}</th><th class="n">${t('src.rated')}</th><th>${t('src.recent')}</th></tr></thead>
      <tbody>${f.live.meters.map(m => html`<tr><td>${m.meter} ${m.name}</td><td>${t('src.role.' + m.role)}</td><td class="n">${m.rated_kw}</td>
        <td class="muted">${m.times.slice(-8).map((x, i) => `${x.slice(11)} ${m.kw[m.kw.length - Math.min(8, m.kw.length) + i]} kW`).join(' · ')}</td></tr>`)}</tbody></table></div>` : ''}
    <div class="card scroll"><h2>${t('src.limits')}</h2><table id="limits"><thead><tr><th>${t('src.outlet')}</th><th>${t('src.factor')}</th><th class="n">${t('src.limit')}</th><th class="n">${t('src.refo2')}</th><th>${t('src.standard')}</th></tr></thead>
      <tbody>${r.limits.map(l => html`<tr><td>${l.outlet}</td><td>${l.code}</td><td class="n">${l.limit}</td><td class="n">${l.ref_o2 ?? '—'}</td><td>${l.standard} ${l.clause}</td></tr>`)}</tbody></table></div>
    <div class="card scroll"><h2>${t('src.grades')}</h2>${r.grades.length || r.whitelist.length ? html`<table id="grades"><tbody>
      ${r.grades.map(g => html`<tr><td>${g.industry}</td><td><b>${g.grade}</b></td><td>${g.valid_from ?? '…'} – ${g.valid_to ?? '…'}</td><td>${g.document}</td></tr>`)}
      ${r.whitelist.map(w => html`<tr><td>${t('src.whitelist')}</td><td>${w.category}</td><td>${w.valid_from ?? '…'} – ${w.valid_to ?? '…'}</td><td>${w.document}</td></tr>`)}</tbody></table>`
      : nothing(r.key_industry ? t('src.nograde') : '—')}</div>
    <div class="card scroll"><h2>${t('src.changes')}</h2><table id="changes"><tbody>${changes.map(c => html`<tr><td>${c.at}</td><td>${c.actor}</td><td>${c.action}</td><td class="muted">${c.fields.join('、')}</td></tr>`)}</tbody></table></div>`, main);
  main.querySelectorAll('.outlet-chart').forEach(el => {
    const o = f.live.outlets.find(x => x.outlet === el.dataset.outlet);
    if (o) outletChart(el, o, new Set(r.limits.filter(l => l.outlet === o.outlet && l.ref_o2 !== null && l.ref_o2 !== undefined && l.ref_o2 !== '').map(l => l.code)));
  });
  const mc = main.querySelector('#meter-chart');
  if (mc) meterChart(mc, f.live.meters);
}
