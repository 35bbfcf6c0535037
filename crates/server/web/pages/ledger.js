// 任务台账: the plan's measures split into tasks per department and
// township, each with its 绿/黄/红 and why; filters by owner, measure and
// light; a task's monthly reports with their evidence; the report form for
// the task's own department or township; the 台账 as xlsx.

import { render } from '../vendor/lit-html.js';
import { api, session } from '../lib/api.js';
import { t } from '../lib/i18n.js';
import { html, nothing } from '../lib/ui.js';

const LIGHT = { green: '#2e7d32', yellow: '#f9a825', red: '#c62828' };

function query(f) {
  const p = new URLSearchParams();
  for (const k of ['owner', 'clause', 'light']) if (f[k]) p.set(k, f[k]);
  return p.toString();
}

async function reports(box, task, me, note = '') {
  const list = await api(`/api/v1/ledger/reports?task=${encodeURIComponent(task.key)}`);
  const mine = me && (me.role === 'department' || me.role === 'township');
  const month = new Date(Date.now() + 8 * 3600e3).toISOString().slice(0, 7);
  render(html`<div class="card" id="task-detail" data-task=${task.key}>
    <h3>${task.clause_zh}${task.title} · ${task.owner.split(':')[1]}</h3>
    <p>${task.indicator} ${task.target} · ${t('led.deadline')} ${task.deadline} · ${t('led.lead')} ${task.lead.join('、') || '—'} · ${t('led.partners')} ${task.partners.join('、') || '—'}</p>
    <p>${task.reasons.join('；')}</p>
    ${list.length ? html`<table id="task-reports"><thead><tr><th>${t('led.month')}</th><th class="n">${t('led.progress')}</th><th>${t('led.text')}</th><th>${t('led.figures')}</th><th>${t('led.by')}</th><th>${t('led.files')}</th></tr></thead>
      <tbody>${list.map(r => html`<tr><td>${r.month}</td><td class="n">${r.progress} %</td><td>${r.text}</td><td>${r.figures}</td><td>${r.submitted_by} ${r.submitted_at ?? ''}</td>
        <td>${r.files.map(f => html`<a href="/api/v1/ledger/files/${f.id}" target="_blank">${f.name}</a> `)}</td></tr>`)}</tbody></table>` : nothing(t('led.noreports'))}
    ${mine ? html`<form id="report-form" @submit=${e => submit(e, box, task, me)}>
      <h3>${t('led.report')}</h3>
      <label>${t('led.month')} <input name="month" type="month" value=${month} required></label>
      <label>${t('led.progress')} <input name="progress" type="number" min="0" max="100" value=${task.progress} required> %</label><br>
      <label>${t('led.text')}<br><textarea name="text" rows="3" cols="70" required></textarea></label><br>
      <label>${t('led.figures')} <input name="figures" size="40"></label><br>
      <label>${t('led.evidence')} <input name="file" type="file" accept="image/png,image/jpeg,application/pdf"></label><br>
      <button class="primary" type="submit">${t('led.submit')}</button> <span id="report-state" class="muted">${note}</span></form>` : ''}
  </div>`, box);
}

async function submit(e, box, task, me) {
  e.preventDefault();
  const f = new FormData(e.target);
  const state = box.querySelector('#report-state');
  try {
    const r = await api('/api/v1/ledger/reports', { method: 'POST', body: JSON.stringify({
      task: task.key, month: f.get('month'), progress: Number(f.get('progress')), text: f.get('text'), figures: f.get('figures') || '' }) });
    const file = f.get('file');
    if (file && file.size) {
      await api(`/api/v1/ledger/reports/${r.id}/files?name=${encodeURIComponent(file.name)}`,
        { method: 'POST', body: file, headers: { 'Content-Type': 'application/octet-stream' } });
    }
  } catch (err) { state.textContent = err.message; return; }
  e.target.reset();
  await reports(box, task, me, t('led.stored'));
}

