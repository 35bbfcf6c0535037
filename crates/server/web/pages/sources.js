// 企业: the register of 涉气 firms the caller may see (the bureau all, a
// township its own, a firm itself), with today's grade, white list and
// open alarms; import and export of the register workbook for the bureau.

import { render } from '../vendor/lit-html.js';
import { api, session } from '../lib/api.js';
import { t } from '../lib/i18n.js';
import { html, nothing } from '../lib/ui.js';

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
  const filter = () => {
    const town = main.querySelector('#f-town').value, q = main.querySelector('#f-q').value.trim();
    main.querySelectorAll('#firms tbody tr').forEach(tr => {
      tr.hidden = (town && tr.dataset.town !== town) || (q && !tr.textContent.includes(q));
    });
  };
  render(html`${sampleNote(firms)}
    <div class="card scroll"><h2>${t('src.firms')} (${firms.length})
      <span class="muted"><a href="/api/v1/enterprises/export">${t('src.export')}</a> · <a href="/api/v1/enterprises/export?template=true">${t('src.template')}</a></span></h2>
      <p><select id="f-town" @change=${filter}><option value="">${t('src.alltowns')}</option>${towns.map(x => html`<option>${x.name}</option>`)}</select>
        <input id="f-q" placeholder=${t('src.search')} @input=${filter}>
        ${bureau ? html`<label class="upload">${t('src.import')} <input type="file" accept=".xlsx,.xls,.ods" @change=${e => importBook(main, e.target)}></label>` : ''}</p>
      <div id="import-result"></div>
      ${firms.length ? html`<table id="firms"><thead><tr><th>${t('src.name')}</th><th>${t('township')}</th><th>${t('src.industry')}</th><th>${t('src.grade')}</th>
        <th>${t('src.whitelist')}</th><th class="n">${t('src.outlets')}</th><th class="n">${t('src.online')}</th><th class="n">${t('src.alarms')}</th></tr></thead>
        <tbody>${firms.map(f => html`<tr data-town=${f.township}><td><a href="#/enterprise/${encodeURIComponent(f.credit_code)}">${f.name}</a>
          ${f.sample ? html`<span class="tag">${t('src.sampletag')}</span>` : ''}<br><small class="muted">${f.credit_code}</small></td>
          <td>${f.township}</td><td>${f.key_industry || f.industry}</td><td>${f.grade ?? '—'}</td><td>${f.whitelist ?? ''}</td>
          <td class="n">${f.outlets}</td><td class="n">${f.outlets_online}</td>
          <td class="n">${f.active_alarms ? html`<a class="bad" href="#/alarms">${f.active_alarms}</a>` : '0'}</td></tr>`)}</tbody></table>`
        : nothing(t('src.none'))}</div>`, main);
}
