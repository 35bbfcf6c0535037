// 设备: every device's state and counts, HJ 212-2025 loggers to approve,
// the latest rejected and quarantined frames, forwarding up to the upper
// platforms; adding, importing, disabling and enabling devices (the bureau
// and admins; reviewers read).

import { render } from '../vendor/lit-html.js';
import { api, session } from '../lib/api.js';
import { t } from '../lib/i18n.js';
import { exportLinks, html, nothing } from '../lib/ui.js';

const warn = n => (n > 0 ? html`<span class="bad">${n}</span>` : '0');

async function approve(main, loggerId) {
  const input = main.querySelector(`input[data-logger="${CSS.escape(loggerId)}"]`);
  try {
    await api('/api/v1/loggers/approve', { method: 'POST', body: JSON.stringify({ logger_id: loggerId, mn: input.value.trim() }) });
    main.querySelector(`button[data-approve="${CSS.escape(loggerId)}"]`).replaceWith(t('approved'));
  } catch (e) { alert(e.message); }
}

const say = (main, text, bad) => { const el = main.querySelector('#device-msg'); el.textContent = text; el.className = bad ? 'err' : 'ok'; };

async function setEnabled(main, mn, enabled) {
  try {
    await api(`/api/v1/devices/${encodeURIComponent(mn)}/enabled`, { method: 'PUT', body: JSON.stringify({ enabled }) });
    await show(main);
  } catch (e) { say(main, e.message, true); }
}

async function addDevice(main, form) {
  const fm = new FormData(form);
  const num = k => (fm.get(k) ? Number(fm.get(k)) : null);
  const body = { mn: fm.get('mn'), password: fm.get('password'), site: fm.get('site'), site_name: fm.get('site_name') || null,
    kind: fm.get('kind'), township: fm.get('township') || null, lon: num('lon'), lat: num('lat') };
  try {
    await api('/api/v1/devices', { method: 'POST', body: JSON.stringify(body) });
    await show(main);
    say(main, `${t('dev.added')} ${body.mn}`);
  } catch (e) { say(main, e.message, true); }
}

async function importCsv(main, input) {
  const file = input.files[0];
  if (!file) return;
  const r = await fetch('/api/v1/devices/import', { method: 'POST', credentials: 'same-origin', body: file,
    headers: { 'X-CSRF-Token': session.csrf || '', 'Content-Type': 'text/csv' } });
  const v = await r.json().catch(() => ({}));
  if (!r.ok) { say(main, v.error || r.statusText, true); return; }
  await show(main);
  const refused = (v.refused || []).map(x => `${t('dev.row')} ${x.row}: ${x.reason}`).join('；');
  say(main, `${t('dev.imported')} ${v.added ?? 0}${refused ? ` · ${t('dev.refused')}：${refused}` : ''}`, Boolean(refused));
}

/** The frame journal (raw frames carry devices' passwords: the bureau and admins only; others see none). */
const journal = path => api(path).catch(e => (e.status === 403 ? [] : Promise.reject(e)));

const KINDS = ['ambient', 'cems', 'vocs', 'dust', 'fume', 'water', 'electricity', 'other'];

