// lantian dashboard: one page, hash routes, no build step. Data from /api/v1.
'use strict';

const T = {
  en: {
    'brand': 'Air quality', 'nav.overview': 'Overview', 'nav.targets': 'Targets', 'nav.station': 'Stations',
    'nav.ranking': 'Ranking', 'nav.devices': 'Devices', 'nav.public': 'Public', 'logout': 'Log out',
    'loading': 'Loading…', 'footer': 'All times are Beijing time (Asia/Shanghai).',
    'login.title': 'Log in', 'login.user': 'User name', 'login.pass': 'Password', 'login.go': 'Log in',
    'login.public': 'Public page (no login)', 'login.failed': 'Login failed',
    'area': 'County now', 'aqi': 'AQI', 'primary': 'Primary pollutant', 'none': 'none',
    'advice': 'Advice', 'health': 'Health effect', 'asof': 'Data hour', 'map': 'Stations by current AQI',
    'last24': 'Last 24 hours (area AQI)', 'stations': 'Stations', 'station': 'Station',
    'nodata': 'No data yet: no station has reported. Devices appear here once they upload.',
    'targets': 'Targets', 'pm25ytd': 'PM2.5 year to date', 'target': 'target', 'goodratio': 'Good-day ratio',
    'heavy': 'Heavy-or-worse days', 'remaining': 'Still allowed this year', 'months': 'Month by month PM2.5 (µg/m³)',
    'thisyear': 'this year', 'lastyear': 'last year', 'hourly': 'Hourly, last 7 days', 'calendar': 'Daily AQI calendar',
    'rank': 'Ranking', 'composite': 'Composite index', 'yoy': 'vs last year', 'pm25': 'PM2.5 mean',
    'devices': 'Devices', 'online': 'online', 'offline': 'offline', 'lastseen': 'Last seen', 'kind': 'Kind',
    'protocol': 'Protocol', 'loggers': 'HJ 212-2025 loggers awaiting approval', 'approve': 'Approve',
    'mn': 'MN', 'nologgers': 'No logger is waiting.', 'forbidden': 'Not allowed: this page is for the bureau and admins.',
    'public.title': 'Air quality now', 'approved': 'Approved', 'state': 'State', 'site': 'Site', 'days': 'days',
    'valid': 'valid', 'met': 'met', 'notmet': 'not met', 'ugm3': 'µg/m³', 'mean_allowed': 'mean allowed for the rest of the year',
    'choose': 'Station', 'norank': 'No year with data yet.', 'township': 'Township',
    'rose': 'Pollution rose (PM2.5 mean by wind direction)', 'norose': 'This station reports no wind direction (a01008): no pollution rose.',
    'computing': 'Computing the figures, one moment…', 'export': 'Export', 'towns': 'Townships', 'nstations': 'Stations', 'notowns': 'No station has a township yet.',
    'loggerid': 'Logger id', 'peer': 'From', 'assign': 'Assign an MN and approve',
    'latestdata': 'Latest data', 'stored24': 'Stored (24 h)', 'flagged': 'Flagged', 'rejected': 'Rejected', 'quarantined': 'Quarantined',
    'badframes': 'Latest rejected and quarantined frames', 'nobad': 'No rejected or quarantined frame.',
    'rank.none': 'The composite index needs all six pollutants valid (valid days at least 324/365 of the period); not yet, so no rank. PM2.5 and the good-day ratio are listed.',
  },
};
let lang = localStorage.getItem('lantian.lang') || 'zh';
const zhText = {};
function t(key, zh) { return lang === 'en' && T.en[key] ? T.en[key] : (zh ?? zhText[key] ?? key); }
function applyLang() {
  document.documentElement.lang = lang === 'en' ? 'en' : 'zh-CN';
  document.querySelectorAll('[data-t]').forEach(el => {
    const k = el.dataset.t;
    if (!(k in zhText)) zhText[k] = el.textContent;
    el.textContent = t(k);
  });
  document.getElementById('lang').textContent = lang === 'en' ? '中文' : 'English';
}

