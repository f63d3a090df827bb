// SPDX-License-Identifier: Apache-2.0
// subprocessors.js — the public sub-processor list page (issue 7 part B; S14.1): loads the
// catalogue of the page's language (?lang=, else the browser's, EN/FR), the tenant's list
// (GET /v1/public/{tenant}/subprocessors) and subscribes by email (POST …/subscriptions; the
// confirm link arrives by mail). Plain JS, no outside URL; texts only through textContent.
(function () {
  'use strict';
  const params = new URLSearchParams(location.search);
  const tenant = params.get('tenant') || '';
  const asked = params.get('lang') || (navigator.language || 'en').slice(0, 2);
  const lang = asked === 'fr' ? 'fr' : 'en';
  let texts = {};
  const t = (key) => texts[key] || key;
  const $ = (id) => document.getElementById(id);

  function status(key, cls) {
    const s = $('status');
    s.textContent = key ? t(key) : '';
    s.className = `status ${cls || ''}`;
    s.hidden = !key;
  }

  function applyTexts() {
    document.documentElement.lang = lang;
    document.querySelectorAll('[data-i18n]').forEach((el) => { el.textContent = t(el.dataset.i18n); });
    document.title = t('subprocessors.page.title');
  }

  function cell(tr, label, content) {
    const td = document.createElement('td');
    td.dataset.label = t(label);
    if (content instanceof Node) td.appendChild(content); else td.textContent = content;
    tr.appendChild(td);
  }

  function render(list) {
    $('org').textContent = list.name;
    const body = $('list').querySelector('tbody');
    body.replaceChildren();
    for (const e of list.items) {
      const tr = document.createElement('tr');
      tr.dataset.key = e.key;
      cell(tr, 'subprocessors.col.name', e.name);
      cell(tr, 'subprocessors.col.role', t(`subprocessors.role.${e.role}`));
      const ul = document.createElement('ul');
      for (const p of e.purposes) {
        const li = document.createElement('li');
        li.textContent = p.name;
        ul.appendChild(li);
      }
      cell(tr, 'subprocessors.col.purposes', ul);
      cell(tr, 'subprocessors.col.country', e.country);
      cell(tr, 'subprocessors.col.mechanism', t(`subprocessors.mechanism.${e.transfer_mechanism}`));
      cell(tr, 'subprocessors.col.since', e.since || '');
      body.appendChild(tr);
    }
    $('list-box').hidden = list.items.length === 0;
    $('subscribe-url').textContent = list.subscribe_url;
    $('subscribe-box').hidden = false;
    status(list.items.length ? '' : 'subprocessors.page.empty');
  }

  async function subscribe(ev) {
    ev.preventDefault();
    const out = $('subscribe-result');
    const input = $('email');
    out.className = '';
    if (!input.value || !input.checkValidity()) {
      out.textContent = t('subprocessors.subscribe.invalid_email');
      out.className = 'error';
      input.setAttribute('aria-invalid', 'true');
      input.focus();
      return;
    }
    input.removeAttribute('aria-invalid');
    $('subscribe-submit').disabled = true;
    try {
      const r = await fetch(`/v1/public/${encodeURIComponent(tenant)}/subprocessors/subscriptions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: input.value, lang }),
      });
      const key = r.status === 202 ? 'subprocessors.subscribe.sent'
        : r.status === 422 ? 'subprocessors.subscribe.invalid_email'
          : r.status === 429 ? 'subprocessors.subscribe.rate_limited' : 'subprocessors.subscribe.failed';
      out.textContent = t(key);
      out.className = r.status === 202 ? 'ok' : 'error';
      if (r.status === 202) input.value = '';
    } catch {
      out.textContent = t('subprocessors.subscribe.failed');
      out.className = 'error';
    } finally {
      $('subscribe-submit').disabled = false;
    }
  }

  async function start() {
    try {
      const r = await fetch(`/web/i18n/subprocessors.${lang}.json`);
      texts = await r.json();
    } catch {
      texts = {};
    }
    applyTexts();
    $('subscribe').addEventListener('submit', subscribe);
    if (!tenant) {
      status('subprocessors.page.no_tenant', 'error');
      return;
    }
    try {
      const r = await fetch(`/v1/public/${encodeURIComponent(tenant)}/subprocessors`);
      if (!r.ok) throw new Error(String(r.status));
      render(await r.json());
    } catch {
      status('subprocessors.page.error', 'error');
    }
  }
  start();
}());
