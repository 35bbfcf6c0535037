// 设备: every device's state and counts, HJ 212-2025 loggers to approve,
// the latest rejected and quarantined frames. For the bureau and admins.

import { render } from '../vendor/lit-html.js';
import { api } from '../lib/api.js';
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

export async function show(main) {
  let devices, loggers, quarantine, rejected;
  try {
    [devices, loggers, quarantine, rejected] = await Promise.all([api('/api/v1/devices'), api('/api/v1/loggers'),
      api('/api/v1/quarantine?limit=20'), api('/api/v1/frames?verdict=rejected&limit=20')]);
  } catch (e) {
    if (e.status === 403) { render(html`<p class="state err" id="forbidden">${t('forbidden')}</p>`, main); return; }
    throw e;
  }
  const pending = loggers.filter(l => !l.approved_mn);
  const bad = [...rejected, ...quarantine].sort((a, b) => String(b.received).localeCompare(String(a.received))).slice(0, 20);
  render(html`<div class="card scroll"><h2>${t('devices')} (${devices.length}) ${exportLinks('/api/v1/devices')}</h2>
      <table id="devices"><thead><tr><th>${t('mn')}</th><th>${t('site')}</th><th>${t('kind')}</th><th>${t('protocol')}</th><th>${t('state')}</th>
        <th>${t('lastseen')}</th><th>${t('latestdata')}</th><th class="n">${t('stored24')}</th><th class="n">${t('flagged')}</th>
        <th class="n">${t('rejected')}</th><th class="n">${t('quarantined')}</th></tr></thead>
      <tbody>${devices.map(d => html`<tr><td>${d.mn}</td><td>${d.site_name}</td><td>${d.kind}</td><td>${d.protocol}</td>
        <td>${d.intake ? html`<span class="muted">● ${t('intake')}</span>` : d.online ? html`<span class="ok">● ${t('online')}</span>` : html`<span class="bad">● ${t('offline')}</span>`}</td>
        <td>${d.last_seen ?? '—'}</td><td>${d.latest_data ?? '—'}</td><td class="n">${d.stored_24h}</td>
        <td class="n">${warn(d.flagged_24h)}</td><td class="n">${warn(d.rejected_24h)}</td><td class="n">${warn(d.quarantined_24h)}</td></tr>`)}</tbody></table></div>
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
