// 排名: stations and townships by composite index, PM2.5 and good-day
// ratio, year on year.

import { render } from '../vendor/lit-html.js';
import { api } from '../lib/api.js';
import { t } from '../lib/i18n.js';
import { exportLinks, fmt, html, label, nothing } from '../lib/ui.js';

const delta = (a, b, dp) => (a === null || b === null || a === undefined || b === undefined ? '—' : (a - b > 0 ? '+' : '') + (a - b).toFixed(dp));

const figures = s => html`<td class="n">${fmt(s.composite, 2)}</td><td class="n">${delta(s.composite, s.composite_prev, 2)}</td>
  <td class="n">${fmt(s.pm25)}</td><td class="n">${delta(s.pm25, s.pm25_prev, 0)}</td>
  <td class="n">${fmt(s.good_ratio, 1)}%</td><td class="n">${delta(s.good_ratio, s.good_ratio_prev, 1)}</td>`;

const figureHeads = () => html`<th class="n">${t('composite')}</th><th class="n">${t('yoy')}</th>
  <th class="n">${t('pm25')}</th><th class="n">${t('yoy')}</th><th class="n">${t('goodratio')}</th><th class="n">${t('yoy')}</th>`;

export async function show(main) {
  const d = await api('/api/v1/rankings');
  label(d.label);
  if (!d.year) { render(nothing(t('norank')), main); return; }
  const ranked = d.stations.some(s => s.rank);
  render(html`<h1>${d.year} ${t('rank')} <small class="muted">${d.from} – ${d.to}</small></h1>
    ${ranked ? '' : html`<p class="muted" id="rank-note">${t('rank.none')}</p>`}
    <p>${exportLinks('/api/v1/rankings')}</p>
    <div class="card scroll"><table id="ranking"><thead><tr><th class="n">#</th><th>${t('station')}</th><th>${t('township')}</th>${figureHeads()}</tr></thead>
      <tbody>${d.stations.map(s => html`<tr><td class="n">${s.rank ?? '—'}</td><td>${s.name}</td><td>${s.township ?? ''}</td>${figures(s)}</tr>`)}</tbody></table></div>
    <div class="card scroll" style="margin-top:1rem"><h2>${t('towns')}</h2>
      ${d.townships.length ? html`<table id="townships"><thead><tr><th class="n">#</th><th>${t('township')}</th><th class="n">${t('nstations')}</th>${figureHeads()}</tr></thead>
        <tbody>${d.townships.map(s => html`<tr><td class="n">${s.rank ?? '—'}</td><td>${s.township}</td><td class="n">${s.stations}</td>${figures(s)}</tr>`)}</tbody></table>`
        : nothing(t('notowns'))}</div>`, main);
}
