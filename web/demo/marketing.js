// marketing.js — a stand-in for a marketing tag on the demo site (issue 4): it only runs once the
// visitor grants the marketing category, sets its own cookie demo_mkt and writes a line into the page.
(function () {
  document.cookie = 'demo_mkt=1; Path=/; Max-Age=' + 86400 * 30 + '; SameSite=Lax';
  document.cookie = '_fbp=fb.1.demo; Path=/; Max-Age=' + 86400 * 90 + '; SameSite=Lax';
  window.demoRan = (window.demoRan || []).concat('marketing');
  function say() {
    var li = document.createElement('li');
    li.id = 'ran-marketing';
    li.textContent = 'marketing script ran: set cookie demo_mkt (lets ad partners recognise this browser).';
    document.getElementById('log').appendChild(li);
  }
  if (document.getElementById('log')) say();
  else document.addEventListener('DOMContentLoaded', say);
})();
