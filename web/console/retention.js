// SPDX-License-Identifier: Apache-2.0
// retention.js — the retention view (issue 6): signs in through the session contract when needed
// (an API key becomes an HttpOnly session cookie; the key is kept nowhere), then draws the rows
// due per day over the next 30 days as an SVG bar chart (plain DOM, no library, no HTML from
// data) with an accessible table beside it, and lists the legal holds in force.
import { api, current, el, lang, loadTexts, say, sayProblem, t, when } from '/web/dashboard/ui.js';
import { signInBox } from '/web/dashboard/signin.js';
import { consoleNav } from '/web/console/nav.js';

const SVG = 'http://www.w3.org/2000/svg';
const DAYS = 30;

function svg(tag, attrs = {}, text) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = String(text);
  return e;
}

/** A round step for the value axis: 1, 2 or 5 times a power of ten. */
function step(max) {
  const raw = Math.max(1, max) / 4;
  const p = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 5, 10].map((m) => m * p).find((s) => s >= raw);
}

function dayLabel(date) {
  return new Date(`${date}T00:00:00Z`).toLocaleDateString(lang(), { day: 'numeric', month: 'short', timeZone: 'UTC' });
}

/** Draws the bar chart of days [{date, total, services}] into #chart. */
function draw(days) {
  const W = 860; const H = 300; const L = 56; const R = 10; const T = 16; const B = 56;
  const max = Math.max(0, ...days.map((d) => d.total));
  const s = step(max);
  const top = Math.max(s, Math.ceil(max / s) * s);
  const y = (v) => T + (H - T - B) * (1 - v / top);
  const bw = (W - L - R) / days.length;
  const root = svg('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-labelledby': 'chart-title' });
  root.append(svg('title', { id: 'chart-title' }, t('due.caption')));
  for (let v = 0; v <= top; v += s) {
    root.append(svg('line', { class: 'grid', x1: L, x2: W - R, y1: y(v), y2: y(v) }));
    root.append(svg('text', { x: L - 6, y: y(v) + 4, 'text-anchor': 'end' }, v.toLocaleString(lang())));
  }
  days.forEach((d, i) => {
    const x = L + i * bw;
    const h = Math.max(d.total ? 2 : 1, y(0) - y(d.total));
    const bar = svg('rect', {
      class: d.total ? 'bar' : 'bar zero', x: x + bw * 0.15, y: y(0) - h, width: bw * 0.7, height: h,
      tabindex: 0, 'data-date': d.date, 'data-rows': d.total,
    });
    const parts = Object.entries(d.services || {}).map(([k, n]) => `${k}: ${n.toLocaleString(lang())}`);
    bar.append(svg('title', {}, t('due.bar', { date: dayLabel(d.date), rows: d.total.toLocaleString(lang()) })
      + (parts.length ? ` (${parts.join(', ')})` : '')));
    root.append(bar);
    if (d.total) {
      root.append(svg('text', { class: 'value', x: x + bw / 2, y: y(0) - h - 3, 'text-anchor': 'middle' },
        d.total.toLocaleString(lang())));
    }
    if (i % 5 === 0 || i === days.length - 1) {
      root.append(svg('text', {
        x: x + bw / 2, y: H - B + 14, 'text-anchor': 'end',
        transform: `rotate(-40 ${x + bw / 2} ${H - B + 14})`,
      }, dayLabel(d.date)));
    }
  });
  root.append(svg('line', { class: 'axis', x1: L, x2: W - R, y1: y(0), y2: y(0) }));
  root.append(svg('line', { class: 'axis', x1: L, x2: L, y1: T, y2: y(0) }));
  document.getElementById('chart').replaceChildren(root);
  const body = document.querySelector('#due-table tbody');
  body.replaceChildren(...days.map((d) => {
    const tr = el('tr');
    tr.append(el('td', d.date), el('td', d.total));
    return tr;
  }));
}

function scope(h) {
  const parts = [];
  if (h.subject) parts.push(t('scope.subject', { id: h.subject }));
  if (h.service) parts.push(t('scope.service', { key: h.service }));
  if (h.data_category) parts.push(t('scope.category', { key: h.data_category }));
  return parts.length ? parts.join(', ') : t('scope.tenant');
}

function listHolds(holds) {
  const body = document.querySelector('#holds tbody');
  body.replaceChildren(...holds.map((h) => {
    const tr = el('tr');
    tr.dataset.id = h.id;
    tr.append(el('td', h.id), el('td', scope(h)), el('td', h.reason),
      el('td', h.until ? when(h.until) : t('holds.released_only')));
    return tr;
  }));
  document.getElementById('holds-empty').hidden = holds.length > 0;
}

async function load() {
  const r = await api('GET', `/v1/retention/upcoming?days=${DAYS}`);
  if (r.status !== 200) return sayProblem(r);
  const total = r.body.days.reduce((a, d) => a + d.total, 0);
  document.getElementById('due-total').textContent = t('due.total', { rows: total.toLocaleString(lang()) });
  draw(r.body.days);
  listHolds(r.body.holds || []);
  for (const id of ['due-box', 'holds-box', 'signout']) document.getElementById(id).hidden = false;
  document.getElementById('signin-box').hidden = true;
  say('loaded', { from: dayLabel(r.body.days[0].date) });
  return null;
}

consoleNav();
signInBox(load);

await loadTexts('retention');
if (await current()) await load();
else document.getElementById('signin-box').hidden = false;
