// 火点: straw and open-burning fire points of a year on the townships'
// map, the ledger of deductions by township and month, each point with its
// verification (the bureau, or the point's own township, verifies it once),
// and for the bureau a list import (CSV as the province sends it).

import { render } from '../vendor/lit-html.js';
import { api } from '../lib/api.js';
import { chart } from '../lib/charts.js';
import { t } from '../lib/i18n.js';
import { html, nothing } from '../lib/ui.js';

const COLOUR = { straw: '#d7301f', other: '#fc8d59', false: '#9e9e9e', unknown: '#4575b4' };
const money = v => Number(v || 0).toLocaleString('zh-CN');

async function drawMap(el, fires) {
  const res = await fetch('/api/v1/townships/boundaries', { credentials: 'same-origin' }).catch(() => null);
  const gj = res && res.ok ? await res.json() : null;
  const data = fires.map(f => ({ name: f.ext_id, value: [f.lon, f.lat], kind: f.kind, township: f.township,
    itemStyle: { color: COLOUR[f.kind] || '#333', borderColor: '#222', borderWidth: 1 } }));
  const series = { type: 'scatter', symbolSize: 12, data };
  const option = { tooltip: { formatter: p => `${String(p.name).replace(/[&<>"']/g, '')} · ${p.data.township ?? t('fire.outside')}` }, series: [series] };
  if (gj) {
    echarts.registerMap('towns', gj);
    option.geo = { map: 'towns', roam: true, label: { show: true, fontSize: 11 }, itemStyle: { areaColor: '#eef3f7', borderColor: '#7a8a99' } };
    series.coordinateSystem = 'geo';
  } else {
    option.xAxis = { scale: true, show: false }; option.yAxis = { scale: true, show: false };
  }
  chart(el, option);
  el.dataset.points = String(data.length);
  el.dataset.geo = gj ? String(gj.features?.length ?? 0) : '0';
}

async function verify(main, year, f, kind) {
  const note = prompt(t('fire.note'));
  if (!note) return;
  try {
    await api(`/api/v1/fires/${f.id}/verify`, { method: 'POST', body: JSON.stringify({ type: kind, note }) });
  } catch (e) { alert(e.message); }
  await show(main, year);
}

async function appeal(main, year, f) {
  const reason = prompt(t('fire.appealwhy'));
  if (!reason) return;
  try { await api(`/api/v1/fires/${f.id}/appeal`, { method: 'POST', body: JSON.stringify({ reason }) }); } catch (e) { alert(e.message); }
  await show(main, year);
}

async function decide(main, year, f, upheld) {
  const note = prompt(t('fire.note'));
  if (!note) return;
  try { await api(`/api/v1/fires/${f.id}/appeal/decide`, { method: 'POST', body: JSON.stringify({ upheld, note }) }); } catch (e) { alert(e.message); }
  await show(main, year);
}

const appealCell = (main, year, f) => !f.verified ? '' : f.appeal_state === 'pending'
  ? html`<br>${t('fire.appealed')}：${f.appeal_reason} <button data-decide="up" @click=${() => decide(main, year, f, true)}>${t('fire.uphold')}</button> <button data-decide="no" @click=${() => decide(main, year, f, false)}>${t('fire.reject')}</button>`
  : f.appeal_state ? html`<br>${t('fire.appeal.' + f.appeal_state)}：${f.appeal_decision ?? ''}`
  : html` <button data-appeal @click=${() => appeal(main, year, f)}>${t('fire.appeal')}</button>`;

async function importList(main, year) {
  const csv = main.querySelector('#fire-csv').value;
  try {
    const r = await api('/api/v1/fires', { method: 'POST', body: JSON.stringify({ csv }) });
    main.querySelector('#fire-imported').textContent =
      `${t('fire.stored')} ${r.stored} · ${t('fire.dups')} ${r.duplicates} · ${t('fire.outside')} ${r.outside}` +
      (r.refused.length ? ` · ${t('fire.refused')} ${r.refused.map(x => `${x.row}: ${x.reason}`).join('; ')}` : '');
  } catch (e) { alert(e.message); return; }
  setTimeout(() => show(main, year), 1500);
}

async function addPhoto(main, year, f, file) {
  if (!file) return;
  try {
    await api(`/api/v1/fires/${f.id}/photos?name=${encodeURIComponent(file.name)}`,
      { method: 'POST', body: file, headers: { 'Content-Type': 'application/octet-stream' } });
  } catch (e) { alert(e.message); return; }
  await show(main, year);
}

const photoCell = (main, year, f) => html`<br>${(f.photos || []).map(p => html`<a data-photo-link href="/api/v1/fires/photos/${p.id}" target="_blank">${t('fire.photo')}：${p.name}</a> `)}
  <label class="muted">${t('fire.addphoto')} <input type="file" data-photo accept="image/png,image/jpeg,application/pdf" @change=${e => addPhoto(main, year, f, e.target.files[0])}></label>`;

async function patrol(e, main, year) {
  e.preventDefault();
  const f = new FormData(e.target);
  const point = { id: `PATROL-${Date.now()}`, time: String(f.get('time')).replace('T', ' '), lon: Number(f.get('lon')),
    lat: Number(f.get('lat')), source: 'patrol', type: f.get('type') };
  try {
    const r = await api('/api/v1/fires', { method: 'POST', body: JSON.stringify([point]) });
    main.querySelector('#patrol-stored').textContent = r.refused.length ? r.refused.map(x => x.reason).join('; ')
      : `${t('fire.stored')} ${r.stored}${r.outside ? ' · ' + t('fire.outside') : ''}`;
  } catch (err) { main.querySelector('#patrol-stored').textContent = err.message; return; }
  setTimeout(() => show(main, year), 1500);
}

