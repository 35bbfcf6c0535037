// 报告: the archive of the daily briefs, monthly and annual reports and
// alert evaluations (PDF and Excel to download), and — for the bureau —
// making one now, with its state shown until it is done.

import { render } from '../vendor/lit-html.js';
import { api, session } from '../lib/api.js';
import { t } from '../lib/i18n.js';
import { html, nothing } from '../lib/ui.js';

const STATE = { running: 'rep.running', done: 'rep.done', failed: 'rep.failed' };
const PROGRESS = { queued: 'rep.queued', reading: 'rep.reading', typesetting: 'rep.typesetting' };

const stateText = r => r.state === 'running' ? `${t(STATE.running)}（${t(PROGRESS[r.progress] || 'rep.queued')}）` : t(STATE[r.state] || r.state);

const row = r => html`<tr data-id=${r.id} data-kind=${r.kind} data-state=${r.state}>
  <td>${r.kind_zh}</td><td>${r.period}</td><td class=${r.state === 'failed' ? 'err' : ''}>${stateText(r)}${r.error ? html`<br><span class="muted">${r.error}</span>` : ''}</td>
  <td>${(r.done_at || r.requested_at || '').slice(0, 16)}</td><td class="n">${r.version}</td><td>${r.requested_by}</td>
  <td>${r.state === 'done' ? html`<a class="pdf" href="/api/v1/reports/${r.id}/pdf">PDF</a> · <a class="xlsx" href="/api/v1/reports/${r.id}/xlsx">Excel</a>` : '—'}
    ${r.sample ? html` <span class="tag">${t('rep.sample')}</span>` : ''}${r.public ? html` <span class="tag">${t('rep.public')}</span>` : ''}</td></tr>`;

const HINT = { daily: 'YYYY-MM-DD', monthly: 'YYYY-MM', annual: 'YYYY', episode: 'ID' };

export async function show(main) {
  let list;
  try { list = await api('/api/v1/reports'); } catch (e) {
    if (e.status === 403) { render(html`<p class="state err" id="forbidden">${t('rep.forbidden')}</p>`, main); return; }
    throw e;
  }
  const me = session.me || {};
  const maker = me.role === 'admin' || me.role === 'bureau';
  const draw = (reports, msg) => render(html`
    <div class="card"><h2>${t('rep.title')}</h2><p class="muted">${t('rep.about')}</p>
    ${maker ? html`<form id="make-report" class="row">
      <select name="kind">${['monthly', 'daily', 'annual', 'episode'].map(k => html`<option value=${k}>${t('rep.' + k)}</option>`)}</select>
      <input name="period" required placeholder="YYYY-MM" size="12">
      <button type="submit">${t('rep.make')}</button><span id="make-msg" class="muted">${msg || ''}</span></form>` : ''}</div>
    <div class="card scroll">${reports.length ? html`<table id="reports"><thead><tr><th>${t('rep.kind')}</th><th>${t('rep.period')}</th>
      <th>${t('rep.state')}</th><th>${t('rep.at')}</th><th class="n">${t('rep.version')}</th><th>${t('rep.by')}</th><th>${t('rep.files')}</th></tr></thead>
      <tbody>${reports.map(row)}</tbody></table>` : nothing(t('rep.none'))}</div>`, main);
  draw(list.reports);
  const form = document.getElementById('make-report');
  if (!form) return;
  form.kind.onchange = () => { form.period.placeholder = HINT[form.kind.value]; };
  form.onsubmit = async ev => {
    ev.preventDefault();
    let made;
    try {
      made = await api('/api/v1/reports', { method: 'POST', body: JSON.stringify({ kind: form.kind.value, period: form.period.value.trim() }) });
    } catch (e) { document.getElementById('make-msg').textContent = e.message; return; }
    // Poll its state until it is made (or failed), redrawing the list —
    // while this page is still the one shown.
    const here = location.hash;
    for (let i = 0; i < 300 && location.hash === here; i++) {
      let now;
      try { now = await api('/api/v1/reports'); } catch (e) { document.getElementById('make-msg').textContent = e.message; return; }
      if (location.hash !== here) return;
      const r = now.reports.find(x => x.id === made.id);
      draw(now.reports, r ? stateText(r) : '');
      if (!r || r.state !== 'running') return;
      await new Promise(res => setTimeout(res, 1000));
    }
  };
}