const state = { me: null, csrf: sessionStorage.getItem('lantian.csrf'), charts: [], timer: null };
const $main = () => document.getElementById('main');
const esc = s => String(s ?? '').replace(/[&<>"']/g, c => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));
const fmt = (v, d = 0) => v === null || v === undefined ? '—' : Number(v).toFixed(d);

async function api(path, opts = {}) {
  const headers = { 'Content-Type': 'application/json' };
  if (state.csrf) headers['X-CSRF-Token'] = state.csrf;
  const r = await fetch(path, { credentials: 'same-origin', ...opts, headers });
  const text = await r.text();
  let body = null;
  try { body = text ? JSON.parse(text) : null; } catch (_) { body = { error: text }; }
  if (!r.ok) { const e = new Error(body && body.error || r.statusText); e.status = r.status; throw e; }
  return body;
}

function chart(el, option) {
  const c = echarts.init(el);
  // No animation: a dashboard redraws with new data, and what it shows must be final at once.
  try { c.setOption({ animation: false, ...option }); } catch (e) { c.dispose(); throw e; }
  state.charts.push(c);
  return c;
}
window.addEventListener('resize', () => state.charts.forEach(c => c.resize()));

function label(l) {
  const el = document.getElementById('label');
  el.hidden = !l;
  el.textContent = l || '';
}
function chipStyle(colour) {
  const dark = ['#990000', '#99004C', '#7E0023', '#FF0000'].includes(String(colour).toUpperCase());
  return `background:${colour || '#ccc'};color:${dark ? '#fff' : '#1d2733'}`;
}
// Download links of a table or series (the session cookie goes along).
function exportLinks(path) {
  const sep = path.includes('?') ? '&' : '?';
  return `<span class="muted">${t('export', '导出')}：<a href="${path}${sep}format=csv">CSV</a> · <a href="${path}${sep}format=xlsx">Excel</a></span>`;
}
function primaryText(p) { return p && p.length ? p.join('、') : t('none', '无'); }
function category(x) { return lang === 'en' ? x.category_en : x.category_zh; }

// The station map: the operator's boundary GeoJSON when one is loaded, else points on a plain background.
async function stationMap(el, stations) {
  const pts = stations.filter(s => s.lon !== null && s.lat !== null);
  const data = pts.map(s => ({ name: s.name, value: [s.lon, s.lat, s.aqi], itemStyle: { color: s.colour || '#bbb', borderColor: '#333', borderWidth: 1 } }));
  let geo = null;
  try {
    const gj = await fetch('/api/v1/public/boundary').then(r => r.ok ? r.json() : null);
    if (gj) { echarts.registerMap('county', gj); geo = { map: 'county', roam: true, itemStyle: { areaColor: '#eef3f7', borderColor: '#7a8a99' } }; }
  } catch (_) { /* plain background */ }
  const series = { type: 'scatter', coordinateSystem: geo ? 'geo' : 'cartesian2d', symbolSize: 18, data,
    label: { show: true, position: 'right', formatter: p => `${p.name} ${p.value[2] ?? '—'}`, fontSize: 11 } };
  const option = { tooltip: { formatter: p => `${esc(p.name)}<br>AQI ${p.value[2] ?? '—'}` }, series: [series] };
  let c = null;
  // A boundary the map cannot draw leaves the stations on a plain background.
  if (geo) { try { c = chart(el, { ...option, geo }); } catch (_) { geo = null; series.coordinateSystem = 'cartesian2d'; } }
  if (!c) {
    const lons = pts.map(p => p.lon), lats = pts.map(p => p.lat);
    const pad = 0.05;
    option.grid = { left: 10, right: 90, top: 10, bottom: 10 };
    option.xAxis = { min: Math.min(...lons) - pad, max: Math.max(...lons) + pad, show: false };
    option.yAxis = { min: Math.min(...lats) - pad, max: Math.max(...lats) + pad, show: false };
    c = chart(el, option);
  }
  el.dataset.markers = String(data.length);
  el.dataset.geo = geo ? '1' : '0';
  el.dataset.colours = data.map(d => d.itemStyle.color).join(',');
  el.dataset.aqis = data.map(d => d.value[2] ?? '').join(',');
  return c;
}

function areaCard(now) {
  const a = now.area;
  if (!a) return `<div class="card"><h2>${t('area', '全县当前')}</h2><p class="state">${t('nodata', '暂无数据：尚无站点上报。设备上传后即在此显示。')}</p></div>`;
  return `<div class="card" id="area"><h2>${t('area', '全县当前')}</h2>
    <div><span class="big" style="${chipStyle(a.colour)}" id="area-aqi">${fmt(a.aqi)}</span>
    <span class="chip" style="${chipStyle(a.colour)}">${esc(category(a))}</span></div>
    <p>${t('primary', '首要污染物')}：${esc(primaryText(a.primary))}</p>
    <p>${t('health', '健康影响')}：${esc(a.health)}</p>
    <p>${t('advice', '建议措施')}：${esc(a.advice)}</p>
    <p class="muted">${t('asof', '数据时间')}：${esc(now.as_of)}</p></div>`;
}

function stationTable(stations) {
  const rows = stations.map(s => `<tr><td><a href="#/station/${encodeURIComponent(s.code)}">${esc(s.name)}</a></td>
    <td class="n"><span class="chip" style="${chipStyle(s.colour)}">${fmt(s.aqi)}</span></td>
    <td>${s.aqi === null ? '—' : esc(category(s))}</td><td>${esc(primaryText(s.primary))}</td><td>${esc(s.as_of ?? '—')}</td></tr>`).join('');
  return `<div class="scroll"><table><thead><tr><th>${t('station', '站点')}</th><th class="n">AQI</th><th></th><th>${t('primary', '首要污染物')}</th><th>${t('asof', '数据时间')}</th></tr></thead><tbody>${rows}</tbody></table></div>`;
}

const pages = {
  async overview() {
    const now = await api('/api/v1/overview');
    label(now.label);
    $main().innerHTML = `<div class="grid">${areaCard(now)}
      <div class="card"><h2>${t('map', '站点当前 AQI')}</h2><div id="map" class="chart tall"></div></div></div>
      <div class="grid" style="margin-top:1rem"><div class="card"><h2>${t('last24', '近 24 小时（全县 AQI）')}</h2><div id="h24" class="chart"></div></div>
      <div class="card"><h2>${t('stations', '站点')}</h2>${now.stations.length ? stationTable(now.stations) : `<p class="state">${t('nodata', '暂无数据')}</p>`}</div></div>`;
    await stationMap(document.getElementById('map'), now.stations);
    chart(document.getElementById('h24'), {
      grid: { left: 40, right: 10, top: 20, bottom: 40 }, tooltip: { trigger: 'axis' },
      xAxis: { type: 'category', data: now.last24.map(h => h.time.slice(11, 16)) }, yAxis: { type: 'value', name: 'AQI' },
      series: [{ type: 'bar', data: now.last24.map(h => ({ value: h.aqi, itemStyle: { color: h.colour || '#ccc' } })) }],
    });
  },

  async targets() {
    const d = await api('/api/v1/targets');
    label(d.label);
    if (!d.year) { $main().innerHTML = `<p class="state">${t('nodata', '暂无数据')}</p>`; return; }
    const g = d.status;
    const okCls = v => v === true ? 'ok' : v === false ? 'bad' : '';
    $main().innerHTML = `<h1>${d.year} ${t('targets', '目标进度')} <small class="muted">${t('asof', '数据时间')}：${esc(d.as_of)}</small></h1>
    <div class="grid">
      <div class="card kpi" id="kpi-pm25"><span>${t('pm25ytd', 'PM2.5 年累计均值')}</span><b class="${okCls(g.pm25_on_track)}">${fmt(g.pm25_mean)} ${t('ugm3', 'µg/m³')}</b>
        <span class="muted">${t('target', '目标')} &lt; ${fmt(g.pm25_target)}；${t('mean_allowed', '全年其余时段允许均值')} ${fmt(g.pm25_remaining_allowed)}</span></div>
      <div class="card kpi" id="kpi-good"><span>${t('goodratio', '优良天数比例')}</span><b class="${okCls(g.good_on_track)}">${fmt(g.good_ratio, 1)}%</b>
        <span class="muted">${g.good_days} / ${g.valid_days} ${t('days', '天')}；${t('target', '目标')} ≥ ${fmt(g.good_target, 1)}%</span></div>
      <div class="card kpi" id="kpi-heavy"><span>${t('heavy', '重度及以上污染天数')}</span><b class="${okCls(g.heavy_on_track)}">${g.heavy_days}</b>
        <span class="muted">${t('remaining', '今年剩余允许')}：${g.heavy_days_remaining ?? '—'} ${t('days', '天')}</span></div>
    </div>
    <div class="card" style="margin-top:1rem"><h2>${t('months', '逐月 PM2.5（µg/m³）')}</h2><div id="months" class="chart"></div></div>`;
    chart(document.getElementById('months'), {
      tooltip: { trigger: 'axis' }, legend: {}, grid: { left: 40, right: 10, top: 40, bottom: 30 },
      xAxis: { type: 'category', data: d.months.map(m => m.month) }, yAxis: { type: 'value' },
      series: [{ name: t('thisyear', '今年'), type: 'bar', data: d.months.map(m => m.pm25) },
        { name: t('lastyear', '去年'), type: 'line', data: d.months.map(m => m.pm25_last) },
        { name: t('target', '目标'), type: 'line', symbol: 'none', lineStyle: { type: 'dashed' }, data: d.months.map(() => g.pm25_target) }],
    });
  },

  async station(code) {
    const list = await api('/api/v1/stations');
    label(list.label);
    const stations = list.stations;
    if (!stations.length) { $main().innerHTML = `<p class="state">${t('nodata', '暂无数据')}</p>`; return; }
    code = code || stations[0].code;
    const s = stations.find(x => x.code === code) || stations[0];
    const opts = stations.map(x => `<option value="${esc(x.code)}" ${x.code === s.code ? 'selected' : ''}>${esc(x.name)}</option>`).join('');
    $main().innerHTML = `<p>${t('choose', '站点')}：<select id="pick">${opts}</select>
      <span class="chip" style="${chipStyle(s.colour)}">AQI ${fmt(s.aqi)}</span> <span class="muted">${esc(s.as_of ?? '')}</span></p>
      <div class="card"><h2>${t('hourly', '逐时浓度（近 7 天）')} ${exportLinks(`/api/v1/stations/${encodeURIComponent(s.code)}/hourly?days=7`)}</h2><div id="hourly" class="chart tall"></div></div>
      <div class="grid" style="margin-top:1rem"><div class="card"><h2>${t('calendar', '日 AQI 日历')} ${exportLinks(`/api/v1/stations/${encodeURIComponent(s.code)}/daily`)}</h2><div id="calendar" class="chart"></div></div>
      <div class="card"><h2>${t('rose', '污染玫瑰图（各风向 PM2.5 均值）')}</h2><div id="rose" class="chart"></div></div></div>`;
    document.getElementById('pick').onchange = e => { location.hash = '#/station/' + encodeURIComponent(e.target.value); };
    const [hours, days, rose] = await Promise.all([
      api(`/api/v1/stations/${encodeURIComponent(s.code)}/hourly?days=7`),
      api(`/api/v1/stations/${encodeURIComponent(s.code)}/daily`),
      api(`/api/v1/stations/${encodeURIComponent(s.code)}/rose`)]);
    const roseEl = document.getElementById('rose');
    if (!rose.hours) roseEl.outerHTML = `<p class="state" id="rose-none">${t('norose', '该站没有风向数据（a01008），无法绘制污染玫瑰图。')}</p>`;
    else {
      chart(roseEl, {
        tooltip: { formatter: p => `${p.name}: PM2.5 ${p.value ?? '—'} µg/m³（${rose.bins[p.dataIndex].hours} h）` },
        polar: { radius: '75%' }, angleAxis: { type: 'category', data: rose.bins.map(b => b.dir), startAngle: 90 + 11.25 },
        radiusAxis: { name: 'µg/m³' },
        series: [{ type: 'bar', coordinateSystem: 'polar', data: rose.bins.map(b => ({ value: b.pm25, itemStyle: { color: b.colour || '#ccc' } })) }],
      });
      roseEl.dataset.hours = String(rose.hours);
    }
    const names = ['PM2.5', 'PM10', 'SO2', 'NO2', 'CO', 'O3'];
    chart(document.getElementById('hourly'), {
      tooltip: { trigger: 'axis' }, legend: {}, grid: { left: 45, right: 45, top: 40, bottom: 30 },
      xAxis: { type: 'category', data: hours.hours.map(h => h.time.slice(5, 16)) },
      yAxis: [{ type: 'value', name: 'µg/m³' }, { type: 'value', name: 'CO mg/m³' }],
      series: names.map(n => ({ name: n, type: 'line', showSymbol: false, yAxisIndex: n === 'CO' ? 1 : 0, data: hours.hours.map(h => h.values[n]) })),
    });
    const year = days.year;
    const cal = document.getElementById('calendar');
    if (!year) { cal.outerHTML = `<p class="state">${t('nodata', '暂无数据')}</p>`; return; }
    chart(cal, {
      tooltip: { formatter: p => `${p.value[0]}: AQI ${p.value[1]}` },
      visualMap: { type: 'piecewise', orient: 'horizontal', left: 'center', bottom: 0, pieces: days.levels.map(l => ({ min: l.min, max: l.max, color: l.colour, label: lang === 'en' ? l.category_en : l.category_zh })) },
      calendar: { range: String(year), cellSize: ['auto', 14], top: 30, left: 60, right: 10, dayLabel: { nameMap: lang === 'en' ? 'EN' : 'ZH' }, monthLabel: { nameMap: lang === 'en' ? 'EN' : 'ZH' } },
      series: [{ type: 'heatmap', coordinateSystem: 'calendar', data: days.days.filter(d => d.aqi !== null).map(d => [d.date, d.aqi]) }],
    });
    cal.dataset.days = String(days.days.filter(d => d.aqi !== null).length);
  },

  async ranking() {
    const d = await api('/api/v1/rankings');
    label(d.label);
    if (!d.year) { $main().innerHTML = `<p class="state">${t('norank', '暂无可排名的年份')}</p>`; return; }
    const delta = (a, b, dp) => a === null || b === null ? '—' : (a - b > 0 ? '+' : '') + (a - b).toFixed(dp);
    const rows = d.stations.map(s => `<tr><td class="n">${s.rank ?? '—'}</td><td>${esc(s.name)}</td><td>${esc(s.township ?? '')}</td>
      <td class="n">${fmt(s.composite, 2)}</td><td class="n">${delta(s.composite, s.composite_prev, 2)}</td>
      <td class="n">${fmt(s.pm25)}</td><td class="n">${delta(s.pm25, s.pm25_prev, 0)}</td>
      <td class="n">${fmt(s.good_ratio, 1)}%</td><td class="n">${delta(s.good_ratio, s.good_ratio_prev, 1)}</td></tr>`).join('');
    const note = d.stations.some(s => s.rank) ? '' : `<p class="muted" id="rank-note">${t('rank.none', '综合指数要求六项污染物统计均有效（有效天数不少于期间天数的 324/365），目前尚不满足，暂不排名；PM2.5 与优良天数比例照常列出。')}</p>`;
    $main().innerHTML = `<h1>${d.year} ${t('rank', '排名')} <small class="muted">${esc(d.from)} – ${esc(d.to)}</small></h1>${note}<p>${exportLinks('/api/v1/rankings')}</p><div class="card scroll"><table id="ranking">
      <thead><tr><th class="n">#</th><th>${t('station', '站点')}</th><th>${t('township', '乡镇')}</th><th class="n">${t('composite', '综合指数')}</th><th class="n">${t('yoy', '同比')}</th>
      <th class="n">${t('pm25', 'PM2.5 均值')}</th><th class="n">${t('yoy', '同比')}</th><th class="n">${t('goodratio', '优良天数比例')}</th><th class="n">${t('yoy', '同比')}</th></tr></thead>
      <tbody>${rows}</tbody></table></div>
      <div class="card scroll" style="margin-top:1rem"><h2>${t('towns', '乡镇排名')}</h2>${d.townships.length ? `<table id="townships"><thead><tr><th class="n">#</th><th>${t('township', '乡镇')}</th><th class="n">${t('nstations', '站点数')}</th>
      <th class="n">${t('composite', '综合指数')}</th><th class="n">${t('yoy', '同比')}</th><th class="n">${t('pm25', 'PM2.5 均值')}</th><th class="n">${t('yoy', '同比')}</th>
      <th class="n">${t('goodratio', '优良天数比例')}</th><th class="n">${t('yoy', '同比')}</th></tr></thead><tbody>${d.townships.map(s => `<tr><td class="n">${s.rank ?? '—'}</td><td>${esc(s.township)}</td><td class="n">${s.stations}</td>
      <td class="n">${fmt(s.composite, 2)}</td><td class="n">${delta(s.composite, s.composite_prev, 2)}</td><td class="n">${fmt(s.pm25)}</td><td class="n">${delta(s.pm25, s.pm25_prev, 0)}</td>
      <td class="n">${fmt(s.good_ratio, 1)}%</td><td class="n">${delta(s.good_ratio, s.good_ratio_prev, 1)}</td></tr>`).join('')}</tbody></table>` : `<p class="state">${t('notowns', '站点尚未标注所属乡镇。')}</p>`}</div>`;
  },

  async devices() {
    let devices, loggers, quarantine, rejected;
    try {
      [devices, loggers, quarantine, rejected] = await Promise.all([api('/api/v1/devices'), api('/api/v1/loggers'),
        api('/api/v1/quarantine?limit=20'), api('/api/v1/frames?verdict=rejected&limit=20')]);
    } catch (e) {
      if (e.status === 403) { $main().innerHTML = `<p class="state err" id="forbidden">${t('forbidden', '无权访问：设备管理仅限生态环境局和管理员。')}</p>`; return; }
      throw e;
    }
    const warn = n => n > 0 ? `<span class="bad">${n}</span>` : '0';
    const rows = devices.map(d => `<tr><td>${esc(d.mn)}</td><td>${esc(d.site_name)}</td><td>${esc(d.kind)}</td><td>${esc(d.protocol)}</td>
      <td>${d.online ? `<span class="ok">● ${t('online', '在线')}</span>` : `<span class="bad">● ${t('offline', '离线')}</span>`}</td><td>${esc(d.last_seen ?? '—')}</td>
      <td>${esc(d.latest_data ?? '—')}</td><td class="n">${d.stored_24h}</td><td class="n">${warn(d.flagged_24h)}</td><td class="n">${warn(d.rejected_24h)}</td><td class="n">${warn(d.quarantined_24h)}</td></tr>`).join('');
    const pending = loggers.filter(l => !l.approved_mn);
    const lrows = pending.map(l => `<tr><td>${esc(l.logger_id)}</td><td>${esc(l.peer)}</td><td>${esc(l.last_seen)}</td>
      <td><input size="18" placeholder="MN" data-logger="${esc(l.logger_id)}"> <button class="primary" data-approve="${esc(l.logger_id)}">${t('approve', '批准')}</button></td></tr>`).join('');
    const bad = [...rejected, ...quarantine].sort((a, b) => String(b.received).localeCompare(String(a.received))).slice(0, 20);
    const brows = bad.map(f => `<tr><td>${esc(f.received)}</td><td>${esc(f.mn ?? '—')}</td><td>${esc(f.peer)}</td><td>${esc(f.verdict === 'quarantine' ? t('quarantined', '隔离') : t('rejected', '拒收'))}</td>
      <td>${esc(f.reason ?? '')}</td><td class="muted" title="${esc(f.raw)}">${esc(String(f.raw).slice(0, 60))}…</td></tr>`).join('');
    $main().innerHTML = `<div class="card scroll"><h2>${t('devices', '设备')} (${devices.length}) ${exportLinks('/api/v1/devices')}</h2><table id="devices"><thead><tr><th>${t('mn', 'MN')}</th><th>${t('site', '站点')}</th><th>${t('kind', '类型')}</th>
      <th>${t('protocol', '协议')}</th><th>${t('state', '状态')}</th><th>${t('lastseen', '最后上报')}</th><th>${t('latestdata', '最新数据时间')}</th>
      <th class="n">${t('stored24', '24 小时入库')}</th><th class="n">${t('flagged', '标记值')}</th><th class="n">${t('rejected', '拒收')}</th><th class="n">${t('quarantined', '隔离')}</th></tr></thead><tbody>${rows}</tbody></table></div>
      <div class="card scroll" style="margin-top:1rem"><h2>${t('loggers', '待批准的 HJ 212-2025 数采仪')}</h2>
      ${pending.length ? `<table id="loggers"><thead><tr><th>${t('loggerid', '数采仪编号')}</th><th>${t('peer', '来源地址')}</th><th>${t('lastseen', '最后上报')}</th><th>${t('assign', '分配 MN 并批准')}</th></tr></thead><tbody>${lrows}</tbody></table>` : `<p class="state">${t('nologgers', '没有待批准的数采仪。')}</p>`}</div>
      <div class="card scroll" style="margin-top:1rem"><h2>${t('badframes', '最近拒收和隔离的报文')}</h2>
      ${bad.length ? `<table id="badframes"><tbody>${brows}</tbody></table>` : `<p class="state">${t('nobad', '没有拒收或隔离的报文。')}</p>`}</div>`;
    document.querySelectorAll('[data-approve]').forEach(b => b.onclick = async () => {
      const id = b.dataset.approve;
      const mn = document.querySelector(`input[data-logger="${CSS.escape(id)}"]`).value.trim();
      try { await api('/api/v1/loggers/approve', { method: 'POST', body: JSON.stringify({ logger_id: id, mn }) }); b.replaceWith(t('approved', '已批准')); }
      catch (e) { alert(e.message); }
    });
  },

  async public() {
    const now = await api('/api/v1/public/now');
    label(now.label);
    $main().innerHTML = `<h1>${t('public.title', '实时空气质量')}</h1><div class="grid">${areaCard(now)}
      <div class="card"><h2>${t('map', '站点当前 AQI')}</h2><div id="map" class="chart tall"></div></div></div>
      <div class="card" style="margin-top:1rem">${now.stations.length ? stationTable(now.stations) : ''}</div>`;
    await stationMap(document.getElementById('map'), now.stations);
  },
};

function loginPage(reason) {
  $main().innerHTML = `<form class="login" id="login"><h1>${t('login.title', '登录')}</h1>
    <input name="username" autocomplete="username" placeholder="${t('login.user', '用户名')}" required>
    <input name="password" type="password" autocomplete="current-password" placeholder="${t('login.pass', '密码')}" required>
    <button class="primary">${t('login.go', '登录')}</button><p class="err" id="login-err">${esc(reason || '')}</p>
    <a href="#/public">${t('login.public', '公众页面（无需登录）')}</a></form>`;
  document.getElementById('login').onsubmit = async e => {
    e.preventDefault();
    const f = new FormData(e.target);
    try {
      const me = await api('/api/v1/login', { method: 'POST', body: JSON.stringify({ username: f.get('username'), password: f.get('password') }) });
      state.csrf = me.csrf; sessionStorage.setItem('lantian.csrf', me.csrf); state.me = me;
      location.hash = me.role === 'public' ? '#/public' : '#/overview';
      route();
    } catch (err) { document.getElementById('login-err').textContent = `${t('login.failed', '登录失败')}：${err.message}`; }
  };
}

async function whoami() {
  if (state.me) return state.me;
  try { state.me = await api('/api/v1/me'); } catch (_) { state.me = null; }
  return state.me;
}

async function route() {
  state.charts.forEach(c => c.dispose()); state.charts = [];
  clearTimeout(state.timer);
  const [, page = 'overview', arg] = location.hash.replace(/^#/, '').split('/');
  document.querySelectorAll('#nav a').forEach(a => a.classList.toggle('on', a.getAttribute('href') === '#/' + page));
  const me = page === 'public' ? state.me : await whoami();
  document.getElementById('who').textContent = me ? `${me.username}（${lang === 'en' ? me.role : me.role_zh}）` : '';
  document.getElementById('logout').hidden = !me;
  if (!pages[page]) { location.hash = '#/overview'; return; }
  if (page !== 'public' && !me) { loginPage(); return; }
  $main().innerHTML = `<p class="state">${t('loading', '加载中…')}</p>`;
  try { await pages[page](arg && decodeURIComponent(arg)); }
  catch (e) {
    if (e.status === 401) { state.me = null; loginPage(); return; }
    if (e.status === 503) {
      // The server is still computing its first figures: say so and try again.
      $main().innerHTML = `<p class="state" id="computing">${t('computing', '正在计算统计数据，请稍候…')}</p>`;
      state.timer = setTimeout(route, 3000);
      return;
    }
    $main().innerHTML = `<p class="state err">${esc(e.message)}</p>`;
  }
  document.body.dataset.page = page;
  // Live pages refresh once a minute.
  if (['overview', 'public'].includes(page)) state.timer = setTimeout(route, 60000);
}

document.getElementById('lang').onclick = () => { lang = lang === 'en' ? 'zh' : 'en'; localStorage.setItem('lantian.lang', lang); applyLang(); route(); };
document.getElementById('logout').onclick = async () => {
  try { await api('/api/v1/logout', { method: 'POST' }); } catch (_) { /* already out */ }
  state.me = null; state.csrf = null; sessionStorage.removeItem('lantian.csrf'); location.hash = '#/public'; route();
};
window.addEventListener('hashchange', route);
applyLang();
route();
