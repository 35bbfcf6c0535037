// 考核: the month's scores of departments and townships by the versioned
// scheme, ranked apart, each point lost shown with the items behind it.

import { render } from '../vendor/lit-html.js';
import { api } from '../lib/api.js';
import { t } from '../lib/i18n.js';
import { html, nothing } from '../lib/ui.js';

const table = (id, rows, base) => rows.length ? html`<table id=${id}><thead><tr><th class="n">${t('sc.rank')}</th><th>${t('sc.owner')}</th>
  <th class="n">${t('sc.score')}</th><th class="n">${t('sc.tasks')}</th><th>${t('sc.lost')}</th></tr></thead>
  <tbody>${rows.map(s => html`<tr data-owner=${s.owner} data-score=${s.score}><td class="n">${s.rank}</td><td>${s.owner.split(':')[1]}</td>
    <td class="n"><b>${s.score}</b> / ${base}</td><td class="n">${s.tasks}</td>
    <td>${s.deductions.length ? s.deductions.map(d => html`<details><summary>${d.what}：${d.count} × ${d.each} = −${d.points}</summary>
      <span class="muted">${d.evidence.join('、')}</span></details>`) : html`<span class="muted">${t('sc.clean')}</span>`}</td></tr>`)}</tbody></table>` : nothing(t('sc.none'));

export async function show(main, arg) {
  const month = arg || new Date(Date.now() + 8 * 3600e3).toISOString().slice(0, 7);
  let sc;
  try { sc = await api(`/api/v1/ledger/scores?month=${encodeURIComponent(month)}`); } catch (e) {
    if (e.status === 403) { render(html`<p class="state err" id="forbidden">${t('sc.forbidden')}</p>`, main); return; }
    if (e.status === 404) { render(html`<p class="state" id="noplan">${t('led.noplan')}</p>`, main); return; }
    throw e;
  }
  const shift = n => { const [y, m] = month.split('-').map(Number); const d = new Date(Date.UTC(y, m - 1 + n, 1)); return d.toISOString().slice(0, 7); };
  render(html`${sc.sample ? html`<p class="sample" id="sample-scores">${t('led.sample')}</p>` : ''}
    <div class="card"><h2>${t('sc.title')} ${sc.month} <a href="#/scores/${shift(-1)}">‹ ${shift(-1)}</a> <a href="#/scores/${shift(1)}">${shift(1)} ›</a></h2>
      <p class="muted">${t('sc.rule')} (${sc.rules}) · ${t('sc.on')} ${sc.on}</p></div>
    <div class="card scroll"><h2>${t('sc.departments')}</h2>${table('sc-departments', sc.departments, sc.base)}</div>
    <div class="card scroll"><h2>${t('sc.townships')}</h2>${table('sc-townships', sc.townships, sc.base)}</div>`, main);
}
