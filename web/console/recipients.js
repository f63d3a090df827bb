// SPDX-License-Identifier: Apache-2.0
// recipients.js — the recipient registry view (issue 7): signs in through the session contract
// (an API key becomes an HttpOnly session cookie; the key is kept nowhere), lists the registry
// (filter by status or flag), adds a recipient (proposed), vets, approves and suspends the one
// chosen with its row's button (S4.3), lists the recipients flagged by an adequacy
// re-evaluation (S5.2) and logs government requests (S4.8). Plain DOM, no HTML from data.
import { api, current, el, lang, loadTexts, say, sayProblem, t, when } from '/web/dashboard/ui.js';
import { signInBox } from '/web/dashboard/signin.js';
import { consoleNav } from '/web/console/nav.js';

let chosen = null; // the registry entry the manage panel acts on
// Each read of a list is numbered; a read that a newer one overtook writes nothing, so a load
// that ends after an add (or a filter change) cannot bring back the older rows or status line.
let registryRead = 0;
let govRead = 0;

const list = (s) => s.split(',').map((x) => x.trim()).filter(Boolean);

function statusText(r) {
  const s = t(`console.status.${r.status}`);
  return r.flagged ? `${s} — ${t('console.flagged')} (${r.flag_reason})` : s;
}

function row(r) {
  const tr = el('tr');
  tr.dataset.key = r.key;
  if (r.flagged) tr.className = 'flagged';
  const manage = el('button', t('console.manage'));
  manage.type = 'button';
  manage.setAttribute('aria-label', t('console.manage_one', { name: r.name }));
  manage.addEventListener('click', () => choose(r));
  const action = el('td');
  action.append(manage);
  tr.append(el('td', `${r.name} (${r.key})`), el('td', t(`recipients.category.${r.category}`)),
    el('td', t(`recipients.role.${r.role}`)), el('td', r.country),
    el('td', t(`recipients.mechanism.${r.transfer_mechanism}`) + (r.tia_done ? ` + ${t('console.tia')}` : '')),
    el('td', statusText(r), `status-${r.status}`), action);
  return tr;
}

function choose(r) {
  chosen = r;
  document.getElementById('manage-box').hidden = false;
  document.getElementById('manage-title').textContent = t('console.manage.title', { name: r.name });
  const vetted = r.vetted_at ? t('console.vetted', { date: when(r.vetted_at), outcome: t(r.vetting_passed ? 'console.vet.pass' : 'console.vet.fail') })
    : t('console.never_vetted');
  document.getElementById('manage-detail').textContent = [statusText(r), vetted,
    r.dpa_ref ? t('console.dpa', { ref: r.dpa_ref }) : t('console.no_dpa')].join(' · ');
  document.getElementById('vet-date').value = new Date().toISOString().slice(0, 10);
  document.getElementById('vet-outcome').focus();
}

/** The registry (as filtered) and the flagged list; the rows, or null when this read failed or a
 * newer one overtook it (then it wrote nothing). */
async function loadRegistry() {
  const mine = ++registryRead;
  const q = document.getElementById('filter').value;
  const r = await api('GET', `/v1/recipients${q ? `?${q}` : ''}`);
  if (mine !== registryRead) return null;
  if (r.status !== 200) return sayProblem(r);
  document.querySelector('#registry tbody').replaceChildren(...r.body.items.map(row));
  const f = await api('GET', '/v1/recipients?flagged=true');
  if (mine !== registryRead) return null;
  if (f.status === 200) {
    document.getElementById('flagged').replaceChildren(...f.body.items.map((x) => el('li',
      t('console.flagged.item', { name: x.name, reason: x.flag_reason, when: when(x.flagged_at) }))));
    document.getElementById('flagged-empty').hidden = f.body.items.length > 0;
  }
  return r.body.items;
}

