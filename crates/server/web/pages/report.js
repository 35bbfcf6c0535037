// 举报 (no login): the public's report form — category, what was seen,
// where (picked on the map, from the phone's location, or typed), a photo
// (shrunk in the browser to fit the 2 MB limit), a contact that is
// optional and kept sealed — and the status page of a report by its
// tracking code, which never shows the contact or the staff.

import { render } from '../vendor/lit-html.js';
import { api } from '../lib/api.js';
import { chart } from '../lib/charts.js';
import { t } from '../lib/i18n.js';
import { html, label } from '../lib/ui.js';

/** A photo as a JPEG of at most 1600 px on its longer side. */
async function shrink(file) {
  const img = await createImageBitmap(file);
  const k = Math.min(1, 1600 / Math.max(img.width, img.height));
  const c = document.createElement('canvas');
  c.width = Math.round(img.width * k); c.height = Math.round(img.height * k);
  c.getContext('2d').drawImage(img, 0, 0, c.width, c.height);
  return new Promise(res => c.toBlob(res, 'image/jpeg', 0.85));
}

async function pickMap(el, form) {
  const gj = await fetch('/api/v1/public/boundary').then(r => (r.ok ? r.json() : null)).catch(() => null);
  if (!gj) { el.hidden = true; return; }
  echarts.registerMap('county', gj);
  const point = [];
  const c = chart(el, { geo: { map: 'county', roam: true, itemStyle: { areaColor: '#eef3f7', borderColor: '#7a8a99' } },
    series: [{ type: 'scatter', coordinateSystem: 'geo', symbolSize: 16, data: point, itemStyle: { color: '#b00020' } }] });
  c.getZr().on('click', e => {
    const p = c.convertFromPixel('geo', [e.offsetX, e.offsetY]);
    if (!p) return;
    form.lon.value = p[0].toFixed(5); form.lat.value = p[1].toFixed(5);
    c.setOption({ series: [{ data: [p] }] });
  });
}

async function submit(e, main) {
  e.preventDefault();
  const f = e.target;
  const err = main.querySelector('#report-error');
  err.textContent = '';
  const body = { category: f.category.value, description: f.description.value, address: f.address.value || null };
  if (f.lon.value && f.lat.value) { body.lon = Number(f.lon.value); body.lat = Number(f.lat.value); }
  if (f.name.value || f.phone.value) body.contact = { name: f.name.value || null, phone: f.phone.value || null };
  let r;
  try {
    r = await api('/api/v1/public/reports', { method: 'POST', body: JSON.stringify(body) });
  } catch (x) { err.textContent = x.message; return; }
  const file = f.photo.files[0];
  if (file) {
    try {
      const blob = await shrink(file);
      const up = await fetch(`/api/v1/public/reports/${r.tracking_code}/photos?name=${encodeURIComponent(file.name)}`,
        { method: 'POST', body: blob, headers: { 'Content-Type': 'application/octet-stream' } });
      if (!up.ok) err.textContent = (await up.json()).error;
    } catch (_) { err.textContent = t('rp.photofail'); }
  }
  location.hash = `#/report/${r.tracking_code}`;
}

async function form(main) {
  const services = await api('/open311/v2/services.json');
  render(html`<h1>${t('rp.title')}</h1>
    <form class="card stack" id="report-form" @submit=${e => submit(e, main)}>
      <label>${t('rp.category')} <select name="category" required>${services.map(s => html`<option value=${s.service_code}>${s.service_name}</option>`)}</select></label>
      <textarea name="description" rows="4" minlength="5" maxlength="2000" required placeholder=${t('rp.description')}></textarea>
      <input name="address" maxlength="200" placeholder=${t('rp.address')}>
      <div id="pick" class="chart"></div>
      <p class="muted">${t('rp.pick')}</p>
      <p><input name="lon" size="10" placeholder=${t('rp.lon')} inputmode="decimal"> <input name="lat" size="10" placeholder=${t('rp.lat')} inputmode="decimal">
        <button type="button" id="locate" @click=${e => navigator.geolocation && navigator.geolocation.getCurrentPosition(p => {
          e.target.form.lon.value = p.coords.longitude.toFixed(5); e.target.form.lat.value = p.coords.latitude.toFixed(5); })}>${t('rp.locate')}</button></p>
      <label>${t('rp.photo')} <input type="file" name="photo" accept="image/*" capture="environment"></label>
      <fieldset><legend>${t('rp.contact')}</legend>
        <input name="name" maxlength="40" placeholder=${t('rp.name')}> <input name="phone" maxlength="20" inputmode="tel" placeholder=${t('rp.phone')}>
        <p class="muted">${t('rp.privacy')}</p></fieldset>
      <button class="primary">${t('rp.send')}</button><p class="err" id="report-error"></p>
    </form>
    <form class="card" @submit=${e => { e.preventDefault(); location.hash = `#/report/${e.target.code.value.trim().toUpperCase()}`; }}>
      <h2>${t('rp.follow')}</h2><input name="code" maxlength="10" placeholder=${t('rp.code')}> <button class="primary">${t('rp.check')}</button></form>`, main);
  await pickMap(main.querySelector('#pick'), main.querySelector('#report-form'));
}

async function status(main, code) {
  let r;
  try { r = await api(`/api/v1/public/reports/${encodeURIComponent(code)}`); } catch (e) {
    if (e.status === 404) { render(html`<p class="state err" id="no-report">${e.message}</p><p><a href="#/report">${t('rp.title')}</a></p>`, main); return; }
    throw e;
  }
  label(r.label);
  render(html`<div class="card" id="report-status"><h2>${t('rp.code')} <b id="tracking-code">${r.tracking_code}</b></h2>
      <p class="big-state" data-state=${r.state} id="report-state">${r.state_zh}</p>
      <p>${r.category_zh ?? ''} · ${t('rp.submitted')} ${(r.submitted || '').slice(0, 16)}${r.photos ? ` · ${r.photos} ${t('rp.photos')}` : ''}</p>
      ${r.answer ? html`<p id="report-answer"><b>${t('rp.answer')}</b>：${r.answer}</p>` : ''}
      <p class="muted">${t('rp.keep')}</p></div>
    <div class="card"><h2>${t('tk.timeline')}</h2><ol class="timeline">${r.updates.map(u => html`<li><b>${u.action_zh}</b> → ${u.state_zh} <span class="muted">${(u.at || '').slice(0, 16)}</span></li>`)}</ol></div>
    <p><a href="#/report">${t('rp.another')}</a></p>`, main);
}

export async function show(main, code) {
  if (code) { await status(main, code); return; }
  await form(main);
}