export async function show(main) {
  let devices, loggers, quarantine, rejected, forward;
  try {
    [devices, loggers, quarantine, rejected, forward] = await Promise.all([api('/api/v1/devices'), api('/api/v1/loggers'),
      journal('/api/v1/quarantine?limit=20'), journal('/api/v1/frames?verdict=rejected&limit=20'), api('/api/v1/forward')]);
  } catch (e) {
    if (e.status === 403) { render(html`<p class="state err" id="forbidden">${t('forbidden')}</p>`, main); return; }
    throw e;
  }
  const manage = ['admin', 'bureau'].includes(session.me && session.me.role);
  const pending = loggers.filter(l => !l.approved_mn);
  const bad = [...rejected, ...quarantine].sort((a, b) => String(b.received).localeCompare(String(a.received))).slice(0, 20);
  render(html`<div class="card scroll"><h2>${t('devices')} (${devices.length}) ${exportLinks('/api/v1/devices')}</h2>
      <table id="devices"><thead><tr><th>${t('mn')}</th><th>${t('site')}</th><th>${t('kind')}</th><th>${t('protocol')}</th><th>${t('state')}</th>
        <th>${t('lastseen')}</th><th>${t('latestdata')}</th><th class="n">${t('stored24')}</th><th class="n">${t('flagged')}</th>
        <th class="n">${t('rejected')}</th><th class="n">${t('quarantined')}</th>${manage ? html`<th></th>` : ''}</tr></thead>
      <tbody>${devices.map(d => html`<tr><td>${d.mn}</td><td>${d.site_name}</td><td>${d.kind}</td><td>${d.protocol}</td>
        <td>${d.intake ? html`<span class="muted">● ${t('intake')}</span>` : d.online ? html`<span class="ok">● ${t('online')}</span>` : html`<span class="bad">● ${t('offline')}</span>`}</td>
        <td>${d.last_seen ?? '—'}</td><td>${d.latest_data ?? '—'}</td><td class="n">${d.stored_24h}</td>
        <td class="n">${warn(d.flagged_24h)}</td><td class="n">${warn(d.rejected_24h)}</td><td class="n">${warn(d.quarantined_24h)}</td>
        ${manage ? html`<td>${d.intake ? '' : html`<button data-toggle=${d.mn} @click=${() => setEnabled(main, d.mn, !d.enabled)}>${d.enabled ? t('dev.disable') : t('dev.enable')}</button>`}</td>` : ''}</tr>`)}</tbody></table>
      <p id="device-msg"></p>
      ${manage ? html`<details><summary><b>${t('dev.add')}</b></summary>
        <form class="stack" id="device-form" @submit=${e => { e.preventDefault(); addDevice(main, e.target); }}>
          <input name="mn" required placeholder="MN"><input name="password" required placeholder=${t('dev.password')}>
          <input name="site" required placeholder=${t('dev.site')}><input name="site_name" placeholder=${t('dev.sitename')}>
          <select name="kind">${KINDS.map(k => html`<option>${k}</option>`)}</select>
          <input name="township" placeholder=${t('township')}><input name="lon" placeholder="lon 113.3"><input name="lat" placeholder="lat 32.7">
          <button class="primary">${t('dev.save')}</button></form>
        <p><label class="upload">${t('dev.upload')} <input type="file" id="device-csv" accept=".csv,text/csv" @change=${e => importCsv(main, e.target)}></label>
          <span class="muted">mn,password,site,site_name,site_kind,township,lon,lat,assessment,kind,protocol,crc,units,rtd_interval_s,min_interval_min,sm4_key</span></p>
      </details>` : ''}</div>
    ${forward.targets.length ? html`<div class="card scroll" style="margin-top:1rem"><h2>${t('fw.title')}</h2>
      <table id="forward"><thead><tr><th>${t('fw.name')}</th><th>${t('fw.target')}</th><th>${t('protocol')}</th><th>${t('state')}</th>
        <th class="n">${t('fw.sent')}</th><th class="n">${t('fw.acked')}</th><th class="n">${t('fw.resent')}</th><th class="n">${t('fw.backlog')}</th>
        <th class="n">${t('fw.lag')}</th><th>${t('fw.error')}</th></tr></thead>
      <tbody>${forward.targets.map(f => html`<tr data-connected=${f.connected}><td>${f.name}</td><td>${f.target}</td><td>${f.protocol}</td>
        <td>${f.connected ? html`<span class="ok">● ${t('online')}</span>` : html`<span class="bad">● ${t('offline')}</span>`}</td>
        <td class="n">${f.sent}</td><td class="n">${f.acked}</td><td class="n">${warn(f.resent)}</td><td class="n">${warn(f.backlog)}</td>
        <td class="n">${f.lag_s > f.lag_alarm_s ? html`<span class="bad">${f.lag_s} s</span>` : `${f.lag_s} s`}</td><td class="muted">${f.last_error ?? ''}</td></tr>`)}</tbody></table></div>` : ''}
    <div class="card scroll" style="margin-top:1rem"><h2>${t('loggers')}</h2>
      ${pending.length ? html`<table id="loggers"><thead><tr><th>${t('loggerid')}</th><th>${t('peer')}</th><th>${t('lastseen')}</th><th>${t('assign')}</th></tr></thead>
        <tbody>${pending.map(l => html`<tr><td>${l.logger_id}</td><td>${l.peer}</td><td>${l.last_seen}</td>
          <td><input size="18" placeholder="MN" data-logger=${l.logger_id}>
            <button class="primary" data-approve=${l.logger_id} @click=${() => approve(main, l.logger_id)}>${t('approve')}</button></td></tr>`)}</tbody></table>`
        : nothing(t('nologgers'))}</div>
    <div class="card scroll" style="margin-top:1rem"><h2>${t('badframes')}</h2>
      ${bad.length ? html`<table id="badframes"><tbody>${bad.map(f => html`<tr><td>${f.received}</td><td>${f.mn ?? '—'}</td><td>${f.peer}</td>
        <td>${f.verdict === 'quarantine' ? t('quarantined') : t('rejected')}</td><td>${f.reason ?? ''}</td>
        <td class="muted" title=${f.raw}>${String(f.raw).slice(0, 60)}…</td></tr>`)}</tbody></table>` : nothing(t('nobad'))}</div>`, main);
}
