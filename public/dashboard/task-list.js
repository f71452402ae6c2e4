// The live task list: rows come from the server already rendered (the same component as the
// page), one `row` event per changed or new task. EventSource reconnects by itself.
'use strict';
(function () {
  var table = document.getElementById('task-list');
  if (!table || !window.EventSource) return;
  var body = table.tBodies[0];
  var state = document.getElementById('live-state');
  var select = document.querySelector('select[data-autosubmit]');
  if (select) select.addEventListener('change', function () { select.form.submit(); });

  function setState(text, on) {
    if (!state) return;
    state.textContent = text;
    state.classList.toggle('on', on);
  }

  var source = new EventSource(table.getAttribute('data-events'));
  source.addEventListener('open', function () { setState('live', true); });
  source.addEventListener('error', function () { setState('reconnecting…', false); });
  source.addEventListener('row', function (event) {
    var row = JSON.parse(event.data);
    var template = document.createElement('tbody');
    template.innerHTML = row.html;
    var fresh = template.firstElementChild;
    if (!fresh) return;
    var existing = document.getElementById('task-' + row.id);
    if (existing) {
      if (existing.outerHTML === fresh.outerHTML) return;
      existing.replaceWith(fresh);
    } else {
      body.insertBefore(fresh, body.firstElementChild);
      var empty = document.getElementById('no-tasks');
      if (empty) empty.remove();
    }
    fresh.classList.add('flash');
  });
})();