export async function show(main, arg) {
  const f = Object.fromEntries(new URLSearchParams(arg || ''));
  let led, me;
  try {
    led = await api(`/api/v1/ledger/tasks?${query(f)}`);
    me = session.me;
  } catch (e) {
    if (e.status === 403) { render(html`<p class="state err" id="forbidden">${t('led.forbidden')}</p>`, main); return; }
    if (e.status === 404) { render(html`<p class="state" id="noplan">${t('led.noplan')}</p>`, main); return; }
    throw e;
  }
  const owners = [...new Set(led.tasks.map(x => x.owner))];
  const go = patch => { location.hash = '#/ledger/' + encodeURIComponent(query({ ...f, ...patch })); };
  render(html`${led.sample ? html`<p class="sample" id="sample-ledger">${t('led.sample')}</p>` : ''}
    <div class="card"><h2>${t('led.title')} ${led.year} · ${led.plan}</h2>
      <p class="muted">${t('led.rule')} (${led.rules}) · ${led.start} … ${led.end} · ${t('led.today')} ${led.today}</p>
      <p id="led-counts"><span class="tag" style="background:${LIGHT.green};color:#fff">${t('led.done')} ${led.done}</span>
        <span class="tag" style="background:${LIGHT.green};color:#fff">${t('led.green')} ${led.green}</span>
        <span class="tag" style="background:${LIGHT.yellow}">${t('led.yellow')} ${led.yellow}</span>
        <span class="tag" style="background:${LIGHT.red};color:#fff">${t('led.red')} ${led.red}</span></p>
      <p>${owners.length > 1 || !f.owner ? html`<select id="led-owner" @change=${e => go({ owner: e.target.value })}>
          <option value="">${t('led.allowners')}</option>${owners.map(o => html`<option value=${o} ?selected=${f.owner === o}>${o.split(':')[1]}</option>`)}</select>` : ''}
        <select id="led-light" @change=${e => go({ light: e.target.value })}><option value="">${t('led.alllights')}</option>
          ${['green', 'yellow', 'red'].map(l => html`<option value=${l} ?selected=${f.light === l}>${t('led.' + l)}</option>`)}</select>
        <a id="led-xlsx" href="/api/v1/ledger/tasks?${query(f)}&format=xlsx">${t('led.xlsx')}</a></p></div>
    <div id="task-box"></div>
    <div class="card scroll"><h2>${t('led.tasks')} (${led.tasks.length})</h2>${led.tasks.length ? html`<table id="led-tasks"><thead><tr><th>${t('led.clause')}</th><th>${t('led.task')}</th>
      <th>${t('led.owner')}</th><th>${t('led.deadline')}</th><th class="n">${t('led.progress')}</th><th>${t('led.status')}</th><th>${t('led.last')}</th></tr></thead>
      <tbody>${led.tasks.map(x => html`<tr data-key=${x.key} data-light=${x.done ? 'done' : x.light}>
        <td>${x.clause_zh}</td><td><a href="javascript:void 0" @click=${() => reports(main.querySelector('#task-box'), x, me)}>${x.title}</a><br><span class="muted">${x.indicator} ${x.target}</span></td>
        <td>${x.owner.split(':')[1]}</td><td>${x.deadline}</td><td class="n">${x.progress} %</td>
        <td><span class="tag" style="background:${LIGHT[x.light]};color:${x.light === 'yellow' ? '#000' : '#fff'}">${x.light_zh}</span>
          ${x.ticket_id ? html` <a href="#/tickets/${x.ticket_id}">${t('led.ticket')} #${x.ticket_id}</a>` : ''}<br><span class="muted">${x.reasons.join('；')}</span></td>
        <td>${x.last_report ? html`${x.last_report.month}：${x.last_report.text}${x.files ? html` · ${x.files} ${t('led.files')}` : ''}` : '—'}</td></tr>`)}</tbody></table>` : nothing(t('led.none'))}</div>`, main);
}
