// The playground form: builds the official Kling create body (the very JSON a client would POST to
// /v1/videos/text2video or image2video), keeps a live price estimate, edits the shots of a
// multi-shot request and submits. The server checks every rule again; the checks here only keep
// people from sending what is sure to be refused.
(function () {
  'use strict';

  var form = document.getElementById('playground');
  if (!form) return;
  var tokenMeta = document.querySelector('meta[name="csrf-token"]');
  var csrf = tokenMeta ? tokenMeta.getAttribute('content') || '' : '';
  var shotsBox = document.getElementById('shots');
  var shotList = document.getElementById('shot-list');
  var addShot = document.getElementById('add-shot');
  var shotsSum = document.getElementById('shots-sum');
  var estimate = document.getElementById('estimate');
  var formError = document.getElementById('form-error');
  var submit = document.getElementById('submit');
  var promptLabel = document.getElementById('prompt-label');
  var MAX_SHOTS = Number(shotsBox.getAttribute('data-max-shots')) || 6;
  var MAX_SHOT_CHARS = Number(shotsBox.getAttribute('data-max-chars')) || 512;
  // Kling's "≤ 10 MB" per image, read as MiB as the server reads it.
  var MAX_IMAGE_BYTES = 10 * 1024 * 1024;
  // Raw base64 read from a chosen file (no data: prefix: the Kling parser refuses one), by frame.
  var frameData = { image: '', image_tail: '' };

  function field(name) {
    return form.elements.namedItem(name);
  }
  function value(name) {
    var el = field(name);
    return el ? String(el.value) : '';
  }

  // ---- shots editor ----

  var shotsHelp = document.getElementById('shots-help');

  function shotRows() {
    return Array.prototype.slice.call(shotList.querySelectorAll('li.shot'));
  }
  function shotPrompt(li) {
    return li.querySelector('textarea');
  }
  function shotSeconds(li) {
    return li.querySelector('input[type=number]');
  }
  function total() {
    return Number(value('duration'));
  }

  function newShot(prompt, seconds) {
    var li = document.createElement('li');
    li.className = 'shot';
    var promptLabelEl = document.createElement('label');
    var title = document.createElement('span');
    title.className = 'shot-title';
    promptLabelEl.appendChild(title);
    var text = document.createElement('textarea');
    text.name = 'shot_prompt';
    text.maxLength = MAX_SHOT_CHARS;
    text.value = prompt;
    promptLabelEl.appendChild(text);
    var durationLabel = document.createElement('label');
    durationLabel.textContent = 'Seconds';
    var input = document.createElement('input');
    input.type = 'number';
    input.name = 'shot_duration';
    input.min = '1';
    input.max = String(total());
    input.step = '1';
    input.value = String(seconds);
    durationLabel.appendChild(input);
    var remove = document.createElement('button');
    remove.type = 'button';
    remove.className = 'secondary small';
    remove.textContent = 'Remove';
    remove.setAttribute('data-remove-shot', '');
    li.appendChild(promptLabelEl);
    li.appendChild(durationLabel);
    li.appendChild(remove);
    shotList.appendChild(li);
  }

  /** A shot's seconds as Kling's wire wants them (a digit string), or '' when not a whole number. */
  function wireSeconds(li) {
    var raw = shotSeconds(li).value.trim();
    return /^\d+$/.test(raw) ? String(Number(raw)) : '';
  }

  /**
   * The shot rules the server checks too, checked here so that a half-edited form sends nothing
   * sure to be refused: every refused fetch is a console error. Null when fine or not in use.
   */
  function shotsProblem() {
    if (value('shot_type') !== 'customize') return null;
    var rows = shotRows();
    if (rows.length < 1 || rows.length > MAX_SHOTS) return 'Use 1 to ' + MAX_SHOTS + ' shots.';
    var sum = 0;
    for (var i = 0; i < rows.length; i++) {
      var seconds = wireSeconds(rows[i]);
      if (seconds === '' || Number(seconds) < 1) return 'Shot ' + (i + 1) + ' needs a whole number of seconds, at least 1.';
      sum += Number(seconds);
    }
    if (sum !== total()) return 'The shots add up to ' + sum + ' s; the video is ' + total() + ' s.';
    return null;
  }

  function shotsSumOf(rows) {
    return rows.reduce(function (acc, li) {
      return acc + (Number(wireSeconds(li)) || 0);
    }, 0);
  }

  function refreshShots() {
    var customize = value('shot_type') === 'customize';
    shotList.hidden = !customize;
    shotsHelp.hidden = !customize;
    // Kling ignores the prompt when the shots carry their own.
    promptLabel.hidden = customize;
    if (customize && shotRows().length === 0) newShot(value('prompt'), total());
    var rows = shotRows();
    rows.forEach(function (li, i) {
      li.querySelector('.shot-title').textContent = 'Shot ' + (i + 1) + ' prompt';
      li.querySelector('[data-remove-shot]').disabled = rows.length <= 1;
      shotSeconds(li).max = String(total());
    });
    addShot.disabled = customize && rows.length >= MAX_SHOTS;
    var sum = shotsSumOf(rows);
    shotsSum.textContent = customize ? 'Shots add up to ' + sum + ' s of ' + total() + ' s' : '';
    shotsSum.className = 'small ' + (sum === total() ? 'good' : 'bad');
  }

  addShot.addEventListener('click', function () {
    // From one shot: the prompt becomes shot 1 and this adds shot 2.
    if (value('shot_type') !== 'customize') {
      field('shot_type').value = 'customize';
      refreshShots();
    }
    var rows = shotRows();
    if (rows.length >= MAX_SHOTS) return;
    var left = total() - shotsSumOf(rows);
    if (left < 1) {
      // Keep the sum right: the new shot takes a second from the longest shot that can spare one.
      var longest = rows.reduce(function (a, b) {
        return Number(wireSeconds(b)) > Number(wireSeconds(a)) ? b : a;
      }, rows[0]);
      if (longest && Number(wireSeconds(longest)) > 1) shotSeconds(longest).value = String(Number(wireSeconds(longest)) - 1);
      left = 1;
    }
    newShot('', left);
    changed();
    shotPrompt(shotRows()[shotRows().length - 1]).focus();
  });
  shotList.addEventListener('click', function (e) {
    var button = e.target.closest('[data-remove-shot]');
    if (!button || shotRows().length <= 1) return;
    button.closest('li.shot').remove();
    changed();
  });

  // ---- image frames ----

  form.querySelectorAll('input[type=file]').forEach(function (input) {
    var frame = input.name.replace(/_file$/, '');
    input.addEventListener('change', function () {
      var file = input.files && input.files[0];
      frameData[frame] = '';
      showFieldError(frame, '');
      if (!file) return changed();
      if (file.size > MAX_IMAGE_BYTES) {
        input.value = '';
        showFieldError(frame, 'The image is larger than 10 MB.');
        return changed();
      }
      var reader = new FileReader();
      reader.onload = function () {
        var url = String(reader.result);
        frameData[frame] = url.slice(url.indexOf(',') + 1);
        changed();
      };
      reader.readAsDataURL(file);
    });
  });
  form.addEventListener('click', function (e) {
    var button = e.target.closest('[data-clear-frame]');
    if (!button) return;
    var frame = button.getAttribute('data-clear-frame');
    field(frame + '_file').value = '';
    field(frame + '_url').value = '';
    frameData[frame] = '';
    changed();
  });

  function frameOf(name) {
    return frameData[name] || value(name + '_url').trim();
  }

  // ---- the Kling body ----

  /**
   * The official Kling create body. `forEstimate` puts stand-ins where the price does not look:
   * base64 images (megabytes on every keystroke) and empty prompts (a blank form still gets a price;
   * the create refuses them).
   */
  function orStandIn(text, forEstimate) {
    return forEstimate && text.trim() === '' ? 'prompt' : text;
  }

  function buildBody(forEstimate) {
    var body = {
      model_name: value('model_name'),
      mode: value('mode'),
      // Kling's wire duration is a string of digits ("5"), shots' too.
      duration: value('duration'),
      aspect_ratio: value('aspect_ratio'),
      sound: value('sound'),
    };
    var shotType = value('shot_type');
    if (shotType) {
      body.multi_shot = true;
      body.shot_type = shotType;
    }
    if (shotType === 'customize') {
      body.multi_prompt = shotRows().map(function (li, i) {
        return { index: i + 1, prompt: orStandIn(shotPrompt(li).value, forEstimate), duration: wireSeconds(li) };
      });
    } else {
      body.prompt = orStandIn(value('prompt'), forEstimate);
    }
    var negative = value('negative_prompt');
    if (negative.trim() !== '') body.negative_prompt = negative;
    ['image', 'image_tail'].forEach(function (name) {
      var frame = frameOf(name);
      if (!frame) return;
      body[name] = forEstimate && frameData[name] ? 'AAAA' : frame;
    });
    return body;
  }

  function post(path, body, extraHeaders) {
    var headers = { 'content-type': 'application/json', 'x-csrf-token': csrf };
    Object.keys(extraHeaders || {}).forEach(function (k) {
      headers[k] = extraHeaders[k];
    });
    return fetch('/dashboard/api/' + path, { method: 'POST', headers: headers, body: JSON.stringify(body), credentials: 'same-origin' }).then(function (res) {
      return res
        .json()
        .catch(function () {
          return { error: { message: 'HTTP ' + res.status } };
        })
        .then(function (json) {
          return { status: res.status, json: json };
        });
    });
  }

  // ---- errors ----

  /** The element a wire field's error belongs to: `multi_prompt[1].duration` -> multi_prompt. */
  function errorSlot(name) {
    var head = String(name || '').split(/[.[]/)[0];
    return head ? form.querySelector('[data-error-for="' + head + '"]') : null;
  }

  function showFieldError(name, message) {
    var slot = errorSlot(name);
    if (!slot) return false;
    slot.textContent = message;
    slot.hidden = message === '';
    return true;
  }

  function clearErrors() {
    form.querySelectorAll('[data-error-for]').forEach(function (slot) {
      slot.textContent = '';
      slot.hidden = true;
    });
    formError.textContent = '';
    formError.hidden = true;
  }

  function showError(error) {
    var message = (error && error.message) || 'Something went wrong.';
    if (!(error && error.field && showFieldError(error.field, message))) {
      formError.textContent = message;
      formError.hidden = false;
    }
  }

  // ---- estimate ----

  var estimateTimer = 0;
  var estimateSeq = 0;

  function requestEstimate() {
    var seq = ++estimateSeq;
    var problem = shotsProblem();
    if (problem) {
      estimate.className = 'estimate muted';
      estimate.textContent = 'No estimate: ' + problem;
      return;
    }
    estimate.className = 'estimate muted';
    post('estimate', buildBody(true))
      .then(function (res) {
        if (seq !== estimateSeq) return;
        if (res.status === 200) {
          var e = res.json;
          estimate.className = 'estimate';
          estimate.textContent = 'Estimate: ' + e.credits + ' credits (' + e.model + ', ' + e.tier + ', ' + e.duration + ' s' + (e.sound ? ', sound' : '') + ')';
        } else {
          estimate.className = 'estimate muted';
          estimate.textContent = 'No estimate: ' + ((res.json.error && res.json.error.message) || 'HTTP ' + res.status);
        }
      })
      .catch(function () {
        if (seq === estimateSeq) estimate.textContent = 'No estimate: the server did not answer.';
      });
  }

  function changed() {
    refreshShots();
    clearTimeout(estimateTimer);
    estimateTimer = setTimeout(requestEstimate, 300);
  }

  form.addEventListener('input', changed);
  form.addEventListener('change', changed);

  // ---- submit ----

  // One key per filled-in form: a double click or a retry after a lost answer makes one task.
  var idempotencyKey = '';
  var lastBody = '';

  form.addEventListener('submit', function (e) {
    e.preventDefault();
    clearErrors();
    var problem = shotsProblem();
    var emptyShot = value('shot_type') === 'customize' ? shotRows().findIndex(function (li) {
      return shotPrompt(li).value.trim() === '';
    }) : -1;
    if (!problem && emptyShot !== -1) problem = 'Shot ' + (emptyShot + 1) + ' needs a prompt.';
    var promptNeeded = value('shot_type') !== 'customize' && !frameOf('image') && !frameOf('image_tail');
    if (!problem && promptNeeded && value('prompt').trim() === '') {
      showFieldError('prompt', 'Write a prompt (or add a first frame).');
      return;
    }
    if (problem) {
      showFieldError('multi_prompt', problem);
      formError.textContent = problem;
      formError.hidden = false;
      return;
    }
    var body = buildBody(false);
    var text = JSON.stringify(body);
    if (text !== lastBody) {
      lastBody = text;
      idempotencyKey = 'playground-' + Date.now().toString(36) + '-' + Math.random().toString(36).slice(2, 10);
    }
    submit.disabled = true;
    post('tasks', body, { 'Idempotency-Key': idempotencyKey })
      .then(function (res) {
        if (res.status === 201 && res.json.url) {
          // Back from the task page (bfcache) and submitted again is a new video, not a replay.
          lastBody = '';
          window.location.assign(res.json.url);
          return;
        }
        submit.disabled = false;
        showError(res.json.error);
      })
      .catch(function () {
        submit.disabled = false;
        showError({ message: 'The server did not answer; try again.' });
      });
  });

  refreshShots();
  requestEstimate();
})();