export async function show(main, arg) {
  const year = Number(arg) || new Date().getFullYear();
  let ledger, list;
  try {
    [ledger, list] = await Promise.all([api(`/api/v1/fires/ledger?year=${year}`), api(`/api/v1/fires?year=${year}`)]);
  } catch (e) {
    if (e.status === 403) { render(html`<p class="state err" id="forbidden">${t('fire.forbidden')}</p>`, main); return; }
    throw e;
  }
  const fires = list.fires;
  const towns = Object.entries(ledger.areas);
  const months = Object.entries(ledger.months).flatMap(([town, m]) => Object.entries(m).map(([month, x]) => ({ town, month, ...x })));
  const total = towns.reduce((s, [, x]) => s + Number(x.deduction_cny || 0), 0);
  render(html`${fires.some(f => f.sample) ? html`<p class="sample" id="sample-fires">${t('fire.sample')}</p>` : ''}
    <div class="card"><h2>${t('fire.title')} ${year}
      <a href="#/fires/${year - 1}">‹ ${year - 1}</a> <a href="#/fires/${year + 1}">${year + 1} ›</a></h2>
      <p class="muted">${t('fire.rule')} (${ledger.rules})</p>
      <div id="fire-map" class="map" style="height:420px"></div>
      <p>${Object.entries(COLOUR).map(([k, c]) => html`<span class="tag" style="background:${c};color:#fff">${t('fire.' + k)}</span> `)}</p></div>
    <div class="card scroll"><h2>${t('fire.ledger')} · ${t('fire.total')} <span id="fire-total">${money(total)}</span> ${t('fire.cny')}</h2>
      ${towns.length ? html`<table id="fire-ledger"><thead><tr><th>${t('fire.town')}</th><th class="n">${t('fire.points')}</th><th class="n">${t('fire.straw')}</th>
        <th class="n">${t('fire.other')}</th><th class="n">${t('fire.false')}</th><th class="n">${t('fire.unknown')}</th><th class="n">${t('fire.deduct')}</th></tr></thead>
        <tbody>${towns.map(([n, x]) => html`<tr data-town=${n}><td>${n}</td><td class="n">${x.points}</td><td class="n">${x.straw}</td><td class="n">${x.other}</td>
          <td class="n">${x.false}</td><td class="n">${x.pending}</td><td class="n">${money(x.deduction_cny)}</td></tr>`)}</tbody></table>` : nothing(t('fire.notowns'))}
      ${months.length ? html`<h3>${t('fire.months')}</h3><table id="fire-months"><tbody>${months.map(m => html`<tr><td>${m.month}</td><td>${m.town}</td>
        <td class="n">${m.points}</td><td class="n">${money(m.deduction_cny)}</td></tr>`)}</tbody></table>` : ''}</div>
    <div class="card scroll"><h2>${t('fire.list')} (${fires.length})</h2>${fires.length ? html`<table id="fire-points"><thead><tr><th>${t('fire.id')}</th><th>${t('fire.time')}</th>
      <th>${t('fire.source')}</th><th>${t('fire.town')}</th><th>${t('fire.kind')}</th><th>${t('fire.check')}</th></tr></thead>
      <tbody>${fires.map(f => html`<tr data-id=${f.id} data-kind=${f.kind}><td>${f.ext_id}${f.sample ? html` <span class="tag">${t('src.sampletag')}</span>` : ''}</td><td>${f.time}</td><td>${f.source}</td>
        <td>${f.township ?? html`<span class="muted">${t('fire.outside')}</span>`}</td><td>${f.kind_zh}</td>
        <td>${f.verified ? html`${f.verified_by} ${f.verified_at} ${f.note}${f.ticket_id ? html` · <a href="#/tickets/${f.ticket_id}">${t('fire.ticket')} #${f.ticket_id}</a>` : ''}` : html`${['straw', 'other', 'false'].map(k => html`<button data-verify=${k} @click=${() => verify(main, year, f, k)}>${t('fire.' + k)}</button> `)}`}${appealCell(main, year, f)}${photoCell(main, year, f)}</td></tr>`)}</tbody></table>` : nothing(t('fire.none'))}</div>
    <div class="card"><h2>${t('fire.patrol')}</h2><form id="patrol-form" @submit=${e => patrol(e, main, year)}>
      <label>${t('fire.time')} <input name="time" type="datetime-local" required></label>
      <label>${t('fire.lon')} <input name="lon" type="number" step="0.000001" min="-180" max="180" required></label>
      <label>${t('fire.lat')} <input name="lat" type="number" step="0.000001" min="-90" max="90" required></label>
      <label>${t('fire.kind')} <select name="type">${['unknown', 'straw', 'other', 'false'].map(k => html`<option value=${k}>${t('fire.' + k)}</option>`)}</select></label>
      <button class="primary" type="submit">${t('fire.patrolbtn')}</button> <span id="patrol-stored" class="muted"></span></form></div>
    <div class="card"><h2>${t('fire.import')}</h2><textarea id="fire-csv" rows="4" cols="80" placeholder="id,time,lon,lat,source,type — ${t('fire.firms')}"></textarea><br>
      <button class="primary" id="fire-import" @click=${() => importList(main, year)}>${t('fire.importbtn')}</button> <span id="fire-imported" class="muted"></span></div>`, main);
  await drawMap(main.querySelector('#fire-map'), fires);
}
