// 应急: heavy-pollution alerts. The level in force as a banner, the latest
// forecast (a chart of its days against the 150/200/300 lines) and what the
// rules give it, the alert's steps as a timeline, and — for the bureau —
// entering a forecast, proposing, and the steps the lifecycle allows now.

import { render } from '../vendor/lit-html.js';
import { api, session } from '../lib/api.js';
import { chart } from '../lib/charts.js';
import { t } from '../lib/i18n.js';
import { html, nothing } from '../lib/ui.js';
import { sampleNote } from './sources.js';

/** The official colours of the alert levels. */
const LEVEL_ZH = { yellow: '黄色', orange: '橙色', red: '红色' };
export const LEVEL_COLOUR = { none: '#9aa5b1', advisory: '#5b8def', yellow: '#f2c200', orange: '#ff7e00', red: '#d7191c' };

export function banner(level, zh, extra) {
  const dark = level === 'yellow';
  return html`<div class="alert-banner" id="alert-banner" data-level=${level}
    style="background:${LEVEL_COLOUR[level] || '#9aa5b1'};color:${dark ? '#1d2733' : '#fff'}">
    <b>${zh}</b>${extra ? html` <span>${extra}</span>` : ''}</div>`;
}

function forecastChart(el, days) {
  chart(el, {
    grid: { left: 40, right: 20, top: 20, bottom: 30 },
    xAxis: { type: 'category', data: days.map(d => d.date.slice(5)) },
    yAxis: { type: 'value', name: 'AQI', min: 0 },
    series: [{ type: 'bar', data: days.map(d => ({ value: d.aqi, itemStyle: { color: d.aqi > 300 ? '#7E0023' : d.aqi > 200 ? '#99004C' : d.aqi > 150 ? '#FF0000' : d.aqi > 100 ? '#FF7E00' : '#FFFF00' } })),
      markLine: { symbol: 'none', data: [150, 200, 300].map(y => ({ yAxis: y })), lineStyle: { type: 'dashed', color: '#667' } } }],
  });
}

/** A firm's hours during the alert: its load against its baseline, the
 * violating hours marked. */
function evidenceChart(el, f) {
  const bad = f.hours.map(h => (h.verdict === 'not_stopped' || h.verdict === 'not_limited') ? h.load : null);
  chart(el, {
    grid: { left: 50, right: 20, top: 30, bottom: 30 },
    legend: { data: [t('al.load'), t('al.baseline'), t('al.violation')] },
    xAxis: { type: 'category', data: f.hours.map(h => h.hour.slice(5)) },
    yAxis: { type: 'value', name: f.unit, min: 0 },
    series: [
      { name: t('al.load'), type: 'line', data: f.hours.map(h => h.load) },
      { name: t('al.baseline'), type: 'line', lineStyle: { type: 'dashed' }, data: f.hours.map(h => h.baseline) },
      { name: t('al.violation'), type: 'scatter', symbolSize: 8, itemStyle: { color: '#d7191c' }, data: bad },
    ],
  });
}

/** Firms' compliance over an alert (its evaluation once lifted). */
function complianceCard(c, pick) {
  const VERDICT = { complied: 'ok', violated: 'bad', raised_before: 'bad', no_data: 'muted' };
  const chosen = c.firms.find(f => f.credit_code === pick) || c.firms.find(f => f.verdict === 'violated') || c.firms[0];
  return html`${sampleNote(c.firms)}<div class="card scroll" id="compliance"><h2>${c.lifted ? t('al.evaluation') : t('al.compliance')} · #${c.alert.id}</h2>
    <p class="muted">${c.from ?? ''} – ${c.to ?? ''} · ${c.hours} ${t('al.hours')} · ${t('al.baselineis')} ${c.settings.baseline_days} ${t('al.days')}
      · ${t('al.rate')} <b>${c.summary.compliance_rate ?? '—'}%</b> · ${t('al.complied')} ${c.summary.complied} · ${t('al.violated')} ${c.summary.violated} · ${t('al.raised')} ${c.summary.raised_before} · ${t('al.nodata')} ${c.summary.no_data}</p>
    ${c.firms.length ? html`<table><thead><tr><th>${t('al.firm')}</th><th>${t('al.measure')}</th><th>${t('al.basis')}</th><th class="n">${t('al.complied')}</th><th class="n">${t('al.violations')}</th><th class="n">${t('al.nodata')}</th><th class="n">${t('al.rate')} %</th><th class="n">${t('al.required')} %</th><th class="n">${t('al.achieved')} %</th><th>${t('al.verdict')}</th></tr></thead>
      <tbody>${c.firms.map(f => html`<tr data-firm=${f.credit_code} data-verdict=${f.verdict} style=${`cursor:pointer${f === chosen ? ';background:#eef3fb' : ''}`} @click=${() => { compliancePick = f.credit_code; showCompliance(); }}>
        <td>${f.name}${f.sample ? html` <span class="tag">${t('src.sampletag')}</span>` : ''}<div class="muted">${f.township}</div></td>
        <td>${f.spans.map(x => `${x.level_zh}：${x.action_zh}`).join('；')}</td>
        <td>${f.basis === 'electricity' ? t('al.byelec') : f.basis.startsWith('cems:') ? `CEMS ${f.basis.slice(5)}` : '—'}</td>
        <td class="n">${f.complied}</td><td class="n">${f.violations}${f.not_stopped ? html`<div class="muted">${t('al.notstopped')} ${f.not_stopped}</div>` : ''}${f.not_limited ? html`<div class="muted">${t('al.notlimited')} ${f.not_limited}</div>` : ''}</td><td class="n">${f.no_data}</td>
        <td class="n">${f.compliance_rate ?? '—'}</td><td class="n">${f.required_cut_percent}</td><td class="n">${f.achieved_cut_percent ?? '—'}</td>
        <td class=${VERDICT[f.verdict]}>${f.verdict_zh}${f.raised_before && f.verdict !== 'raised_before' ? html`<div class="bad">${t('al.raised')}</div>` : ''}</td></tr>`)}</tbody></table>
      ${chosen ? html`<h3>${chosen.name} · ${t('al.evidence')}（${chosen.unit || '—'}）</h3><div id="evidence-chart" class="chart"></div>` : ''}` : nothing(t('al.nofirms'))}</div>`;
}

