// SPDX-License-Identifier: Apache-2.0
// console.js — the request queue (sorted by due date by the server, due-soon and overdue rows
// marked) and one request's detail: facts, timeline, and the staff actions. Requests carry ids,
// types, states and dates only; a rectification request's corrections (S1.5: who, when, why, what)
// are read for a stated purpose, audited, and show former values only when the staff member's
// role may read record values (the server decides and says so).
import { api, current, el, lang, loadTexts, say, sayProblem, signOut, t, when } from '/web/dashboard/ui.js';
import { consoleNav } from '/web/console/nav.js';

consoleNav();
await loadTexts('console');
if (!(await current())) location.href = `/web/console/index.html?lang=${lang()}`;

const body = document.querySelector('#queue tbody');
let shown = null;

async function loadQueue() {
  const f = document.getElementById('filter').value;
  const r = await api('GET', `/v1/requests?limit=200${f ? `&status=${f}` : ''}`);
  if (r.status !== 200) return sayProblem(r);
  body.replaceChildren();
  for (const q of r.body.items) {
    const tr = el('tr', undefined, q.flag || '');
    tr.dataset.id = q.id;
    tr.append(el('td', when(q.due_at)), el('td', t(`type.${q.type}`)), el('td', t(`state.${q.state}`)),
      el('td', t(`channel.${q.channel}`)));
    const link = el('a', q.id);
    link.href = `#${q.id}`;
    const td = el('td');
    td.append(link);
    tr.append(td);
    body.append(tr);
  }
  document.getElementById('empty').hidden = r.body.items.length > 0;
  return null;
}

function show(r) {
  shown = r;
  document.getElementById('detail').hidden = false;
  document.getElementById('detail-title').textContent = t('detail.title', { type: t(`type.${r.type}`), id: r.id });
  const facts = document.getElementById('facts');
  facts.replaceChildren();
  const fact = (k, v) => facts.append(el('dt', t(k)), el('dd', v, k.replace('.', '-')));
  fact('fact.state', t(`state.${r.state}`));
  fact('fact.received', when(r.received_at));
  fact('fact.due', when(r.due_at) + (r.extended ? ` (${t('fact.extended')})` : ''));
  fact('fact.max_due', when(r.max_due_at));
  fact('fact.verified', r.verified_at ? `${when(r.verified_at)} — ${r.verify_method}` : '—');
  const tl = document.getElementById('timeline');
  tl.replaceChildren();
  for (const e of r.timeline || []) {
    tl.append(el('li', `${when(e.at)} — ${t(`event.${e.event}`)} (${t(`state.${e.to}`)})${e.reason ? ` — ${e.reason}` : ''}`));
  }
  const open = !['completed', 'partially_completed', 'rejected'].includes(r.state);
  document.getElementById('actions').hidden = !open;
  document.getElementById('verify').hidden = !['received', 'identity_verification'].includes(r.state);
  document.getElementById('extend').hidden = !['verified', 'in_progress'].includes(r.state);
  document.getElementById('complete').hidden = !['verified', 'in_progress', 'extended'].includes(r.state);
}

// the purpose every read of the corrections states (S1.1): answering the rights request
const CORRECTIONS_PURPOSE = 'legal.privacy_compliance';

async function showCorrections(r) {
  const box = document.getElementById('corrections');
  const list = document.getElementById('corrections-list');
  list.replaceChildren();
  box.hidden = r.type !== 'rectification';
  if (box.hidden) return null;
  const h = await api('GET', `/v1/subjects/${encodeURIComponent(r.subject)}/rectifications`
    + `?purpose=${CORRECTIONS_PURPOSE}&request=${encodeURIComponent(r.id)}`);
  if (h.status !== 200) return sayProblem(h);
  document.getElementById('corrections-purpose').textContent =
    t(h.body.values ? 'corrections.purpose' : 'corrections.withheld', { purpose: CORRECTIONS_PURPOSE });
  for (const c of h.body.items) {
    const li = el('li', t('corrections.item',
      { at: when(c.at), by: c.by, category: c.data_category, target: c.record, reason: c.reason }));
    li.append(el('div', c.old_value_withheld ? t('corrections.value_withheld')
      : t('corrections.former', { value: c.old_value }), 'former'));
    list.append(li);
  }
  if (!h.body.items.length) list.append(el('li', t('corrections.none')));
  return null;
}

async function open(id) {
  const r = await api('GET', `/v1/requests/${encodeURIComponent(id)}`);
  if (r.status !== 200) return sayProblem(r);
  show(r.body);
  return showCorrections(r.body);
}

async function act(path, extra = {}) {
  const reason = document.getElementById('reason').value.trim();
  const r = await api('POST', `/v1/requests/${shown.id}/${path}`, { reason, ...extra });
  if (r.status !== 200) return sayProblem(r);
  document.getElementById('reason').value = '';
  document.getElementById('complaint').textContent = r.body.complaint || '';
  await open(shown.id);
  await loadQueue();
  say(`done.${path}`); // last, once the detail and the queue show the new state
  return null;
}

document.getElementById('verify').addEventListener('click', () => act('verify', { method: 'staff' }));
document.getElementById('complete').addEventListener('click', () => act('complete'));
document.getElementById('reject').addEventListener('click',
  () => act('reject', { grounds: document.getElementById('grounds').value, lang: lang() }));
document.getElementById('extend').addEventListener('click', () => {
  const v = document.getElementById('notice').value;
  const at = v ? new Date(v) : new Date(Date.now() - 1000);
  return act('extend', { notice_sent_at: at.toISOString().replace(/\.\d+Z$/, 'Z') });
});
document.getElementById('filter').addEventListener('change', loadQueue);
document.getElementById('signout').addEventListener('click', async () => {
  await signOut();
  location.href = `/web/console/index.html?lang=${lang()}`;
});
window.addEventListener('hashchange', () => open(location.hash.slice(1)));

await loadQueue();
if (location.hash.length > 1) await open(location.hash.slice(1));
