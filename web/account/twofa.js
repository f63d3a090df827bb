// SPDX-License-Identifier: Apache-2.0
// twofa.js — the two-factor page: POST /v1/accounts/me/totp gives the secret, its otpauth URI
// and the QR code as SVG (parsed as an SVG document, never as HTML); a first code confirms it and
// the recovery codes are listed once.
import { api, current, loadTexts, problemKey, say, t } from './account.js';

await loadTexts();
const s = await current();
const state = document.getElementById('state');
if (!s) {
  state.textContent = t('common.signed_out');
} else if (s.account && s.account.totp_enabled) {
  state.textContent = t('twofa.on');
} else if (!s.account) {
  state.textContent = t('twofa.key_session');
} else {
  state.textContent = t('twofa.off');
  document.getElementById('start').hidden = false;
}

document.getElementById('start').addEventListener('click', async () => {
  const r = await api('POST', '/v1/accounts/me/totp');
  if (r.status !== 201) {
    say(problemKey(r), {}, true);
    return;
  }
  const svg = new DOMParser().parseFromString(r.body.qr_svg, 'image/svg+xml').documentElement;
  const qr = document.getElementById('qr');
  qr.replaceChildren(document.importNode(svg, true));
  qr.setAttribute('aria-label', t('twofa.qr_label'));
  document.getElementById('secret').textContent = r.body.secret.replace(/(.{4})/g, '$1 ').trim();
  document.getElementById('start').hidden = true;
  document.getElementById('enrol').hidden = false;
  document.getElementById('code').focus();
});

document.getElementById('confirm').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const code = document.getElementById('code').value.trim();
  const r = await api('POST', '/v1/accounts/me/totp/confirm', { code });
  if (r.status !== 200) {
    say(problemKey(r), {}, true);
    return;
  }
  document.getElementById('enrol').hidden = true;
  const list = document.getElementById('codes');
  list.replaceChildren(...r.body.recovery_codes.map((c) => {
    const li = document.createElement('li');
    li.textContent = c;
    return li;
  }));
  document.getElementById('done').hidden = false;
  state.textContent = t('twofa.on');
  say('twofa.enabled');
});
