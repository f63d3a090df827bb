// functional.js — a stand-in for a functional tag on the demo site (issue 4): it only runs once the
// visitor grants the functional category, sets its own cookie demo_func and writes a line into the page.
(function () {
  document.cookie = 'demo_func=1; Path=/; Max-Age=' + 86400 * 30 + '; SameSite=Lax';
  window.demoRan = (window.demoRan || []).concat('functional');
  function say() {
    var li = document.createElement('li');
    li.id = 'ran-functional';
    li.textContent = 'functional script ran: set cookie demo_func (remembers your preferences).';
    document.getElementById('log').appendChild(li);
  }
  if (document.getElementById('log')) say();
  else document.addEventListener('DOMContentLoaded', say);
})();
