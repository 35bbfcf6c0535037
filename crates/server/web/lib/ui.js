// Small pieces the pages share, as lit-html templates (which escape every
// value they are given: no page builds HTML by string).

import { html } from '../vendor/lit-html.js';
import { t, category } from './i18n.js';

export { html };

/** A number with `d` decimals, or a dash. */
export const fmt = (v, d = 0) => (v === null || v === undefined ? '—' : Number(v).toFixed(d));

/** The style of a chip in a level's colour, with the engine's text colour. */
export const chipStyle = x => `background:${(x && x.colour) || '#ccc'};color:${(x && x.text_colour) || '#1d2733'}`;

export const primaryText = p => (p && p.length ? p.join('、') : t('none'));

/** The data's note under the header (the demo's sample label). */
export function label(text) {
  const el = document.getElementById('label');
  el.hidden = !text;
  el.textContent = text || '';
}

/** Download links of a table or series (the session cookie goes along). */
export function exportLinks(path) {
  const sep = path.includes('?') ? '&' : '?';
  return html`<span class="muted">${t('export')}：<a href="${path}${sep}format=csv">CSV</a> · <a href="${path}${sep}format=xlsx">Excel</a></span>`;
}

export const nothing = text => html`<p class="state">${text}</p>`;

/** The area's latest hour. */
export function areaCard(now) {
  const a = now.area;
  if (!a) return html`<div class="card"><h2>${t('area')}</h2>${nothing(t('nodata'))}</div>`;
  return html`<div class="card" id="area"><h2>${t('area')}</h2>
    <div><span class="big" style=${chipStyle(a)} id="area-aqi">${fmt(a.aqi)}</span>
    <span class="chip" style=${chipStyle(a)}>${category(a)}</span></div>
    <p>${t('primary')}：${primaryText(a.primary)}</p>
    <p>${t('health')}：${a.health}</p>
    <p>${t('advice')}：${a.advice}</p>
    <p class="muted">${t('asof')}：${now.as_of}</p></div>`;
}

/** Every station's latest hour. */
export function stationTable(stations) {
  return html`<div class="scroll"><table><thead><tr><th>${t('station')}</th><th class="n">AQI</th><th></th>
    <th>${t('primary')}</th><th>${t('asof')}</th></tr></thead><tbody>
    ${stations.map(s => html`<tr><td><a href="#/station/${encodeURIComponent(s.code)}">${s.name}</a></td>
      <td class="n"><span class="chip" style=${chipStyle(s)}>${fmt(s.aqi)}</span></td>
      <td>${s.aqi === null ? '—' : category(s)}</td><td>${primaryText(s.primary)}</td><td>${s.as_of ?? '—'}</td></tr>`)}
    </tbody></table></div>`;
}
