// late.js — a performance tag the demo page adds after load (issue 4): runs only once granted.
(function () {
  window.demoRan = (window.demoRan || []).concat('late');
  var li = document.createElement('li');
  li.id = 'ran-late';
  li.textContent = 'late performance script ran (added to the page after load).';
  document.getElementById('log').appendChild(li);
})();
