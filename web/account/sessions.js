// SPDX-License-Identifier: Apache-2.0
// sessions.js — the sessions page: GET /v1/sessions lists one's own live sessions; each can be
// revoked (DELETE /v1/sessions/{id}); signing out ends the current one.
import { api, current, lang, loadTexts, problemKey, say, t } from './account.js';

await loadTexts();
const fmt = new Intl.DateTimeFormat(lang(), { dateStyle: 'medium', timeStyle: 'short' });

async function render() {
  const s = await current();
  const who = document.getElementById('who');
  const table = document.getElementById('list');
  if (!s) {
    who.textContent = t('common.signed_out');
    table.hidden = true;
    document.getElementById('signout').hidden = true;
    return;
  }
  who.textContent = t('sessions.who', { account: s.account ? s.account.email_masked : s.key_id, role: t(`role.${s.role}`) });
  const r = await api('GET', '/v1/sessions');
  if (r.status !== 200) {
    say(problemKey(r), {}, true);
    return;
  }
  const rows = r.body.items.map((x) => {
    const tr = document.createElement('tr');
    tr.dataset.id = x.id;
    for (const v of [x.created_at, x.last_seen_at]) {
      const td = document.createElement('td');
      td.textContent = fmt.format(new Date(v));
      tr.append(td);
    }
    const td = document.createElement('td');
    if (x.current) {
      td.textContent = t('sessions.this_one');
    } else {
      const b = document.createElement('button');
      b.type = 'button';
      b.className = 'secondary revoke';
      b.textContent = t('sessions.revoke');
      b.addEventListener('click', async () => {
        const d = await api('DELETE', `/v1/sessions/${encodeURIComponent(x.id)}`);
        if (d.status === 200) say('sessions.revoked');
        else say(problemKey(d), {}, true);
        await render();
      });
      td.append(b);
    }
    tr.append(td);
    return tr;
  });
  table.querySelector('tbody').replaceChildren(...rows);
  table.hidden = false;
  document.getElementById('signout').hidden = false;
}

document.getElementById('signout').addEventListener('click', async () => {
  const r = await api('DELETE', '/v1/sessions/current');
  if (r.status === 200) say('sessions.signed_out');
  else say(problemKey(r), {}, true);
  await render();
});

await render();
