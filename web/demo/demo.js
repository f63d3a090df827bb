// demo.js — the demo page's own (strictly necessary) code, issue 4: shows the consent the banner
// holds, the Consent Mode signals it sent, the cookies the page can read, and adds a blocked tag
// after load to show that late tags are held back too (MutationObserver in the banner).
(function () {
  function show() {
    var c = window.tutela && window.tutela.consent ? window.tutela.consent.get() : null;
    document.getElementById('state').textContent = c ? JSON.stringify(c, null, 2) : '';
    var gcm = (window.dataLayer || []).filter(function (e) { return e && e[0] === 'consent'; })
      .map(function (e) { return e[1] + ' ' + JSON.stringify(e[2]); });
    document.getElementById('gcm').textContent = gcm.join('\n');
    document.getElementById('cookies').textContent = document.cookie || '(none)';
  }
  document.addEventListener('tutela:consent', function () { setTimeout(show, 50); });
  if (window.tutela && window.tutela.consent) window.tutela.consent.ready.then(show);
  show();
  // a performance tag inserted by the page after load: blocked like the others
  var late = document.createElement('script');
  late.type = 'text/plain';
  late.setAttribute('data-category', 'performance');
  late.setAttribute('data-src', 'late.js');
  document.body.appendChild(late);
})();
