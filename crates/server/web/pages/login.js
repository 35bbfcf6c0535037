// 登录: the login form; a successful login goes to the user's first page.

import { render } from '../vendor/lit-html.js';
import { api, loggedIn } from '../lib/api.js';
import { t } from '../lib/i18n.js';
import { html } from '../lib/ui.js';

export function show(main, done) {
  const submit = async e => {
    e.preventDefault();
    const f = new FormData(e.target);
    try {
      const me = await api('/api/v1/login', { method: 'POST', body: JSON.stringify({ username: f.get('username'), password: f.get('password') }) });
      loggedIn(me);
      location.hash = me.role === 'public' ? '#/public' : '#/overview';
      done();
    } catch (err) { main.querySelector('#login-err').textContent = `${t('login.failed')}：${err.message}`; }
  };
  render(html`<form class="login" id="login" @submit=${submit}><h1>${t('login.title')}</h1>
    <input name="username" autocomplete="username" placeholder=${t('login.user')} required>
    <input name="password" type="password" autocomplete="current-password" placeholder=${t('login.pass')} required>
    <button class="primary">${t('login.go')}</button><p class="err" id="login-err"></p>
    <a href="#/public">${t('login.public')}</a></form>`, main);
}
