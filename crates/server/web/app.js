// lantian dashboard: the shell and the router. Hash routes (#/page/arg),
// one ES module per page under pages/, rendered with lit-html (which
// escapes every value); no build step, no Node at run time.

import { render } from './vendor/lit-html.js';
import { api, loggedOut, session, whoami } from './lib/api.js';
import { disposeAll } from './lib/charts.js';
import { applyLang, lang, switchLang, t } from './lib/i18n.js';
import { html } from './lib/ui.js';
import * as alarms from './pages/alarms.js';
import * as alerts from './pages/alerts.js';
import * as devices from './pages/devices.js';
import * as enterprise from './pages/enterprise.js';
import * as fires from './pages/fires.js';
import * as ledger from './pages/ledger.js';
import * as scores from './pages/scores.js';
import * as login from './pages/login.js';
import * as overview from './pages/overview.js';
import * as publicPage from './pages/public.js';
import * as ranking from './pages/ranking.js';
import * as report from './pages/report.js';
import * as reports from './pages/reports.js';
import * as sources from './pages/sources.js';
import * as station from './pages/station.js';
import * as targets from './pages/targets.js';
import * as tickets from './pages/tickets.js';

const PAGES = { overview, targets, station, ranking, sources, enterprise, alarms, alerts, tickets, ledger, scores, fires, reports, devices, public: publicPage, report };
/** Pages open to everyone, without a login. */
const OPEN = ['public', 'report'];
/** Pages that refresh themselves once a minute. */
const LIVE = ['overview', 'public', 'alarms', 'tickets', 'alerts'];

const main = document.getElementById('main');
// lit-html renders after what it did not render itself: the static
// "loading" line of index.html goes first.
main.replaceChildren();
let timer = null;

async function route() {
  disposeAll();
  clearTimeout(timer);
  const [, page = 'overview', arg] = location.hash.replace(/^#/, '').split('/');
  document.querySelectorAll('#nav a').forEach(a => a.classList.toggle('on', a.getAttribute('href') === '#/' + page));
  const me = OPEN.includes(page) ? session.me : await whoami();
  document.getElementById('who').textContent = me ? `${me.username}（${lang === 'en' ? me.role : me.role_zh}）` : '';
  document.getElementById('logout').hidden = !me;
  if (!PAGES[page]) { location.hash = '#/overview'; return; }
  if (!OPEN.includes(page) && !me) { login.show(main, route); return; }
  render(html`<p class="state">${t('loading')}</p>`, main);
  try {
    await PAGES[page].show(main, arg && decodeURIComponent(arg));
  } catch (e) {
    if (e.status === 401) { session.me = null; login.show(main, route); return; }
    if (e.status === 503) {
      // The server is still computing its first figures: say so and try again.
      render(html`<p class="state" id="computing">${t('computing')}</p>`, main);
      timer = setTimeout(route, 3000);
      return;
    }
    render(html`<p class="state err">${e.message}</p>`, main);
  }
  document.body.dataset.page = page;
  // A ticket's page holds a form being filled in: only lists refresh.
  if (LIVE.includes(page) && !(page === 'tickets' && arg)) timer = setTimeout(route, 60000);
}

document.getElementById('lang').onclick = () => { switchLang(); route(); };
document.getElementById('logout').onclick = async () => {
  try { await api('/api/v1/logout', { method: 'POST' }); } catch (_) { /* already out */ }
  loggedOut();
  location.hash = '#/public';
  route();
};
window.addEventListener('hashchange', route);
applyLang();
route();
