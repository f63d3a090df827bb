// SPDX-License-Identifier: Apache-2.0
// dashboard.js — the privacy dashboard: a session from an API key, then a person of the tenant
// found by subject id or by email (sent in a POST body, never in a URL), their data by service and
// category (no values; one row's values read for its own purpose to correct one, the former value
// kept by the server, S1.5) and their choices, changed through the preference endpoint (each change a
// consent-ledger event, S8.2). Rights are exercised as
// requests the signed-in controller verifies (S1.4, S8.1): an export downloadable once, an erasure
// whose reply names what the law keeps (S7.6), a correction request with its deadline (S8.4).
import { api, current, el, loadTexts, say, sayProblem, t, when } from '/web/dashboard/ui.js';
import { signInBox } from '/web/dashboard/signin.js';

signInBox(() => {
  signedIn(true);
  say('signin.done');
}, () => signedIn(false));
await loadTexts('dashboard');
let person = null;

function signedIn(yes) {
  document.getElementById('signin-box').hidden = yes;
  document.getElementById('find-box').hidden = !yes;
  document.getElementById('signout').hidden = !yes;
  if (!yes) document.getElementById('person').hidden = true;
}

async function showPerson(s) {
  person = s;
  const facts = document.getElementById('facts');
  facts.replaceChildren();
  const fact = (k, v, cls) => facts.append(el('dt', t(k)), el('dd', v, cls));
  fact('person.kind', s.kind, 'kind');
  fact('person.jurisdiction', s.jurisdiction, 'jurisdiction');
  fact('person.records', s.record_count ?? 0, 'records');
  fact('person.identities', (s.identities || []).map((i) => i.type).join(', ') || '—', 'identities');
  fact('person.restricted', t(s.restricted ? 'yes' : 'no'), 'restricted');
  await showDataMap(s);
  await showConsents(s);
  document.getElementById('download').hidden = true;
  document.getElementById('person').hidden = false;
}

/** What is kept about them, grouped by service and category (counts, no values: S8.1). */
async function showDataMap(s) {
  const tb = document.querySelector('#datamap tbody');
  tb.replaceChildren();
  const m = await api('GET', `/v1/subjects/${s.id}/data-map`);
  const rows = m.status === 200 ? m.body.items : [];
  for (const g of rows) {
    const tr = el('tr');
    tr.append(el('td', g.service, 'service'), el('td', g.data_category, 'category'), el('td', g.purpose),
      el('td', t(`basis.${g.legal_basis}`)), el('td', String(g.records), 'count'),
      el('td', g.kept_until ? when(g.kept_until) : '—'));
    const fix = el('button', t('fix.open'), 'secondary fix');
    fix.type = 'button';
    fix.addEventListener('click', () => openFix(g));
    const cell = el('td');
    cell.append(fix);
    tr.append(cell);
    tb.append(tr);
  }
  if (!rows.length) {
    const tr = el('tr');
    tr.append(el('td', m.status === 200 ? t('datamap.none') : t('error.unknown')));
    tb.append(tr);
  }
}

/** The records of one data-map row, read for the purpose they serve (S1.1), to correct one. */
async function openFix(g) {
  const r = await api('GET', `/v1/subjects/${person.id}/records?purpose=${encodeURIComponent(g.purpose)}&limit=1000`);
  if (r.status !== 200) return sayProblem(r);
  const select = document.getElementById('fix-record');
  select.replaceChildren();
  for (const rec of r.body.items) {
    if (rec.service !== g.service || rec.data_category !== g.data_category) continue;
    const o = el('option', `${rec.value} (${rec.id})`);
    o.value = rec.id;
    select.append(o);
  }
  const form = document.getElementById('fix');
  form.hidden = false;
  document.getElementById('fix-value').focus();
  return null;
}

