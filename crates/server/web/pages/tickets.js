// 工单: the closed loop. The list the caller may see (counts by state,
// filters, overdue in red), the caller's inbox, a form to open one (the
// bureau); one ticket with its timeline, files and the actions the machine
// gives this caller (the bureau assigns, extends, accepts, returns; the
// assignee verifies and feeds back, with photos).

import { render } from '../vendor/lit-html.js';
import { api, session } from '../lib/api.js';
import { t } from '../lib/i18n.js';
import { exportLinks, html, nothing } from '../lib/ui.js';

const STATES = ['new', 'assigned', 'rectifying', 'reviewing', 'closed', 'unfounded'];
const SOURCES = ['manual', 'public_report', 'source_alarm', 'alert_violation', 'fire_point', 'station_hotspot'];
const filters = { state: '', source: '', overdue: false, township: '' };

/** An assignee as people say it: the township's, department's or firm's name. */
const who = a => (a ? a.slice(a.indexOf(':') + 1) : '—');
const minute = x => (x ? x.slice(0, 16) : '—');

const sampleNote = list => (list.some(x => x.sample) ? html`<p class="sample" id="sample-tickets">${t('tk.sample')}</p>` : '');

const ticketTable = list => html`<table id="tickets" class="tickets"><thead><tr><th>#</th><th>${t('tk.title')}</th><th>${t('tk.source')}</th>
  <th>${t('tk.severity')}</th><th>${t('state')}</th><th>${t('tk.assignee')}</th><th>${t('township')}</th><th>${t('tk.due')}</th><th>${t('tk.escalation')}</th></tr></thead>
  <tbody>${list.map(x => html`<tr data-state=${x.state} class=${x.overdue ? 'overdue' : ''}><td><a href="#/tickets/${x.id}">${x.id}</a></td>
    <td>${x.title}${x.sample ? html` <span class="tag">${t('src.sampletag')}</span>` : ''}</td><td>${x.source_zh}</td><td>${x.severity_zh}</td>
    <td>${x.state_zh}</td><td>${who(x.assignee)}</td><td>${x.township ?? '—'}</td>
    <td>${minute(x.due)}${x.overdue ? html` <b class="bad">${t('tk.overdue')}</b>` : ''}</td><td>${x.escalation_zh ?? ''}</td></tr>`)}</tbody></table>`;

async function inboxCard() {
  const box = await api('/api/v1/inbox');
  if (!box.items.length) return '';
  const read = async () => { await api('/api/v1/inbox/read', { method: 'POST', body: JSON.stringify({ ids: [] }) }); show(document.getElementById('main')); };
  return html`<div class="card scroll" id="inbox"><h2>${t('tk.inbox')}（${t('tk.unread')} ${box.unread}）
      ${box.unread ? html`<button @click=${read}>${t('tk.markread')}</button>` : ''}</h2>
    <ul class="inbox">${box.items.slice(0, 10).map(i => html`<li class=${i.read ? 'muted' : ''}>${i.at.slice(5, 16)} ·
      ${i.ticket_id ? html`<a href="#/tickets/${i.ticket_id}">${i.text}</a>` : i.text}</li>`)}</ul></div>`;
}

function newForm(main) {
  const submit = async e => {
    e.preventDefault();
    const f = new FormData(e.target);
    const body = { title: f.get('title'), description: f.get('description'), severity: f.get('severity') || null };
    if (f.get('township')) body.township = f.get('township');
    if (f.get('to')) body.assign = { to: f.get('to'), due: f.get('due') || null };
    try {
      const tk = await api('/api/v1/tickets', { method: 'POST', body: JSON.stringify(body) });
      location.hash = `#/tickets/${tk.id}`;
    } catch (err) { main.querySelector('#new-error').textContent = err.message; }
  };
  return html`<details class="card" id="new-ticket"><summary><b>${t('tk.newticket')}</b></summary>
    <form class="stack" @submit=${submit}>
      <input name="title" required maxlength="120" placeholder=${t('tk.title')}>
      <textarea name="description" rows="3" maxlength="4000" placeholder=${t('tk.description')}></textarea>
      <select name="severity"><option value="">${t('tk.severity')}：${t('tk.byrule')}</option><option value="urgent">紧急</option><option value="serious">较重</option><option value="ordinary">一般</option></select>
      <input name="township" placeholder=${t('township')}>
      <input name="to" placeholder="township:泌水街道 / department:住建局 / enterprise:统一社会信用代码">
      <input name="due" type="date" title=${t('tk.due')}>
      <button class="primary">${t('tk.open')}</button><span class="err" id="new-error"></span>
    </form></details>`;
}

