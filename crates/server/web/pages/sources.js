// 企业: the register of 涉气 firms the caller may see (the bureau all, a
// township its own, a firm itself), with today's grade, white list and
// open alarms; import and export of the register workbook for the bureau.

import { render } from '../vendor/lit-html.js';
import { api, session } from '../lib/api.js';
import { chart } from '../lib/charts.js';
import { t } from '../lib/i18n.js';
import { html, nothing } from '../lib/ui.js';

// A firm's dot: red with open alarms, else its grade's colour (A-ish
// green, B blue, C/D and never graded orange and grey).
const GRADE_COLOUR = { 'A+': '#1a9850', 'A': '#1a9850', '引领性': '#1a9850', 'B': '#4575b4', 'B-': '#74add1',
  'C': '#fdae61', '非引领性': '#fdae61', 'D': '#9e9e9e' };
const dotColour = f => (f.active_alarms ? '#d7301f' : GRADE_COLOUR[f.grade] || '#bdbdbd');
const escape = s => String(s ?? '').replace(/[&<>"']/g, c => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));
const industryOf = f => f.key_industry || f.industry;

// The firms on the townships' map (where the caller may read it), else on
// a plain background; clicking a dot opens the firm.
async function firmMap(el, firms) {
  const res = await fetch('/api/v1/townships/boundaries', { credentials: 'same-origin' }).catch(() => null);
  const gj = res && res.ok ? await res.json().catch(() => null) : null;
  const series = { type: 'scatter', data: [] };
  const option = {
    tooltip: { formatter: p => (!p.data?.firm ? escape(p.name) : `${escape(p.data.firm.name)}<br>${escape(p.data.firm.township)} · ${escape(industryOf(p.data.firm))}<br>`
      + `${t('src.grade')} ${escape(p.data.firm.grade ?? '—')} · ${t('src.alarms')} ${p.data.firm.active_alarms}`) },
    series: [series],
  };
  if (gj) {
    try { echarts.registerMap('towns', gj); option.geo = { map: 'towns', roam: true, label: { show: true, fontSize: 10, color: '#607080' },
      itemStyle: { areaColor: '#eef3f7', borderColor: '#7a8a99' } }; series.coordinateSystem = 'geo'; } catch (_) { option.geo = undefined; }
  }
  if (!option.geo) {
    option.grid = { left: 10, right: 10, top: 10, bottom: 10 };
    option.xAxis = { scale: true, show: false }; option.yAxis = { scale: true, show: false };
  }
  let c;
  // A boundary the map cannot draw leaves the firms on a plain background.
  try { c = chart(el, option); } catch (_) {
    delete option.geo; series.coordinateSystem = 'cartesian2d';
    option.grid = { left: 10, right: 10, top: 10, bottom: 10 };
    option.xAxis = { scale: true, show: false }; option.yAxis = { scale: true, show: false };
    c = chart(el, option);
  }
  c.on('click', p => { if (p.data && p.data.firm) location.hash = `#/enterprise/${encodeURIComponent(p.data.firm.credit_code)}`; });
  const draw = shown => {
    const data = shown.filter(f => f.lon !== null && f.lat !== null && f.lon !== undefined).map(f => ({
      name: f.name, value: [f.lon, f.lat], firm: f, symbolSize: f.key_polluter ? 14 : 10,
      itemStyle: { color: dotColour(f), borderColor: '#222', borderWidth: 1 } }));
    c.setOption({ series: [{ data }] });
    el.dataset.points = String(data.length);
    el.dataset.red = String(data.filter(d => d.firm.active_alarms).length);
  };
  el.dataset.geo = option.geo ? String(gj?.features?.length ?? 0) : '0';
  return draw;
}

export const sampleNote = list => (list.some(f => f.sample)
  ? html`<p class="sample" id="sample-firms">${t('src.sample')}</p>` : '');

async function importBook(main, input) {
  const file = input.files[0];
  if (!file) return;
  const out = main.querySelector('#import-result');
  try {
    const r = await fetch('/api/v1/enterprises/import', {
      method: 'POST', credentials: 'same-origin', body: file,
      headers: { 'X-CSRF-Token': session.csrf || '', 'Content-Type': 'application/octet-stream' },
    });
    const body = await r.json();
    if (!r.ok) throw new Error(body.error);
    render(html`<p>${t('src.imported')}: ${body.created} ${t('src.new')}, ${body.updated} ${t('src.changed')}, ${body.unchanged} ${t('src.same')}</p>
      ${body.issues.length + body.refused.length ? html`<table id="import-issues"><thead><tr><th>${t('src.sheet')}</th><th>${t('src.row')}</th><th>${t('src.column')}</th><th>${t('src.why')}</th></tr></thead>
        <tbody>${[...body.issues, ...body.refused].map(i => html`<tr><td>${i.sheet}</td><td>${i.row || ''}</td><td>${i.column}</td><td>${i.message}</td></tr>`)}</tbody></table>` : ''}`, out);
  } catch (e) { render(html`<p class="err">${e.message}</p>`, out); }
}

export async function show(main) {
  let firms, towns;
  try {
    [firms, towns] = await Promise.all([api('/api/v1/enterprises'), api('/api/v1/townships')]);
  } catch (e) {
    if (e.status === 403) { render(html`<p class="state err" id="forbidden">${t('src.forbidden')}</p>`, main); return; }
    throw e;
  }
  const bureau = ['admin', 'bureau'].includes(session.me && session.me.role);
  const industries = [...new Set(firms.map(industryOf))].sort();
  const grades = [...new Set(firms.map(f => f.grade ?? '—'))].sort();
  let drawMap = null;
  // Filters by township, industry, grade, white list and text; the map
  // shows the same firms as the table.
  const filter = () => {
    const v = id => main.querySelector(id).value;
    const town = v('#f-town'), ind = v('#f-industry'), grade = v('#f-grade'), wl = main.querySelector('#f-wl').checked;
    const q = v('#f-q').trim();
    const keep = f => (!town || f.township === town) && (!ind || industryOf(f) === ind) && (!grade || (f.grade ?? '—') === grade)
      && (!wl || f.whitelist) && (!q || [f.name, f.credit_code, f.township, industryOf(f), f.grade ?? ''].some(x => x.includes(q) || x.includes(q.toUpperCase())));
    const shown = firms.filter(keep);
    main.querySelectorAll('#firms tbody tr').forEach((tr, i) => { tr.hidden = !keep(firms[i]); });
    main.querySelector('#firm-count').textContent = String(shown.length);
    if (drawMap) drawMap(shown);
  };
  render(html`${sampleNote(firms)}
    <div class="card scroll"><h2>${t('src.firms')} (<span id="firm-count">${firms.length}</span>)
      <span class="muted"><a href="/api/v1/enterprises/export">${t('src.export')}</a> · <a href="/api/v1/enterprises/export?template=true">${t('src.template')}</a></span></h2>
      <p><select id="f-town" @change=${filter}><option value="">${t('src.alltowns')}</option>${towns.map(x => html`<option>${x.name}</option>`)}</select>
        <select id="f-industry" @change=${filter}><option value="">${t('src.allindustries')}</option>${industries.map(x => html`<option>${x}</option>`)}</select>
        <select id="f-grade" @change=${filter}><option value="">${t('src.allgrades')}</option>${grades.map(x => html`<option>${x}</option>`)}</select>
        <label><input type="checkbox" id="f-wl" @change=${filter}> ${t('src.whitelist')}</label>
        <input id="f-q" placeholder=${t('src.search')} @input=${filter}>
        ${bureau ? html`<label class="upload">${t('src.import')} <input type="file" accept=".xlsx,.xls,.ods" @change=${e => importBook(main, e.target)}></label>` : ''}</p>
      <div id="import-result"></div>
      ${firms.some(f => f.lon !== null && f.lon !== undefined) ? html`<div class="chart tall" id="firm-map"></div>
        <p class="muted">${t('src.maplegend')}</p>` : ''}
      ${firms.length ? html`<table id="firms"><thead><tr><th>${t('src.name')}</th><th>${t('township')}</th><th>${t('src.industry')}</th><th>${t('src.grade')}</th>
        <th>${t('src.whitelist')}</th><th class="n">${t('src.outlets')}</th><th class="n">${t('src.online')}</th><th class="n">${t('src.alarms')}</th></tr></thead>
        <tbody>${firms.map(f => html`<tr data-town=${f.township}><td><a href="#/enterprise/${encodeURIComponent(f.credit_code)}">${f.name}</a>
          ${f.sample ? html`<span class="tag">${t('src.sampletag')}</span>` : ''}<br><small class="muted">${f.credit_code}</small></td>
          <td>${f.township}</td><td>${f.key_industry || f.industry}</td><td>${f.grade ?? '—'}</td><td>${f.whitelist ?? ''}</td>
          <td class="n">${f.outlets}</td><td class="n">${f.outlets_online}</td>
          <td class="n">${f.active_alarms ? html`<a class="bad" href="#/alarms">${f.active_alarms}</a>` : '0'}</td></tr>`)}</tbody></table>`
        : nothing(t('src.none'))}</div>`, main);
  const el = main.querySelector('#firm-map');
  // Drawn with the filters as they stand (one may have changed while the
  // boundaries loaded).
  if (el) { drawMap = await firmMap(el, firms); filter(); }
}