/** Consent state per purpose, and a checkbox per preference feature the policy offers. */
async function showConsents(s) {
  const tb = document.querySelector('#consents tbody');
  tb.replaceChildren();
  const c = await api('GET', `/v1/subjects/${s.id}/consents`);
  const rows = c.status === 200 ? (c.body.purposes || []) : [];
  for (const p of rows) {
    const tr = el('tr');
    tr.append(el('td', p.purpose), el('td', t(`consent.${p.consent}`)), el('td', when(p.updated_at)));
    tb.append(tr);
  }
  if (!rows.length) {
    const tr = el('tr');
    tr.append(el('td', t('consents.none')));
    tb.append(tr);
  }
  const box = document.getElementById('features');
  box.replaceChildren();
  for (const f of (c.status === 200 ? c.body.features : [])) {
    const input = el('input');
    input.type = 'checkbox';
    input.id = `feature-${f.feature}`;
    input.name = f.feature;
    input.checked = f.enabled;
    input.dataset.was = String(f.enabled);
    const label = el('label', t(`feature.${f.feature}`));
    label.htmlFor = input.id;
    const row = el('div', '', 'feature');
    row.append(input, label);
    box.append(row);
  }
}

/** Registers a request for the person and verifies it as their controller. */
async function exercise(type) {
  const c = await api('POST', '/v1/requests', { type, subject: person.id });
  if (c.status !== 201) return { res: c };
  if (type === 'rectification') return { req: c.body };
  const v = await api('POST', `/v1/requests/${c.body.id}/verify`, { method: 'controller', reason: 'privacy dashboard' });
  return v.status === 200 ? { req: v.body } : { res: v };
}


document.getElementById('find').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const who = document.getElementById('who').value.trim();
  const r = who.startsWith('sub_')
    ? await api('GET', `/v1/subjects/${encodeURIComponent(who)}`)
    : await api('POST', '/v1/subjects/lookup', { type: 'email', value: who });
  if (r.status === 404) {
    document.getElementById('person').hidden = true;
    return say('notfound', {}, true);
  }
  if (r.status !== 200) return sayProblem(r);
  await showPerson(r.body);
  return say('found');
});

document.getElementById('fix').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const body = {
    record: document.getElementById('fix-record').value,
    value: document.getElementById('fix-value').value,
    reason: document.getElementById('fix-reason').value.trim(),
  };
  const r = await api('POST', `/v1/subjects/${person.id}/rectifications`, body);
  if (r.status !== 201) return sayProblem(r);
  document.getElementById('fix').hidden = true;
  document.getElementById('fix-value').value = '';
  document.getElementById('fix-reason').value = '';
  return say('done.fixed');
});

document.getElementById('prefs').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const preferences = {};
  for (const box of document.querySelectorAll('#features input[type=checkbox]')) {
    if (String(box.checked) !== box.dataset.was) preferences[box.name] = box.checked;
  }
  if (!Object.keys(preferences).length) return say('prefs.unchanged');
  const r = await api('PUT', `/v1/subjects/${person.id}/preferences`, { preferences });
  if (r.status !== 200) return sayProblem(r);
  await showConsents(person);
  return say('done.prefs');
});

document.getElementById('export').addEventListener('click', async () => {
  const { req, res } = await exercise('access');
  if (!req) return sayProblem(res);
  const a = document.getElementById('download');
  a.href = req.download.url;
  a.setAttribute('download', `${person.id}.zip`);
  a.hidden = false;
  return say('done.export');
});

document.getElementById('correct').addEventListener('click', async () => {
  const { req, res } = await exercise('rectification');
  if (!req) return sayProblem(res);
  return say('done.correct', { id: req.id, due: when(req.due_at) });
});

document.getElementById('erase').addEventListener('click', async () => {
  const confirm = document.getElementById('erase-confirm');
  if (confirm.value.trim() !== 'DELETE') {
    confirm.focus();
    return say('rights.erase_confirm', {}, true);
  }
  confirm.value = '';
  const { req, res } = await exercise('erasure');
  if (!req) return sayProblem(res);
  document.getElementById('person').hidden = true;
  const kept = (req.outcome.kept || []).map((k) => `${k.reason} (${k.requirement})`).join(', ');
  return say(kept ? 'done.erase' : 'done.erase_all', { kept });
});


signedIn(Boolean(await current()));
