// SPDX-License-Identifier: Apache-2.0
// signin.js — the sign-in page: POST /v1/sessions with email and password; a 401 naming "totp"
// asks for the second step; a 429 says when to retry. The answer never says whether an account
// exists (the server's rule): any other refusal is the same message.
import { api, loadTexts, problemKey, say, t } from './account.js';

// the form is taken over before the texts are fetched: a click meanwhile signs in too, instead of
// submitting the form natively
const texts = loadTexts();
const form = document.getElementById('signin');
const totpStep = document.getElementById('step-totp');

form.addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const body = {
    email: document.getElementById('email').value.trim(),
    password: document.getElementById('password').value,
  };
  const code = document.getElementById('totp').value.trim();
  if (!totpStep.hidden && code) body.totp = code;
  const r = await api('POST', '/v1/sessions', body);
  await texts;
  if (r.status === 201) {
    document.getElementById('password').value = '';
    form.hidden = true;
    document.getElementById('signed-in').hidden = false;
    say('signin.done', { role: t(`role.${r.body.role}`) });
    return;
  }
  if (r.status === 401 && r.body && r.body.field === 'totp') {
    const first = totpStep.hidden;
    totpStep.hidden = false;
    document.getElementById('totp').focus();
    say(first ? 'signin.totp_needed' : 'signin.refused', {}, !first);
    return;
  }
  if (r.status === 429) {
    say('error.rate-limited', { seconds: r.retryAfter || '60' }, true);
    return;
  }
  if (r.status === 401) {
    say('signin.refused', {}, true);
    return;
  }
  say(problemKey(r), {}, true);
});
await texts;
