// SPDX-License-Identifier: Apache-2.0
// nav.js — the console's navigation between its pages (requests, retention, recipients), built
// into the page's empty <nav id="console-nav">: each link keeps the reader's language
// (data-keep-lang) and takes its text from the page's catalogue (nav.<page>); the page shown is
// marked aria-current. Call it before loadTexts, which translates the texts and sets the language.
import { el } from '/web/dashboard/ui.js';

const PAGES = [['requests', 'Requests'], ['retention', 'Retention'], ['recipients', 'Recipients']];

export function consoleNav() {
  document.getElementById('console-nav').replaceChildren(...PAGES.map(([page, text]) => {
    const a = el('a', text);
    a.href = `/web/console/${page}.html`;
    a.dataset.keepLang = '';
    a.dataset.i18n = `nav.${page}`;
    if (a.pathname === location.pathname) a.setAttribute('aria-current', 'page');
    return a;
  }));
}