async function list(main) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(filters)) if (v) q.set(k, v === true ? 'true' : v);
  const path = `/api/v1/tickets?${q}`;
  const r = await api(path);
  const me = session.me || {};
  const bureau = me.role === 'admin' || me.role === 'bureau';
  const set = (k, v) => { filters[k] = v; show(main); };
  const total = Object.values(r.counts).reduce((a, b) => a + b, 0);
  render(html`${sampleNote(r.tickets)}${await inboxCard()}
    <div class="card" id="counts"><h2>${t('nav.tickets')}（${total}）</h2>
      <p class="chips">${STATES.map(s => html`<button class=${filters.state === s ? 'chip on' : 'chip'} data-state=${s} @click=${() => set('state', filters.state === s ? '' : s)}>${t('tk.' + s)} <b>${r.counts[s] ?? 0}</b></button>`)}
      <button class=${filters.overdue ? 'chip on overdue' : 'chip overdue'} id="overdue-filter" @click=${() => set('overdue', !filters.overdue)}>${t('tk.overdue')} <b>${r.overdue}</b></button></p>
      <p><select id="source-filter" @change=${e => set('source', e.target.value)}><option value="">${t('tk.allsources')}</option>
        ${SOURCES.map(s => html`<option value=${s} ?selected=${filters.source === s}>${t('tk.src.' + s)}</option>`)}</select>
        <input id="town-filter" placeholder=${t('township')} .value=${filters.township} @change=${e => set('township', e.target.value.trim())}>
        ${exportLinks(path)}</p></div>
    ${bureau ? newForm(main) : ''}
    <div class="card scroll">${r.tickets.length ? ticketTable(r.tickets) : nothing(t('tk.none'))}</div>`, main);
}

async function act(main, tk, action, form) {
  const f = new FormData(form);
  const body = { action, note: f.get('note') || '', version: tk.version };
  if (f.get('to')) body.to = f.get('to');
  if (f.get('due')) body.due = f.get('due');
  if (action === 'verify') body.result = f.get('result') || 'real';
  try {
    await api(`/api/v1/tickets/${tk.id}/actions`, { method: 'POST', body: JSON.stringify(body) });
    form.reset();
    await one(main, tk.id);
  } catch (e) { main.querySelector('#act-error').textContent = e.message; }
}

async function attach(main, tk, input, kind) {
  const file = input.files[0];
  if (!file) return;
  const r = await fetch(`/api/v1/tickets/${tk.id}/attachments?name=${encodeURIComponent(file.name)}&kind=${kind}`, {
    method: 'POST', credentials: 'same-origin', body: file,
    headers: { 'X-CSRF-Token': session.csrf || '', 'Content-Type': 'application/octet-stream' } });
  if (!r.ok) { main.querySelector('#act-error').textContent = (await r.json()).error; return; }
  await one(main, tk.id);
}

const WORD = { assign: 'tk.a.assign', verify: 'tk.a.verify', feedback: 'tk.a.feedback', accept: 'tk.a.accept', return: 'tk.a.return',
  comment: 'tk.a.comment', reassign: 'tk.a.reassign', extend: 'tk.a.extend' };

