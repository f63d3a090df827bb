// SPDX-License-Identifier: Apache-2.0
// signin.js — the sign-in box the staff pages share (dashboard, console retention and
// recipients): fills the page's empty <section id="signin-box" hidden> with its form, sends the API
// key through the session contract (the key becomes an HttpOnly session cookie and is kept
// nowhere), says a refusal or a problem, and wires the page's #signout button. Texts come from the
// page's catalogue (signin.title, signin.key, signin.submit, signin.refused, signout).
import { el, say, sayProblem, signIn, signOut } from '/web/dashboard/ui.js';

/**
 * Builds the form inside #signin-box — call it before loadTexts, which translates its data-i18n
 * texts — and wires it: after a 201 it calls onSignedIn(); #signout signs out, then calls
 * onSignedOut() (default: reload the page).
 */
export function signInBox(onSignedIn, onSignedOut = () => location.reload()) {
  const text = (tag, key, fallback) => {
    const e = el(tag, fallback);
    e.dataset.i18n = key;
    return e;
  };
  const label = text('label', 'signin.key', 'API key');
  label.htmlFor = 'api-key';
  const field = el('input');
  Object.assign(field, { id: 'api-key', type: 'password', autocomplete: 'off', required: true });
  const submit = text('button', 'signin.submit', 'Sign in');
  Object.assign(submit, { id: 'signin-submit', type: 'submit' });
  const form = el('form');
  form.id = 'signin';
  form.append(label, field, submit);
  document.getElementById('signin-box').replaceChildren(text('h2', 'signin.title', 'Sign in'), form);

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const r = await signIn(field.value.trim());
    field.value = '';
    if (r.status === 201) return onSignedIn();
    if (r.status === 401) return say('signin.refused', {}, true);
    return sayProblem(r);
  });
  document.getElementById('signout').addEventListener('click', async () => {
    await signOut();
    onSignedOut();
  });
}
