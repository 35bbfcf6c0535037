// 公众: the county and its stations now, without a login.

import { render } from '../vendor/lit-html.js';
import { api } from '../lib/api.js';
import { stationMap } from '../lib/charts.js';
import { t } from '../lib/i18n.js';
import { areaCard, html, label, stationTable } from '../lib/ui.js';
import { banner } from './alerts.js';

export async function show(main) {
  const [now, alert, yearly] = await Promise.all([api('/api/v1/public/now'), api('/api/v1/public/alert'), api('/api/v1/public/air-reports').catch(() => ({ reports: [] }))]);
  label(now.label);
  const alertCard = alert.level === 'none' ? '' : html`${banner(alert.level, alert.level_zh, alert.since ? `${t('al.since')} ${alert.since.slice(0, 16)} ${alert.document_no ?? ''}` : '')}
    <div class="card" id="public-alert"><p>${t('health')}：${alert.health}</p><p>${t('advice')}：${alert.asked}</p></div>`;
  render(html`<h1>${t('public.title')}</h1>${alertCard}<div class="grid">${areaCard(now)}
      <div class="card"><h2>${t('map')}</h2><div id="map" class="chart tall"></div></div></div>
    <div class="card" style="margin-top:1rem">${now.stations.length ? stationTable(now.stations) : ''}</div>
    ${yearly.reports.length ? html`<div class="card" id="air-reports"><h2>${t('rep.public_title')}</h2>
      ${yearly.reports.map(r => html`<p><a href="/api/v1/public/air-reports/${r.id}">${r.period} ${r.kind_zh}（PDF）</a>${r.sample ? html` <span class="tag">${t('rep.sample')}</span>` : ''}</p>`)}</div>` : ''}
    <p class="card" id="report-link"><a href="#/report">${t('rp.title')}</a> · ${t('rp.follow')}</p>`, main);
  await stationMap(document.getElementById('map'), now.stations);
}