/** The reduction list: the county's check by level and every firm's lines. */
function reductionCard(main, r, bureau) {
  const byLevel = lv => r.lines.filter(l => l.level === lv);
  return html`<div class="card scroll" id="reduction"><h2>${t('al.reduction')}
      <span class="muted">${t('al.templates')} ${r.templates} · ${t('al.countyrules')} ${r.county_rules}${bureau ? html` · <a href="/api/v1/reduction-list?format=xlsx">${t('al.export')}</a>` : ''}</span></h2>
    ${r.check ? html`<table id="county-check"><thead><tr><th>${t('al.level')}</th><th>${t('al.pollutant')}</th><th class="n">${t('al.inventory')} t/d</th><th class="n">${t('al.expected')} t/d</th><th class="n">${t('al.share')} %</th><th class="n">${t('al.needed')} %</th><th class="n">${t('al.shortfall')} t/d</th></tr></thead>
      <tbody>${r.check.map(c => c.pollutants.map((p, i) => html`<tr data-level=${c.level} data-pollutant=${p.pollutant} data-met=${String(p.met)}>
        ${i === 0 ? html`<td rowspan="4"><b>${c.level_zh}</b>${c.met === null ? '' : html`<div class=${c.met ? 'ok' : 'bad'}>${c.met ? t('al.met') : t('al.notmet')}</div>`}</td>` : ''}
        <td>${p.pollutant}</td><td class="n">${p.inventory ?? '—'}</td><td class="n">${p.expected}</td><td class="n">${p.percent ?? '—'}</td><td class="n">≥ ${p.required_percent}</td>
        <td class=${p.met === false ? 'n bad' : 'n'}>${p.met === false ? p.shortfall : p.met ? '0' : '—'}</td></tr>`))}</tbody></table>` : ''}
    ${bureau ? html`<p><button class="primary" id="reduction-generate" @click=${async () => {
        try { await api('/api/v1/reduction-list/generate', { method: 'POST', body: '{}' }); } catch (e) { main.querySelector('#reduction-result').textContent = e.message; return; }
        await show(main);
      }}>${t('al.generate')}</button>
      <label> ${t('al.import')} <input type="file" accept=".xlsx,.xls,.ods" id="reduction-import" @change=${async e => {
        const out = main.querySelector('#reduction-result');
        try {
          const res = await fetch('/api/v1/reduction-list/import', { method: 'POST', credentials: 'same-origin', body: e.target.files[0],
            headers: { 'X-CSRF-Token': session.csrf || '', 'Content-Type': 'application/octet-stream' } });
          const b = await res.json();
          if (!res.ok) throw new Error(b.error);
          render(html`<p>${t('al.written')} ${b.changed} / ${b.rows}</p>${b.issues.length ? html`<table id="reduction-issues"><tbody>${b.issues.map(i => html`<tr><td>${i.sheet}</td><td>${i.row}</td><td>${i.column}</td><td>${i.message}</td></tr>`)}</tbody></table>` : ''}`, out);
        } catch (err) { out.textContent = err.message; }
      }}></label></p>` : ''}
    <div id="reduction-result"></div>
    <details ?open=${!r.check}><summary>${t('al.lines')}（${r.lines.length}）</summary>
      <table id="reduction-lines"><thead><tr><th>${t('al.firm')}</th><th>${t('al.line')}</th><th>${t('al.level')}</th><th>${t('al.measure')}</th><th>${t('al.basis')}</th>
        ${['SO2', 'NOx', 'PM', 'VOCs'].map(p => html`<th class="n">${p} ${t('al.normal')}</th>`)}${['SO2', 'NOx', 'PM', 'VOCs'].map(p => html`<th class="n">${p} ${t('al.cut')}</th>`)}<th>${t('al.origin')}</th></tr></thead>
      <tbody>${r.lines.map(l => html`<tr data-firm=${l.credit_code} data-level=${l.level}><td>${l.firm}${l.sample ? html` <span class="tag">${t('src.sampletag')}</span>` : ''}</td><td>${l.line_name}</td><td>${l.level_zh}</td><td>${l.action_zh}</td><td>${l.basis_zh}</td>
        ${l.normal.map(x => html`<td class="n">${x}</td>`)}${l.expected.map(x => html`<td class="n">${x}</td>`)}<td class="muted">${t('al.o.' + l.origin)}</td></tr>`)}</tbody></table></details>
    ${byLevel('red').length === 0 && r.lines.length === 0 ? nothing(t('al.nolist')) : ''}</div>`;
}

