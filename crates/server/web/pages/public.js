// 公众: the county and its stations now, without a login.

import { render } from '../vendor/lit-html.js';
import { api } from '../lib/api.js';
import { stationMap } from '../lib/charts.js';
import { t } from '../lib/i18n.js';
import { areaCard, html, label, stationTable } from '../lib/ui.js';
import { banner } from './alerts.js';

export async function show(main) {
  const [now, alert] = await Promise.all([api('/api/v1/public/now'), api('/api/v1/public/alert')]);
  label(now.label);
  const alertCard = alert.level === 'none' ? '' : html`${banner(alert.level, alert.level_zh, alert.since ? `${t('al.since')} ${alert.since.slice(0, 16)} ${alert.document_no ?? ''}` : '')}
    <div class="card" id="public-alert"><p>${t('health')}：${alert.health}</p><p>${t('advice')}：${alert.asked}</p></div>`;
  render(html`<h1>${t('public.title')}</h1>${alertCard}<div class="grid">${areaCard(now)}
      <div class="card"><h2>${t('map')}</h2><div id="map" class="chart tall"></div></div></div>
    <div class="card" style="margin-top:1rem">${now.stations.length ? stationTable(now.stations) : ''}</div>
    <p class="card" id="report-link"><a href="#/report">${t('rp.title')}</a> · ${t('rp.follow')}</p>`, main);
  await stationMap(document.getElementById('map'), now.stations);
}
