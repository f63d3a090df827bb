/*! tutela-consent.js — self-hosted cookie banner of tutela (issue 4; S9.1–S9.7, S4.5, S1.3).
 * SPDX-License-Identifier: Apache-2.0
 * Include it as a classic script, before the tags it blocks:
 *   <script src="/web/tutela-consent.js" data-tenant="ten_…"></script>
 * Blocked tags: <script type="text/plain" data-category="marketing" data-src="…">, and
 * <iframe>/<img> with data-category and data-src. Nothing but strictly necessary storage happens
 * before the visitor chooses (S9.4); every choice is recorded with tutela (S1.3). docs/banner.md */
(function (w, d) {
  'use strict';
  if (w.tutela && w.tutela.consent) return;

  var VERSION = 'tutela-consent/1';
  var NAME = 'tutela_consent';
  var CATS = ['functional', 'performance', 'marketing', 'unclassified'];
  var SN = 'strictly_necessary';
  var SEL = 'script[type="text/plain"][data-category],iframe[data-category][data-src],' +
    'img[data-category][data-src],embed[data-category][data-src],video[data-category][data-src],' +
    'audio[data-category][data-src],source[data-category][data-src]';
  var me = d.currentScript || d.querySelector('script[src*="tutela-consent"]');
  var attr = function (n, dflt) {
    var v = me && me.getAttribute('data-' + n);
    return v == null ? dflt : v;
  };
  var base = (me && me.src) || location.href;
  var tenant = attr('tenant', 'ten_platform');
  var api = attr('api', null);
  api = api == null ? new URL(base).origin : api.replace(/\/+$/, '');
  var cfgUrl = attr('config', '');
  var i18n = attr('i18n', new URL('i18n/', base).href);
  var domain = attr('cookie-domain', '');
  var reloadOnWithdraw = attr('reload-on-withdraw', '') !== '';
  var nonce = (me && me.nonce) || '';
  var gpc = navigator.globalPrivacyControl === true;

  // The smallest English texts, for when neither the server nor the catalogue file answers.
  var BUILTIN = {
    title: 'Cookies on this site', intro: 'We use strictly necessary cookies. With your agreement we ' +
      'would also use other cookies.', accept_all: 'Accept all', refuse_all: 'Refuse all',
    choose: 'Choose', settings_title: 'Cookie settings', save: 'Save my choices', close: 'Close',
    always_on: 'Always on', on_accept: 'If you accept:', days: '{n} days', day: '1 day', session: 'session',
    first_party: 'first party', third_party: 'third party', cookies: 'Cookies'
  };

  // Google Consent Mode v2: everything denied before any tag loads; updated on every choice.
  w.dataLayer = w.dataLayer || [];
  if (typeof w.gtag !== 'function') w.gtag = function () { w.dataLayer.push(arguments); };
  var gcmOn = attr('consent-mode', 'on') !== 'off';
  if (gcmOn) {
    w.gtag('consent', 'default', {
      ad_storage: 'denied', analytics_storage: 'denied', ad_user_data: 'denied',
      ad_personalization: 'denied', functionality_storage: 'denied',
      personalization_storage: 'denied', security_storage: 'granted', wait_for_update: 500
    });
  }

  var cfg = null;      // the banner config (server answer, or data-config)
  var texts = {};
  var lang = 'en';
  var state = readCookie(); // what the cookie holds
  var current = null;  // granted categories in effect, null while undecided
  var extra = {};      // category -> cookie names declared by data-cookies on blocked tags
  var box = null, overlay = null, mode = '', opener = null, fromBanner = false;

  function readCookie() {
    var m = d.cookie.match(/(?:^|;\s*)tutela_consent=([^;]*)/);
    if (!m) return null;
    try {
      var o = JSON.parse(decodeURIComponent(m[1]));
      return o && typeof o === 'object' && o.c && typeof o.id === 'string' ? o : null;
    } catch (e) {
      return null;
    }
  }

  function writeCookie() {
    var days = 180;
    (cfg.cookies || []).forEach(function (k) {
      if (k.name === NAME && k.lifetime_days > 0) days = k.lifetime_days;
    });
    days = Math.min(days, 395); // at most 13 months (CNIL)
    d.cookie = NAME + '=' + encodeURIComponent(JSON.stringify(state)) + '; Path=/; Max-Age=' +
      days * 86400 + '; SameSite=Lax' + (location.protocol === 'https:' ? '; Secure' : '') +
      (domain ? '; Domain=' + domain : '');
  }

  function newId() {
    var b = new Uint8Array(18);
    (w.crypto || w.msCrypto).getRandomValues(b);
    return btoa(String.fromCharCode.apply(null, b)).replace(/\+/g, '-').replace(/\//g, '_');
  }

  function t(k) {
    var v = texts['banner.' + k];
    if (v == null) v = texts[k];
    if (v == null) v = BUILTIN[k];
    return v == null ? k : String(v);
  }

  function esc(s) {
    return String(s == null ? '' : s).replace(/[&<>"']/g, function (c) {
      return '&#' + c.charCodeAt(0) + ';';
    });
  }

  function getJSON(u) {
    return fetch(u, { credentials: 'omit' }).then(function (r) {
      if (!r.ok) throw new Error(u + ': ' + r.status);
      return r.json();
    });
  }

  function pickLang(supported) {
    var want = [attr('lang', ''), d.documentElement.lang].concat(navigator.languages || [navigator.language]);
    for (var i = 0; i < want.length; i++) {
      var l = String(want[i] || '').toLowerCase().split('-')[0];
      if (l && supported.indexOf(l) >= 0) return l;
    }
    return supported.indexOf('en') >= 0 ? 'en' : supported[0] || 'en';
  }

  // ---- blocking and unblocking ----------------------------------------------------------------

  function allowed(spec) {
    var parts = String(spec || '').split(/[\s,]+/).filter(Boolean);
    if (!parts.length) return false;
    return parts.every(function (p) {
      var neg = p.charAt(0) === '!';
      if (neg) p = p.slice(1);
      var g = p === SN || !!(current && current[p]);
      return neg ? !!current && !g : g;
    });
  }

  function remember(el) {
    var names = el.getAttribute('data-cookies');
    if (!names) return;
    el.getAttribute('data-category').split(/[\s,]+/).forEach(function (c) {
      if (!c || c.charAt(0) === '!') return;
      extra[c] = (extra[c] || []).concat(names.split(/[\s,]+/).filter(Boolean));
    });
  }

  function activate(el) {
    var want = el.getAttribute('data-category');
    var src = el.getAttribute('data-src');
    if (el.tagName !== 'SCRIPT') {
      if (allowed(want)) {
        if (el.getAttribute('src') !== src) el.setAttribute('src', src);
      } else if (el.hasAttribute('src')) {
        // withdrawn: unload what can be unloaded
        if (el.tagName === 'IFRAME') el.setAttribute('src', 'about:blank');
        else el.removeAttribute('src');
      }
      return;
    }
    if (el.type !== 'text/plain' || !el.parentNode || !allowed(want)) return;
    // a changed type does not run the old node: a new element runs (attributes copied)
    var s = d.createElement('script');
    for (var i = 0; i < el.attributes.length; i++) {
      var a = el.attributes[i];
      if (a.name !== 'type' && a.name !== 'data-src' && a.name !== 'data-type') s.setAttribute(a.name, a.value);
    }
    var type = el.getAttribute('data-type');
    if (type) s.type = type;
    if (el.nonce || nonce) s.nonce = el.nonce || nonce;
    if (src) {
      s.src = src;
      if (!el.hasAttribute('async')) s.async = false; // keep document order among them
    } else {
      s.text = el.text;
    }
    s.setAttribute('data-tutela', 'ran');
    el.parentNode.replaceChild(s, el);
  }

  function scan(root) {
    var list = [];
    if (root.nodeType !== 1) return;
    if (root.matches(SEL)) list.push(root);
    var found = root.querySelectorAll(SEL);
    for (var i = 0; i < found.length; i++) list.push(found[i]);
    list.forEach(function (el) {
      if (!el.__tutela) {
        el.__tutela = 1;
        remember(el);
      }
      if (current) activate(el);
    });
  }

  // blocked tags written or added after this script: handled as they arrive
  new MutationObserver(function (muts) {
    muts.forEach(function (m) {
      for (var i = 0; i < m.addedNodes.length; i++) scan(m.addedNodes[i]);
    });
  }).observe(d.documentElement, { childList: true, subtree: true });

  // ---- cookies of a category ------------------------------------------------------------------

  function patterns(cat) {
    var names = (extra[cat] || []).slice();
    ((cfg && cfg.cookies) || []).forEach(function (k) {
      if (k.category === cat && k.first_party !== false) names.push(k.name);
    });
    return names.map(function (n) {
      return new RegExp('^' + n.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*') + '$');
    });
  }

  function expire(name) {
    var paths = ['/'], segs = location.pathname.split('/'), host = location.hostname.split('.');
    for (var i = 2; i <= segs.length; i++) {
      var p = segs.slice(0, i).join('/');
      if (p) paths.push(p, p + '/');
    }
    var doms = [''];
    if (!/^[\d.]+$|:/.test(location.hostname)) {
      for (var j = 0; j < host.length - 1; j++) doms.push('; Domain=.' + host.slice(j).join('.'));
    }
    paths.forEach(function (p) {
      doms.forEach(function (dm) {
        d.cookie = name + '=; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Path=' + p + dm;
      });
    });
  }

  function purge(cat) {
    var res = patterns(cat);
    if (!res.length) return;
    d.cookie.split(/;\s*/).forEach(function (kv) {
      var n = kv.split('=')[0];
      if (n && n !== NAME && res.some(function (r) { return r.test(n); })) expire(n);
    });
  }

  // ---- applying, recording, telling ------------------------------------------------------------

  function consentMode() {
    if (!gcmOn) return;
    var g = function (c) { return current && current[c] ? 'granted' : 'denied'; };
    w.gtag('consent', 'update', {
      ad_storage: g('marketing'), ad_user_data: g('marketing'), ad_personalization: g('marketing'),
      analytics_storage: g('performance'), functionality_storage: g('functional'),
      personalization_storage: g('functional'), security_storage: 'granted'
    });
  }

  function apply(before) {
    var withdrawn = false;
    CATS.forEach(function (c) {
      if (before && before[c] && !current[c]) withdrawn = true;
      if (!current[c]) purge(c);
    });
    scan(d.documentElement);
    consentMode();
    if (withdrawn && reloadOnWithdraw) location.reload();
  }

  function norm(ch) {
    var o = {};
    CATS.forEach(function (c) { o[c] = !!(ch && ch[c]); });
    return o;
  }

  function view() {
    var c = { strictly_necessary: true };
    CATS.forEach(function (k) { c[k] = !!(current && current[k]); });
    return {
      decided: !!(state && state.x && current), id: state ? state.id : null, categories: c,
      method: state ? state.m : null, time: state ? state.t : null,
      notice_version: cfg ? cfg.notice_version : null, language: lang, gpc: gpc,
      recorded: state ? state.r || null : null
    };
  }

  function emit() {
    d.dispatchEvent(new CustomEvent('tutela:consent', { detail: view(), bubbles: true }));
  }

  function record() {
    var s = state;
    var body = {
      cookie_id: s.id, choices: s.c, method: s.m, notice_version: cfg.notice_version,
      banner_version: cfg.banner_version || VERSION, language: lang, page: location.pathname,
      gpc: gpc
    };
    return fetch(api + '/v1/sites/' + encodeURIComponent(tenant) + '/cookie-consents', {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body),
      keepalive: true, credentials: 'omit'
    }).then(function (r) {
      if (r.status !== 201) throw new Error('consent not recorded: ' + r.status);
      return r.json();
    }).then(function (j) {
      if (state === s) {
        s.r = j.id || 1; // recorded: no retry on the next page
        writeCookie();
      }
      return j;
    }, function (e) {
      // kept as pending (r: 0): sent again on the next page view
      if (w.console) console.warn('tutela-consent:', e.message || e);
    });
  }

  function decide(choices, method) {
    var before = current;
    current = norm(choices);
    state = {
      v: 1, id: (state && state.id) || newId(), nv: cfg.notice_version,
      bv: cfg.banner_version || VERSION, c: current, m: method, x: method === 'gpc' ? 0 : 1,
      g: gpc ? 1 : 0, l: lang, t: new Date().toISOString(), r: 0
    };
    writeCookie();
    apply(before);
    var p = record();
    emit();
    if (method !== 'gpc') {
      close();
      announce(t('saved'));
    }
    return p;
  }

  function announce(msg) {
    var live = d.createElement('div');
    live.setAttribute('role', 'status');
    live.className = 'tt-h';
    d.body.appendChild(live);
    setTimeout(function () { live.textContent = msg; }, 50);
    setTimeout(function () { live.remove(); }, 5000);
  }

  // ---- the banner ----------------------------------------------------------------------------

  var CSS = '#tutela-consent{position:fixed;z-index:2147483000;left:50%;bottom:1rem;' +
    'transform:translateX(-50%);box-sizing:border-box;width:calc(100% - 2rem);max-width:44rem;' +
    'max-height:calc(100vh - 2rem);overflow:auto;background:#fff;color:#1b1b1b;' +
    'border:1px solid #5a5a5a;border-radius:.5rem;box-shadow:0 .3rem 1.5rem rgba(0,0,0,.35);' +
    'padding:1rem 1.25rem;font:16px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;' +
    'text-align:left}#tutela-consent *{box-sizing:border-box;font:inherit;color:inherit}' +
    '#tutela-consent h2{font-size:1.2rem;font-weight:700;margin:0 0 .5rem;padding-right:2rem}' +
    '#tutela-consent p{margin:0 0 .75rem}#tutela-consent:focus{outline:none}' +
    '#tutela-consent .tt-b{display:flex;flex-wrap:wrap;gap:.5rem;margin-top:.5rem}' +
    '#tutela-consent .tt-b button{flex:1 1 9rem;min-height:2.75rem;margin:0;padding:.55rem 1rem;' +
    'font-weight:600;color:#fff;background:#1d3a70;border:2px solid #1d3a70;border-radius:.375rem;' +
    'cursor:pointer}#tutela-consent .tt-b button:hover{background:#102650}' +
    '#tutela-consent :focus-visible{outline:3px solid #c2410c;outline-offset:2px}' +
    '#tutela-consent .tt-k{border-top:1px solid #c8c8c8;padding:.75rem 0 .25rem}' +
    '#tutela-consent .tt-k label{display:flex;gap:.6rem;align-items:center;font-weight:700;' +
    'cursor:pointer}#tutela-consent .tt-k input{width:1.3rem;height:1.3rem;margin:0;flex:none;' +
    'accent-color:#1d3a70}#tutela-consent .tt-a{font-weight:400;font-size:.85rem;' +
    'background:#e3eee3;border-radius:1rem;padding:0 .5rem}#tutela-consent .tt-k p{margin:.35rem 0}' +
    '#tutela-consent details{margin:.35rem 0;font-size:.9rem}#tutela-consent summary{cursor:pointer;' +
    'text-decoration:underline}#tutela-consent ul{margin:.35rem 0;padding-left:1.2rem}' +
    '#tutela-consent strong{font-weight:700}#tutela-consent code{font-family:ui-monospace,monospace;font-weight:700}' +
    '#tutela-consent .tt-g{background:#fff3d0;border-radius:.25rem;padding:.5rem}' +
    '#tutela-consent .tt-x{position:absolute;top:.4rem;right:.4rem;width:2.5rem;height:2.5rem;' +
    'background:none;border:0;font-size:1.5rem;line-height:1;cursor:pointer}' +
    '#tutela-consent.tt-s{top:50%;bottom:auto;transform:translate(-50%,-50%)}' +
    '.tt-o{position:fixed;top:0;right:0;bottom:0;left:0;z-index:2147482999;background:rgba(0,0,0,.5)}' +
    '.tt-h{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}' +
    '@media (max-width:480px){#tutela-consent{width:100%;bottom:0;border-radius:.5rem .5rem 0 0;' +
    'padding:.85rem 1rem;max-height:85vh}#tutela-consent.tt-s{top:0;bottom:0;max-height:none;' +
    'transform:translateX(-50%);border-radius:0}#tutela-consent .tt-b button{flex-basis:100%}}';

  function style() {
    if (d.getElementById('tutela-consent-css')) return;
    var s = d.createElement('style');
    s.id = 'tutela-consent-css';
    if (nonce) s.nonce = nonce;
    s.textContent = CSS;
    d.head.appendChild(s);
  }

  function categories() {
    var list = (cfg.categories && cfg.categories.length) ? cfg.categories : [{ key: SN, always_on: true }]
      .concat(CATS.map(function (k) { return { key: k }; }));
    return list.filter(function (c) { return c.key === SN || CATS.indexOf(c.key) >= 0; });
  }

  function catText(c, f) {
    return c[f] || t('category.' + c.key + '.' + f);
  }

  function cookieList(key) {
    var items = (cfg.cookies || []).filter(function (k) { return k.category === key; });
    if (!items.length) return '<p>' + esc(t('none')) + '</p>';
    return '<ul>' + items.map(function (k) {
      var life = k.session ? t('session') : t(k.lifetime_days === 1 ? 'day' : 'days').replace('{n}', k.lifetime_days);
      var who = /^this site$/i.test(k.provider || '') ? '' : esc(k.provider) + ', ';
      return '<li><code>' + esc(k.name) + '</code> — ' + who +
        esc(k.first_party === false ? t('third_party') : t('first_party')) + ', ' + esc(life) +
        '. ' + esc(k.purpose) + '</li>';
    }).join('') + '</ul>';
  }

  var BTN = function (a, label, extraAttr) {
    return '<button type="button" data-a="' + a + '"' + (extraAttr || '') + '>' + esc(t(label)) + '</button>';
  };

  function render(m) {
    style();
    var decided = !!(state && state.x && current);
    var pre = current || (state && state.nv === cfg.notice_version ? state.c : null) || {};
    var gpcNote = gpc ? '<p class="tt-g">' + esc(t('gpc')) + '</p>' : '';
    var html;
    if (m === 'banner') {
      html = '<h2 id="tt-t">' + esc(t('title')) + '</h2><p id="tt-d">' + esc(t('intro')) + '</p>' +
        gpcNote + '<div class="tt-b">' + BTN('accept', 'accept_all') + BTN('refuse', 'refuse_all') +
        BTN('choose', 'choose', ' aria-haspopup="dialog"') + '</div>';
    } else {
      html = '<h2 id="tt-t">' + esc(t('settings_title')) + '</h2><p id="tt-d">' + esc(t('settings_intro')) +
        '</p>' + gpcNote + categories().map(function (c) {
          var on = c.always_on || c.key === SN;
          var checked = on || (gpc && c.key === 'marketing' && !decided ? false : !!pre[c.key]);
          return '<div class="tt-k"><label><input type="checkbox" name="' + esc(c.key) + '"' +
            (checked ? ' checked' : '') + (on ? ' disabled' : '') + ' aria-describedby="tt-k-' +
            esc(c.key) + '"> ' + esc(catText(c, 'name')) + (on ? ' <span class="tt-a">' +
            esc(t('always_on')) + '</span>' : '') + '</label><div id="tt-k-' + esc(c.key) + '"><p>' +
            esc(catText(c, 'description')) + '</p><p>' + (on ? '' : '<strong>' + esc(t('on_accept')) +
            '</strong> ') + esc(catText(c, 'consequence')) + '</p></div><details><summary>' +
            esc(t('cookies')) + '</summary>' + cookieList(c.key) + '</details></div>';
        }).join('') + '<div class="tt-b">' + BTN('save', 'save') + BTN('accept', 'accept_all') +
        BTN('refuse', 'refuse_all') + '</div>' + '<button type="button" class="tt-x" data-a="close" aria-label="' +
        esc(t('close')) + '">×</button>';
    }
    if (!box) {
      box = d.createElement('div');
      box.id = 'tutela-consent';
      box.setAttribute('role', 'dialog');
      box.setAttribute('aria-labelledby', 'tt-t');
      box.setAttribute('aria-describedby', 'tt-d');
      box.tabIndex = -1;
      box.addEventListener('click', onClick);
      box.addEventListener('keydown', onKey);
      d.body.insertBefore(box, d.body.firstChild);
    }
    box.setAttribute('lang', lang);
    box.setAttribute('aria-modal', m === 'settings' ? 'true' : 'false');
    box.className = m === 'settings' ? 'tt-s' : '';
    box.innerHTML = html;
    if (m === 'settings' && !overlay) {
      overlay = d.createElement('div');
      overlay.className = 'tt-o';
      d.body.insertBefore(overlay, box);
    } else if (m !== 'settings' && overlay) {
      overlay.remove();
      overlay = null;
    }
    mode = m;
    box.focus({ preventScroll: true });
  }

  function close() {
    if (overlay) overlay.remove();
    if (box) box.remove();
    box = overlay = null;
    mode = '';
    if (opener && opener.isConnected && opener.focus) opener.focus();
    opener = null;
  }

  function choicesFromForm() {
    var o = {};
    CATS.forEach(function (c) {
      var i = box.querySelector('input[name="' + c + '"]');
      o[c] = !!(i && i.checked);
    });
    return o;
  }

  function all(v) {
    var o = {};
    CATS.forEach(function (c) { o[c] = v; });
    return o;
  }

  function onClick(e) {
    var b = e.target.closest && e.target.closest('[data-a]');
    if (!b) return;
    var a = b.getAttribute('data-a');
    if (a === 'accept') decide(all(true), 'accept_all');
    else if (a === 'refuse') decide(all(false), 'refuse_all');
    else if (a === 'choose') {
      fromBanner = true;
      render('settings');
    } else if (a === 'save') decide(choicesFromForm(), fromBanner ? 'custom' : 'settings');
    else if (a === 'close') back();
  }

  function back() {
    if (mode === 'settings' && !(state && state.x && current)) render('banner');
    else close();
  }

  function onKey(e) {
    if (e.key === 'Escape' && mode === 'settings') {
      e.preventDefault();
      back();
    } else if (e.key === 'Tab' && mode === 'settings') {
      // modal while choosing: focus stays inside
      var f = box.querySelectorAll('button,input:not([disabled]),summary');
      var first = f[0], last = f[f.length - 1];
      if (e.shiftKey && (d.activeElement === first || d.activeElement === box)) {
        e.preventDefault();
        last.focus();
      } else if (!e.shiftKey && d.activeElement === last) {
        e.preventDefault();
        first.focus();
      }
    }
  }

  function openSettings() {
    ready.then(function () {
      if (!box) opener = d.activeElement;
      fromBanner = !(state && state.x && current);
      render('settings');
    });
  }

  d.addEventListener('click', function (e) {
    var l = e.target.closest && e.target.closest('[data-tutela-settings]');
    if (!l) return;
    e.preventDefault();
    opener = l;
    openSettings();
  });

  // ---- start ---------------------------------------------------------------------------------

  function loadConfig() {
    var want = pickLang(['en', 'fr']);
    var p = api === 'none' ? Promise.reject(new Error('no api'))
      : getJSON(api + '/v1/sites/' + encodeURIComponent(tenant) + '/banner?lang=' + want);
    if (cfgUrl) p = p.catch(function () { return getJSON(cfgUrl); });
    return p.catch(function (e) {
      if (w.console) console.warn('tutela-consent: no banner configuration:', e.message || e);
      return { notice_version: state ? state.nv : '', categories: [], cookies: [] };
    }).then(function (c) {
      cfg = c;
      lang = c.language || pickLang(c.languages || ['en', 'fr']);
      texts = c.texts || {};
      var need = ['title', 'intro', 'accept_all', 'refuse_all', 'choose', 'save', 'on_accept', 'gpc'];
      if (need.every(function (k) { return texts['banner.' + k] != null || texts[k] != null; })) return null;
      return getJSON(i18n + 'banner.' + lang + '.json').then(function (x) {
        for (var k in x) if (texts[k] == null) texts[k] = x[k];
      }, function () {});
    });
  }

  function whenBody() {
    return d.body ? Promise.resolve() : new Promise(function (r) {
      d.addEventListener('DOMContentLoaded', r);
    });
  }

  var ready = loadConfig().then(whenBody).then(function () {
    var valid = state && state.nv === cfg.notice_version;
    if (valid && state.x) {
      current = norm(state.c);
      apply(null);
      if (!state.r) record(); // recorded nowhere yet (offline, server down): send it now
      emit();
      return;
    }
    if (gpc && !(valid && state.m === 'gpc')) {
      decide({ marketing: false }, 'gpc'); // pre-refusal; the banner still asks the rest
    } else if (valid) {
      current = norm(state.c); // the GPC pre-refusal, still waiting for the visitor's own choice
      apply(null);
      if (!state.r) record();
    } else {
      CATS.forEach(purge); // nothing but strictly necessary before a choice (S9.4)
    }
    render('banner');
  });

  w.tutela = w.tutela || {};
  w.tutela.version = VERSION;
  w.tutela.openSettings = openSettings;
  w.tutela.consent = {
    get: view,
    has: function (c) { return allowed(c); },
    ready: ready.then(view),
    set: function (ch) { return ready.then(function () { return decide(ch, 'custom'); }); },
    acceptAll: function () { return ready.then(function () { return decide(all(true), 'accept_all'); }); },
    refuseAll: function () { return ready.then(function () { return decide(all(false), 'refuse_all'); }); }
  };
})(window, document);