let compliancePick = null;
let complianceShown = null;

function showCompliance() {
  const { el, c } = complianceShown || {};
  if (!el || !c) return;
  render(complianceCard(c, compliancePick), el);
  const f = c.firms.find(x => x.credit_code === compliancePick) || c.firms.find(x => x.verdict === 'violated') || c.firms[0];
  const ch = el.querySelector('#evidence-chart');
  if (ch && f) evidenceChart(ch, f);
}

async function post(main, path, body) {
  try { await api(path, { method: 'POST', body: JSON.stringify(body) }); }
  catch (e) { main.querySelector('#alert-error').textContent = e.message; return; }
  await show(main);
}

export async function show(main) {
  const [l, f] = await Promise.all([api('/api/v1/alerts'), api('/api/v1/forecasts')]);
  const me = session.me || {};
  const bureau = me.role === 'admin' || me.role === 'bureau';
  const cur = l.current;
  const open = l.alerts.find(a => ['proposed', 'approved'].includes(a.state));
  const focus = cur || open;
  const detail = focus ? await api(`/api/v1/alerts/${focus.id}`) : null;
  const c = f.classification;
  const STEP = { approve: 'al.approve', reject: 'al.reject', issue: 'al.issue', adjust: 'al.adjust', lift: 'al.lift' };
  const stepForm = d => html`<form class="stack" id="steps" @submit=${e => e.preventDefault()}>
      <input name="document_no" placeholder=${t('al.docno')}>
      <select name="level"><option value="">${t('al.newlevel')}</option><option value="yellow">黄色</option><option value="orange">橙色</option><option value="red">红色</option></select>
      <textarea name="note" rows="2" placeholder=${t('al.reason')}></textarea>
      <p>${d.actions.map(s => html`<button class="primary" type="button" data-step=${s} @click=${e => {
        const fm = new FormData(e.target.form);
        post(main, `/api/v1/alerts/${d.id}/steps`, { step: s, document_no: fm.get('document_no') || null, level: fm.get('level') || null, note: fm.get('note') || '', version: d.version });
      }}>${t(STEP[s])}</button> `)}</p></form>`;
  render(html`${f.label ? html`<p class="sample">${t('al.sample')}</p>` : ''}
    ${cur ? banner(cur.level, cur.level_zh, html`${t('al.since')} ${cur.start?.slice(0, 16)} · ${cur.document_no ?? ''}${cur.no_basis ? html` · <b>${t('al.nobasis')}</b>` : ''}`)
      : banner(c.level === 'advisory' ? 'advisory' : 'none', c.level === 'advisory' ? c.level_zh : t('al.none'))}
    <div class="grid">
      <div class="card"><h2>${t('al.forecast')}</h2>${f.days.length ? html`<div id="forecast-chart" class="chart"></div>` : nothing(t('al.noforecast'))}
        <p id="classification">${t('al.rules')} ${c.rules}：<b data-level=${c.level}>${c.level_zh}</b>${c.because ? ` — ${c.because}` : ''}</p>
        ${c.not_counted.length ? html`<p class="muted">${t('al.notcounted')}：${c.not_counted.join('；')}</p>` : ''}
        ${l.suggested && cur && l.suggested !== cur.level ? html`<p class="bad" id="suggested">${t('al.suggested')}：${l.suggested}</p>` : ''}
        <table><tbody>${f.days.map(d => html`<tr><td>${d.date}</td><td class="n">${d.range ? `${d.range[0]}–${d.range[1]}` : d.aqi}</td><td>${d.primary}</td><td>${d.cause === 'none' ? '' : d.cause}</td><td class="muted">${d.source} · ${d.issued?.slice(0, 16)}</td></tr>`)}</tbody></table>
      </div>
      <div class="card" id="alert-steps"><h2>${focus ? `#${focus.id} ${focus.level_zh} · ${focus.state_zh}` : t('al.noalert')}</h2>
        ${detail ? html`<ol class="timeline">${detail.history.map(h => html`<li><b>${t('al.s.' + h.step)}</b> ${LEVEL_ZH[h.level] ?? h.level} <span class="muted">${h.at?.slice(0, 16)} · ${h.by}${h.forecast_batch ? ` · ${t('al.batch')} ${h.forecast_batch}` : ''}</span>${h.note ? html`<div>${h.note}</div>` : ''}</li>`)}</ol>
          ${bureau && detail.actions.length ? stepForm(detail) : ''}` : ''}
        ${bureau && !focus ? html`<p><button class="primary" id="propose" ?disabled=${!['yellow', 'orange', 'red'].includes(c.level)}
            @click=${() => post(main, '/api/v1/alerts', { origin: 'classifier', note: c.because })}>${t('al.propose')} ${c.level_zh}</button></p>
          <form class="stack" @submit=${e => { e.preventDefault(); const fm = new FormData(e.target); post(main, '/api/v1/alerts', { origin: fm.get('by'), level: fm.get('level'), notice_doc: fm.get('doc') }); }}>
            <b>${t('al.notice')}</b><select name="by"><option value="city">${t('al.city')}</option><option value="province">${t('al.province')}</option></select>
            <select name="level"><option value="yellow">黄色</option><option value="orange">橙色</option><option value="red">红色</option></select>
            <input name="doc" placeholder=${t('al.docno')}><button class="primary">${t('al.fromnotice')}</button></form>` : ''}
        <p class="err" id="alert-error"></p></div>
    </div>
    ${bureau ? html`<details class="card"><summary><b>${t('al.enter')}</b></summary>
      <form class="stack" id="forecast-form" @submit=${e => { e.preventDefault(); const fm = new FormData(e.target); post(main, '/api/v1/forecasts', { source: fm.get('source'), csv: fm.get('csv') }); }}>
        <select name="source"><option value="city">${t('al.city')}</option><option value="province">${t('al.province')}</option><option value="county">${t('al.county')}</option><option value="consult">${t('al.consult')}</option></select>
        <textarea name="csv" rows="5" placeholder="2026-12-03,180-220,PM2.5,none"></textarea><button class="primary">${t('al.save')}</button></form></details>` : ''}
    <div id="compliance-slot"></div>
    <div id="reduction-slot"></div>
    <div class="card scroll"><h2>${t('al.all')}</h2><table id="alerts"><tbody>${l.alerts.map(a => html`<tr data-state=${a.state}><td>#${a.id}</td><td>${a.level_zh}</td><td>${a.state_zh}</td>
      <td>${a.origin}${a.notice_doc ? ` (${a.notice_doc})` : ''}</td><td>${a.document_no ?? ''}</td><td>${a.start?.slice(0, 16) ?? ''} – ${a.end?.slice(0, 16) ?? ''}</td><td>${a.no_basis ? html`<b class="bad">${t('al.nobasis')}</b>` : ''}</td></tr>`)}</tbody></table></div>`, main);
  const el = main.querySelector('#forecast-chart');
  if (el) forecastChart(el, f.days);
  const rslot = main.querySelector('#reduction-slot');
  if (rslot) {
    try { render(reductionCard(main, await api('/api/v1/reduction-list'), bureau), rslot); } catch (e) { /* a role that sees no firms */ }
  }
  // Firms' compliance: the alert in force, or the last one lifted (its evaluation).
  const judged = (cur && cur.state === 'issued') ? cur : l.alerts.find(a => a.state === 'lifted' || a.state === 'issued');
  const slot = main.querySelector('#compliance-slot');
  if (judged && slot) {
    try {
      const c = await api(`/api/v1/alerts/${judged.id}/compliance`);
      // Who did not comply first, then who raised its load, who complied, who sent nothing.
      const ORDER = { violated: 0, raised_before: 1, complied: 2, no_data: 3 };
      c.firms.sort((a, b) => (ORDER[a.verdict] - ORDER[b.verdict]) || (b.violations - a.violations));
      complianceShown = { el: slot, c };
      showCompliance();
    } catch (e) { /* a role that sees no firms */ }
  }
}
