// A task page while the task is open: status and progress follow its event stream; when it ends
// the page reloads once to show the video, the money and the deliveries.
'use strict';
(function () {
  var state = document.getElementById('task-state');
  var url = state && state.getAttribute('data-events');
  if (!url || !window.EventSource) return;
  var badge = state.querySelector('.badge');
  var bar = state.querySelector('progress');
  var number = state.querySelector('.progress .num');
  var source = new EventSource(url);
  function update(event) {
    var task = JSON.parse(event.data);
    badge.textContent = task.status + (task.cancelPending ? ' (cancel asked)' : '');
    badge.className = 'badge status-' + task.status;
    badge.setAttribute('data-status', task.status);
    bar.value = task.progress;
    number.textContent = task.progress + ' %';
    if (task.status === 'completed' || task.status === 'failed' || task.status === 'canceled') {
      source.close();
      window.location.reload();
    }
  }
  ['queued', 'running', 'completed', 'failed', 'canceled'].forEach(function (name) {
    source.addEventListener(name, update);
  });
})();
