// 目标进度: the year to date against the plan's targets, month by month.

import { render } from '../vendor/lit-html.js';
import { api } from '../lib/api.js';
import { chart } from '../lib/charts.js';
import { t } from '../lib/i18n.js';
import { fmt, html, label, nothing } from '../lib/ui.js';

const okClass = v => (v === true ? 'ok' : v === false ? 'bad' : '');

export async function show(main) {
  const d = await api('/api/v1/targets');
  label(d.label);
  if (!d.year) { render(nothing(t('nodata')), main); return; }
  const g = d.status;
  render(html`<h1>${d.year} ${t('targets')} <small class="muted">${t('asof')}：${d.as_of}</small></h1>
    <div class="grid">
      <div class="card kpi" id="kpi-pm25"><span>${t('pm25ytd')}</span><b class=${okClass(g.pm25_on_track)}>${fmt(g.pm25_mean)} ${t('ugm3')}</b>
        <span class="muted">${t('target')} &lt; ${fmt(g.pm25_target)}；${t('mean_allowed')} ${fmt(g.pm25_remaining_allowed)}</span></div>
      <div class="card kpi" id="kpi-good"><span>${t('goodratio')}</span><b class=${okClass(g.good_on_track)}>${fmt(g.good_ratio, 1)}%</b>
        <span class="muted">${g.good_days} / ${g.valid_days} ${t('days')}；${t('target')} ≥ ${fmt(g.good_target, 1)}%</span></div>
      <div class="card kpi" id="kpi-heavy"><span>${t('heavy')}</span><b class=${okClass(g.heavy_on_track)}>${g.heavy_days}</b>
        <span class="muted">${t('remaining')}：${g.heavy_days_remaining ?? '—'} ${t('days')}</span></div>
    </div>
    <div class="card" style="margin-top:1rem"><h2>${t('months')}</h2><div id="months" class="chart"></div></div>`, main);
  chart(document.getElementById('months'), {
    tooltip: { trigger: 'axis' }, legend: {}, grid: { left: 40, right: 10, top: 40, bottom: 30 },
    xAxis: { type: 'category', data: d.months.map(m => m.month) }, yAxis: { type: 'value' },
    series: [{ name: t('thisyear'), type: 'bar', data: d.months.map(m => m.pm25) },
      { name: t('lastyear'), type: 'line', data: d.months.map(m => m.pm25_last) },
      { name: t('target'), type: 'line', symbol: 'none', lineStyle: { type: 'dashed' }, data: d.months.map(() => g.pm25_target) }],
  });
}