async function one(main, id) {
  const tk = await api(`/api/v1/tickets/${id}`);
  const has = a => tk.actions.includes(a);
  const canAttach = tk.actions.length && !['closed', 'unfounded'].includes(tk.state);
  const photos = tk.attachments.filter(a => a.content_type.startsWith('image/'));
  render(html`${sampleNote([tk])}
    <div class="card" id="ticket"><h2>#${tk.id} ${tk.title} · <span id="ticket-state" data-state=${tk.state}>${tk.state_zh}</span>
      ${tk.overdue ? html`<b class="bad" id="ticket-overdue">${t('tk.overdue')}</b>` : ''}</h2>
      <p>${tk.description}</p>
      <p class="muted">${tk.source_zh}${tk.source_ref ? ` (${tk.source_ref})` : ''} · ${tk.severity_zh} · ${t('tk.assignee')} ${who(tk.assignee)} ·
        ${t('township')} ${tk.township ?? '—'} · ${t('tk.due')} ${minute(tk.due)}${tk.extensions ? ` (${t('tk.extended')} ${tk.extensions})` : ''}
        ${tk.escalation_zh ? html` · <b class="bad">${tk.escalation_zh}</b>` : ''}</p>
      ${tk.address || tk.lon ? html`<p class="muted">${t('tk.where')}：${tk.address ?? ''} ${tk.lon ? `(${tk.lon}, ${tk.lat})` : ''}</p>` : ''}
      ${tk.contact ? html`<p id="contact" class="contact">${t('tk.contact')}：${tk.contact.name ?? t('tk.anonymous')} ${tk.contact.phone ?? ''} <span class="muted">${t('tk.contactnote')}</span></p>` : ''}
      ${tk.tracking_code ? html`<p class="muted">${t('rp.code')}：${tk.tracking_code}</p>` : ''}
    </div>
    <div class="grid">${tk.actions.length ? html`<form class="card stack" id="actions" @submit=${e => e.preventDefault()}>
      <h2>${t('tk.actions')}</h2>
      ${has('assign') || has('reassign') ? html`<input name="to" placeholder="township:泌水街道 / department:住建局 / enterprise:…">` : ''}
      ${has('assign') || has('reassign') || has('extend') ? html`<label>${t('tk.due')} <input name="due" type="date"></label>` : ''}
      ${has('verify') ? html`<label><input type="radio" name="result" value="real" checked> ${t('tk.real')}</label>
        <label><input type="radio" name="result" value="unfounded"> ${t('tk.unfounded')}</label>` : ''}
      <textarea name="note" rows="3" maxlength="4000" placeholder=${t('tk.note')}></textarea>
      <p>${tk.actions.map(a => html`<button class="primary" type="button" data-act=${a} @click=${e => act(main, tk, a, e.target.form)}>${t(WORD[a])}</button> `)}</p>
      ${canAttach ? html`<p><label class="upload">${t('tk.before')} <input type="file" accept="image/png,image/jpeg" @change=${e => attach(main, tk, e.target, 'before')}></label>
        <label class="upload">${t('tk.after')} <input type="file" accept="image/png,image/jpeg" id="after-photo" @change=${e => attach(main, tk, e.target, 'after')}></label>
        <label class="upload">${t('tk.document')} <input type="file" accept=".pdf,.png,.jpg,.jpeg" @change=${e => attach(main, tk, e.target, 'document')}></label></p>` : ''}
      <p class="err" id="act-error"></p></form>` : ''}
    ${tk.attachments.length ? html`<div class="card" id="files"><h2>${t('src.files')}</h2>
      <div class="photos">${photos.map(p => html`<figure><a href="/api/v1/tickets/attachments/${p.id}"><img src="/api/v1/tickets/attachments/${p.id}" alt=${p.name}></a>
        <figcaption>${t('tk.' + p.kind)} · ${p.by} · ${p.at.slice(5, 16)}</figcaption></figure>`)}</div>
      <ul>${tk.attachments.filter(a => !photos.includes(a)).map(a => html`<li><a href="/api/v1/tickets/attachments/${a.id}">${a.name}</a> <span class="muted">${a.size} B · ${a.by}</span></li>`)}</ul></div>` : ''}
    <div class="card scroll"><h2>${t('tk.timeline')}</h2><ol class="timeline" id="timeline">${tk.history.map(h => html`<li data-action=${h.action}>
      <b>${h.action_zh}</b> <span class="muted">${minute(h.at)} · ${h.by}</span>${h.from !== h.to ? html` · ${t('tk.' + (h.from ?? 'new'))} → ${t('tk.' + h.to)}` : ''}
      ${h.detail && h.detail.assignee ? html` · ${who(h.detail.assignee)}` : ''}${h.detail && h.detail.due ? html` · ${t('tk.due')} ${h.detail.due.slice(0, 16)}` : ''}
      ${h.detail && h.detail.result ? html` · ${t('tk.' + h.detail.result)}` : ''}
      ${h.note ? html`<div>${h.note}</div>` : ''}</li>`)}</ol></div></div>`, main);
}

export async function show(main, id) {
  try {
    if (id) { await one(main, id); return; }
    await list(main);
  } catch (e) {
    if (e.status === 403 || e.status === 404) { render(html`<p class="state err" id="forbidden">${e.message}</p>`, main); return; }
    throw e;
  }
}
