// performance.js — a stand-in for a performance tag on the demo site (issue 4): it only runs once the
// visitor grants the performance category, sets its own cookie demo_perf and writes a line into the page.
(function () {
  document.cookie = 'demo_perf=1; Path=/; Max-Age=' + 86400 * 30 + '; SameSite=Lax';
  document.cookie = '_ga=GA1.1.demo; Path=/; Max-Age=' + 86400 * 390 + '; SameSite=Lax';
  window.demoRan = (window.demoRan || []).concat('performance');
  function say() {
    var li = document.createElement('li');
    li.id = 'ran-performance';
    li.textContent = 'performance script ran: set cookie demo_perf (counts this visit, in aggregate).';
    document.getElementById('log').appendChild(li);
  }
  if (document.getElementById('log')) say();
  else document.addEventListener('DOMContentLoaded', say);
})();
