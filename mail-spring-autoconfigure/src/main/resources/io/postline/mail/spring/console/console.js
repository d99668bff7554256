(function () {
  'use strict';

  var TOKEN_HEADER = 'X-Postline-Console-Token';
  var base = window.location.pathname.replace(/\/+$/, '');
  var refreshMs = Number(meta('refresh-ms')) || 2000;
  var templates = {};
  var revealed = {};
  var shownDeadLetters = null;
  var tick = 0;

  function meta(name) {
    var m = document.querySelector('meta[name="' + name + '"]');
    return m ? m.getAttribute('content') : '';
  }

  function $(id) { return document.getElementById(id); }

  function el(tag, text, cls) {
    var e = document.createElement(tag);
    if (text !== undefined && text !== null) { e.textContent = String(text); }
    if (cls) { e.className = cls; }
    return e;
  }

  function say(text, error) {
    var m = $('message');
    m.textContent = text;
    m.className = error ? 'error' : '';
  }

  function read(response) {
    return response.text().then(function (text) {
      var body = null;
      try { body = text ? JSON.parse(text) : null; } catch (e) { body = null; }
      if (!response.ok) {
        var why = body && body.error ? body.error : 'refused (HTTP ' + response.status + ')';
        var err = new Error(why);
        err.status = response.status;
        throw err;
      }
      return body;
    });
  }

  function get(view, params) {
    var query = params ? '?' + new URLSearchParams(params).toString() : '';
    return fetch(base + '/' + view + query, {
      headers: { 'Accept': 'application/json' }, credentials: 'same-origin', cache: 'no-store'
    }).then(read);
  }

  function post(action, body) {
    var headers = { 'Content-Type': 'application/json', 'Accept': 'application/json' };
    headers[TOKEN_HEADER] = meta('postline-console-token');
    if (meta('csrf-header')) { headers[meta('csrf-header')] = meta('csrf-token'); }
    return fetch(base + '/' + action, {
      method: 'POST', headers: headers, credentials: 'same-origin', cache: 'no-store',
      body: JSON.stringify(body || {})
    }).then(read);
  }

  function confirmThen(message, action) {
    var dialog = $('confirm');
    $('confirm-message').textContent = message;
    var ok = $('confirm-ok');
    var cancel = $('confirm-cancel');
    function close(run) {
      ok.onclick = null;
      cancel.onclick = null;
      dialog.close();
      if (run) { action(); }
    }
    ok.onclick = function () { close(true); };
    cancel.onclick = function () { close(false); };
    dialog.showModal();
  }

  function clear(node) { while (node.firstChild) { node.removeChild(node.firstChild); } }

  function time(iso) {
    if (!iso) { return ''; }
    var d = new Date(iso);
    return isNaN(d.getTime()) ? String(iso) : d.toLocaleString();
  }

  /* Queue counts and dead letters. */
  function showQueue(report) {
    var c = report.counts;
    ['HIGH', 'NORMAL', 'LOW'].forEach(function (p) {
      $('count-ready-' + p).textContent = String(c.ready[p] || 0);
    });
    $('count-scheduled').textContent = String(c.scheduled);
    $('count-leased').textContent = String(c.leased);
    $('count-dead').textContent = String(c.deadLettered);
    // Rebuilt only when the dead letters change, so a poll never pulls a button from under the operator.
    var key = JSON.stringify(report.deadLetters);
    if (key === shownDeadLetters) { return; }
    shownDeadLetters = key;
    var rows = $('dead-letter-rows');
    clear(rows);
    report.deadLetters.forEach(function (d) {
      var tr = el('tr');
      tr.setAttribute('data-id', d.id);
      var id = el('td', d.id, 'mono');
      tr.appendChild(id);
      tr.appendChild(el('td', d.reason));
      tr.appendChild(el('td', d.kind));
      tr.appendChild(el('td', d.attempts));
      tr.appendChild(el('td', d.priority));
      var who = el('td');
      d.recipients.forEach(function (r, i) {
        var shown = revealed[d.id + '/' + i];
        var span = el('span', shown || r, 'recipient mono');
        span.setAttribute('data-index', String(i));
        who.appendChild(span);
        var reveal = el('button', 'reveal', 'link reveal');
        reveal.type = 'button';
        reveal.hidden = !!shown;
        reveal.onclick = function () {
          post('reveal', { id: d.id, recipient: i }).then(function (r2) {
            revealed[d.id + '/' + i] = r2.address;
            span.textContent = r2.address;
            reveal.hidden = true;
            say('Revealed a recipient of ' + d.id + ' (logged as an operator action).');
          }, function (e) { say(e.message, true); });
        };
        who.appendChild(reveal);
        who.appendChild(el('br'));
      });
      tr.appendChild(who);
      tr.appendChild(el('td', time(d.deadLetteredAt)));
      var actions = el('td');
      var requeue = el('button', 'Requeue', 'requeue');
      requeue.type = 'button';
      requeue.onclick = function () {
        confirmThen('Requeue dead letter ' + d.id + '?', function () { act('requeue', d.id); });
      };
      var purge = el('button', 'Purge', 'purge danger');
      purge.type = 'button';
      purge.onclick = function () {
        confirmThen('Purge dead letter ' + d.id + '? It cannot be undone.', function () { act('purge', d.id); });
      };
      var look = el('button', 'Audit', 'link audit');
      look.type = 'button';
      look.onclick = function () { $('lookup-id').value = d.id; lookup(); };
      actions.appendChild(requeue);
      actions.appendChild(purge);
      actions.appendChild(look);
      tr.appendChild(actions);
      rows.appendChild(tr);
    });
    $('dead-letters-empty').hidden = report.deadLetters.length > 0;
  }

  function act(action, id) {
    post(action, id ? { id: id } : {}).then(function (r) {
      say((action === 'requeue' ? 'Requeued ' : 'Purged ') + r.affected + ' dead letter' + (r.affected === 1 ? '' : 's') + '.');
      refresh();
    }, function (e) { say(e.message, true); });
  }

  /* Throughput: one small bar chart per provider. */
  var SVG = 'http://www.w3.org/2000/svg';

  function chart(series) {
    var n = series.sent.length;
    var max = 1;
    for (var i = 0; i < n; i++) { max = Math.max(max, series.sent[i] + series.failed[i]); }
    var w = 600;
    var h = 48;
    var bw = w / n;
    var svg = document.createElementNS(SVG, 'svg');
    svg.setAttribute('viewBox', '0 0 ' + w + ' ' + h);
    svg.setAttribute('preserveAspectRatio', 'none');
    svg.setAttribute('role', 'img');
    for (var j = 0; j < n; j++) {
      var sh = series.sent[j] / max * (h - 2);
      var fh = series.failed[j] / max * (h - 2);
      if (sh > 0) { svg.appendChild(rect(j * bw + 1, h - sh, bw - 2, sh, 'bar-sent')); }
      if (fh > 0) { svg.appendChild(rect(j * bw + 1, h - sh - fh, bw - 2, fh, 'bar-failed')); }
    }
    return svg;
  }

  function rect(x, y, w, h, cls) {
    var r = document.createElementNS(SVG, 'rect');
    r.setAttribute('x', String(x));
    r.setAttribute('y', String(y));
    r.setAttribute('width', String(Math.max(1, w)));
    r.setAttribute('height', String(h));
    r.setAttribute('class', cls);
    return r;
  }

  function sum(a) { return a.reduce(function (s, v) { return s + v; }, 0); }

  function showThroughput(t) {
    $('throughput-minutes').textContent = String(t.minutes.length);
    var charts = $('charts');
    clear(charts);
    var names = Object.keys(t.providers).sort();
    if (names.length === 0) { charts.appendChild(el('p', 'Nothing sent yet.', 'empty')); return; }
    names.forEach(function (name) {
      var s = t.providers[name];
      var row = el('div', null, 'chart');
      row.setAttribute('data-provider', name);
      row.appendChild(el('span', name, 'name'));
      var totals = el('span', null, 'totals');
      var sent = el('span', sum(s.sent), 'sent-total');
      var failed = el('span', sum(s.failed), 'failed-total');
      totals.appendChild(sent);
      totals.appendChild(document.createTextNode(' sent, '));
      totals.appendChild(failed);
      totals.appendChild(document.createTextNode(' failed'));
      row.appendChild(totals);
      row.appendChild(chart(s));
      charts.appendChild(row);
    });
  }

  function showHealth(h) {
    var status = $('health-status');
    status.textContent = h.status;
    status.className = 'status-' + h.status;
    var rows = $('health-rows');
    clear(rows);
    h.providers.forEach(function (p) {
      var tr = el('tr');
      tr.setAttribute('data-provider', p.provider);
      tr.appendChild(el('td', p.provider));
      tr.appendChild(el('td', p.status, 'status-' + p.status));
      tr.appendChild(el('td', p.circuit, 'circuit-' + p.circuit));
      tr.appendChild(el('td', p.detail || ''));
      rows.appendChild(tr);
    });
  }

  /* One message's audit trail. */
  function lookup() {
    var id = $('lookup-id').value.trim();
    var rows = $('lookup-rows');
    if (!id) { return; }
    get('audit', { id: id }).then(function (trail) {
      $('lookup-status').textContent = 'Status: ' + trail.status;
      $('lookup-status').setAttribute('data-status', trail.status);
      clear(rows);
      trail.events.forEach(function (e) {
        var tr = el('tr');
        tr.appendChild(el('td', e.type));
        tr.appendChild(el('td', time(e.timestamp)));
        tr.appendChild(el('td', e.provider || e.toProvider || ''));
        var rest = [];
        Object.keys(e).forEach(function (k) {
          if (['type', 'timestamp', 'provider', 'mailId'].indexOf(k) < 0) { rest.push(k + '=' + e[k]); }
        });
        tr.appendChild(el('td', rest.join(', '), 'mono'));
        rows.appendChild(tr);
      });
    }, function (e) {
      clear(rows);
      $('lookup-status').textContent = e.message;
      $('lookup-status').setAttribute('data-status', 'none');
    });
  }

  /* Suppression list. */
  function showSuppressions(s, searched) {
    $('suppressions-unavailable').hidden = s.available;
    $('suppressions-available').hidden = !s.available;
    if (!s.available) { return; }
    $('suppression-count').textContent = s.count + ' entr' + (s.count === 1 ? 'y' : 'ies');
    var rows = $('suppression-rows');
    clear(rows);
    var list = searched ? s.search : s.entries;
    list.forEach(function (e) {
      var tr = el('tr');
      tr.appendChild(el('td', e.address.substring(0, 16) + '…', 'mono'));
      tr.appendChild(el('td', e.list || 'all mail'));
      tr.appendChild(el('td', e.reason));
      tr.appendChild(el('td', e.source));
      tr.appendChild(el('td', time(e.createdAt)));
      tr.appendChild(el('td', e.expiresAt ? time(e.expiresAt) : ''));
      rows.appendChild(tr);
    });
    if (searched) {
      $('suppression-result').textContent = list.length === 0 ? 'That address is not suppressed.'
        : 'That address has ' + list.length + ' entr' + (list.length === 1 ? 'y' : 'ies') + '.';
      $('suppression-remove').disabled = list.length === 0;
    } else {
      $('suppression-result').textContent = s.entries.length < s.count ? 'The newest ' + s.entries.length + ' entries.' : '';
      $('suppression-remove').disabled = true;
    }
  }

  function searchSuppressions() {
    var address = $('suppression-address').value.trim();
    get('suppressions', address ? { address: address } : null).then(function (s) {
      showSuppressions(s, !!address);
    }, function (e) { say(e.message, true); });
  }

  function removeSuppression() {
    var address = $('suppression-address').value.trim();
    if (!address) { return; }
    confirmThen('Remove every suppression entry of this address? Mail to it will be sent again.', function () {
      post('unsuppress', { address: address }).then(function (r) {
        say('Removed ' + r.removed + ' suppression entr' + (r.removed === 1 ? 'y' : 'ies') + '.');
        searchSuppressions();
      }, function (e) { say(e.message, true); });
    });
  }

  /* Template preview. */
  function fillLocales() {
    var select = $('preview-locale');
    clear(select);
    (templates[$('preview-template').value] || ['']).forEach(function (l) {
      var o = el('option', l === '' ? 'default' : l);
      o.value = l;
      select.appendChild(o);
    });
  }

  function showTemplates(t) {
    templates = t.templates || {};
    var names = Object.keys(templates);
    $('templates-unavailable').hidden = t.available && names.length > 0;
    var select = $('preview-template');
    clear(select);
    names.forEach(function (n) {
      var o = el('option', n);
      o.value = n;
      select.appendChild(o);
    });
    fillLocales();
  }

  function preview() {
    var model;
    try {
      model = JSON.parse($('preview-model').value || '{}');
    } catch (e) {
      say('The model is not valid JSON: ' + e.message, true);
      return;
    }
    if (model === null || typeof model !== 'object' || Array.isArray(model)) {
      say('The model must be a JSON object, such as {"name": "Ann"}.', true);
      return;
    }
    var body = { template: $('preview-template').value, locale: $('preview-locale').value, model: JSON.stringify(model) };
    post('preview', body).then(function (r) {
      $('preview-subject').textContent = r.subject;
      $('preview-subject').setAttribute('data-locale', r.locale);
      $('preview-text').textContent = r.text || '(no text part)';
      var policy = '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; img-src data:; style-src \'unsafe-inline\'">';
      $('preview-html').srcdoc = policy + (r.html || '<p>(no HTML part)</p>');
      say('Rendered ' + r.template + ' in ' + (r.locale || 'the default locale') + '.');
    }, function (e) { say(e.message, true); });
  }

  /* Polling. */
  function refresh() {
    var jobs = [get('queue').then(showQueue), get('throughput').then(showThroughput)];
    if (tick % 5 === 0) { jobs.push(get('health').then(showHealth)); }
    tick++;
    return Promise.all(jobs).then(function () {
      $('last-updated').textContent = new Date().toLocaleTimeString();
    }, function (e) {
      say('Refresh failed: ' + e.message + (e.status === 401 || e.status === 403 ? ' (sign in again)' : ''), true);
    });
  }

  function schedule() {
    refresh().then(function () { window.setTimeout(schedule, refreshMs); });
  }

  $('requeue-all').onclick = function () {
    confirmThen('Requeue every dead letter?', function () { act('requeue', null); });
  };
  $('purge-all').onclick = function () {
    confirmThen('Purge every dead letter? It cannot be undone.', function () { act('purge', null); });
  };
  $('lookup-go').onclick = lookup;
  $('lookup-id').onkeydown = function (e) { if (e.key === 'Enter') { lookup(); } };
  $('suppression-search').onclick = searchSuppressions;
  $('suppression-remove').onclick = removeSuppression;
  $('preview-template').onchange = fillLocales;
  $('preview-go').onclick = preview;

  get('templates').then(showTemplates, function (e) { say(e.message, true); });
  get('suppressions').then(function (s) { showSuppressions(s, false); }, function (e) { say(e.message, true); });
  schedule();
}());
