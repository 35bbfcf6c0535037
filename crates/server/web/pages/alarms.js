// 报警: source-supervision alarms the caller may see, and one alarm with
// the hours that decided it, its history and attachments, and the actions
// the lifecycle gives this caller (the bureau acknowledges, returns,
// closes; the firm explains with proof).

import { render } from '../vendor/lit-html.js';
import { api, session } from '../lib/api.js';
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

const WORD = { acknowledge: 'src.ack', explain: 'src.explain', return: 'src.return', close: 'src.close' };

async function one(main, id) {
  const a = await api(`/api/v1/alarms/${id}`);
  const rows = Array.isArray(a.evidence) ? a.evidence : [];
  render(html`${a.sample ? html`<p class="sample" id="sample-firms">${t('src.sample')}</p>` : ''}
    <div class="card" id="alarm"><h2>#${a.id} ${a.firm} ${a.outlet} · ${a.rule_zh} · <span id="alarm-state">${a.state_zh}</span></h2>
      <p>${a.code} · ${a.start} – ${a.end}（${a.hours} h${a.minutes ? `, ${a.minutes} min` : ''}）${a.max_value ? html` · ${t('src.max')} ${a.max_value}` : ''}${a.limit_value ? html` / ${t('src.limit')} ${a.limit_value}` : ''}</p>
      <p class="muted">${t('src.rulever')} ${a.rule_version} · ${t('src.opened')} ${a.opened}</p>
      ${a.actions.length ? html`<p><textarea id="note" rows="2" cols="60" placeholder=${t('src.note')}></textarea><br>
        ${a.actions.map(x => html`<button class="primary" data-act=${x} @click=${() => act(main, a, x)}>${t(WORD[x] || x)}</button> `)}
        ${a.actions.includes('explain') ? html`<label class="upload">${t('src.attach')} <input type="file" accept=".pdf,.png,.jpg,.jpeg" @change=${e => attach(main, a, e.target)}></label>` : ''}</p>` : ''}</div>
    <div class="card scroll"><h2>${t('src.evidence')}</h2>${rows.length ? html`<table id="evidence"><tbody>${rows.map(r => html`<tr>${Object.values(r).map(v => html`<td>${typeof v === 'object' ? JSON.stringify(v) : v}</td>`)}</tr>`)}</tbody></table>` : html`<pre>${JSON.stringify(a.evidence, null, 1)}</pre>`}</div>
    <div class="card scroll"><h2>${t('src.history')}</h2><table id="history"><tbody>${a.history.map(h => html`<tr><td>${h.at}</td><td>${h.actor}</td><td>${h.action}</td><td>${h.from ?? ''} → ${h.to}</td><td>${h.note}</td></tr>`)}</tbody></table>
      ${a.attachments.length ? html`<h3>${t('src.files')}</h3><ul>${a.attachments.map(x => html`<li><a href="/api/v1/alarms/attachments/${x.id}">${x.name}</a> <span class="muted">${x.size} B · ${x.actor} · ${x.at}</span></li>`)}</ul>` : ''}</div>`, main);
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