/** The government requests (DPO only); false when a newer read overtook this one. */
async function loadGov() {
  const mine = ++govRead;
  const r = await api('GET', '/v1/government-requests');
  if (mine !== govRead) return false;
  const box = document.getElementById('gov-box');
  box.hidden = r.status === 403; // the DPO role only
  if (r.status !== 200) return true;
  document.querySelector('#govreqs tbody').replaceChildren(...r.body.items.map((g) => {
    const tr = el('tr');
    tr.append(el('td', when(g.created_at)), el('td', g.authority), el('td', g.legal_instrument),
      el('td', t(g.gag ? 'console.yes' : 'console.no')));
    return tr;
  }));
  document.getElementById('gov-empty').hidden = r.body.items.length > 0;
  return true;
}

/** After a change: the registry again, the entry re-chosen, a status line. */
async function changed(res, key, vars) {
  if (res.status !== 200 && res.status !== 201) return sayProblem(res);
  const items = await loadRegistry();
  const again = items && items.find((x) => x.key === res.body.key);
  if (again && chosen) choose(again);
  say(key, vars);
  return null;
}

async function load() {
  document.getElementById('signin-box').hidden = true;
  for (const id of ['registry-box', 'flagged-box', 'add-box', 'signout']) document.getElementById(id).hidden = false;
  const items = await loadRegistry();
  const read = registryRead;
  const gov = await loadGov();
  // the count only while nothing newer (an add, a change, a filter) has written since
  if (items && gov && read === registryRead) say('console.loaded', { n: items.length });
}

document.getElementById('filter').addEventListener('change', loadRegistry);

document.getElementById('vet').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const body = { passed: document.getElementById('vet-outcome').value === 'pass' };
  const date = document.getElementById('vet-date').value;
  const notes = document.getElementById('vet-notes').value.trim();
  if (date) body.vetted_at = date;
  if (notes) body.notes = notes;
  await changed(await api('POST', `/v1/recipients/${chosen.id}/vet`, body), 'console.done.vet', { name: chosen.name });
});

document.getElementById('approve').addEventListener('click', async () => {
  await changed(await api('POST', `/v1/recipients/${chosen.id}/approve`, {}), 'console.done.approve', { name: chosen.name });
});

document.getElementById('suspend').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const reason = document.getElementById('suspend-reason').value;
  await changed(await api('POST', `/v1/recipients/${chosen.id}/suspend`, { reason }), 'console.done.suspend', { name: chosen.name });
});

document.getElementById('add').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const v = (id) => document.getElementById(id).value.trim();
  const body = {
    key: v('add-key'), name: v('add-name'), category: v('add-category'), role: v('add-role'),
    country: v('add-country'), transfer_mechanism: v('add-mechanism'),
    tia_done: document.getElementById('add-tia').checked,
  };
  if (v('add-dpa')) body.dpa_ref = v('add-dpa');
  if (v('add-toms')) body.toms = v('add-toms');
  if (v('add-purposes')) body.purposes = list(v('add-purposes'));
  if (v('add-categories')) body.data_categories = list(v('add-categories'));
  const r = await api('POST', '/v1/recipients', body);
  if (r.status === 201) ev.target.reset();
  await changed(r, 'console.done.add', { name: body.name });
});

document.getElementById('gov').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const v = (id) => document.getElementById(id).value.trim();
  const r = await api('POST', '/v1/government-requests', {
    authority: v('gov-authority'), legal_instrument: v('gov-instrument'), scope: v('gov-scope'),
    disclosed_data: list(v('gov-data')), approved_by: v('gov-approved'),
    gag: document.getElementById('gov-gag').checked,
  });
  if (r.status !== 201) return sayProblem(r);
  ev.target.reset();
  await loadGov();
  say('console.done.gov', { id: r.body.id });
  return null;
});

consoleNav();
signInBox(load);

await loadTexts('recipients');
document.getElementById('console-nav').setAttribute('aria-label', t('console.nav'));
document.documentElement.lang = lang();
if (await current()) await load();
else document.getElementById('signin-box').hidden = false;
