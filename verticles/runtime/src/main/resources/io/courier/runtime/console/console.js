// The operator's console: polls this admin server's JSON endpoints and draws them. Plain DOM, no
// framework and nothing fetched from elsewhere; every value is set as text, never as markup.
'use strict';

(function () {
  const TOKEN_KEY = 'courier.admin.token';
  const POLL_MS = 2000;
  const $ = (id) => document.getElementById(id);
  let timer = null;
  let chosenId = null;
  let lastDlt = [];

  function token() {
    return sessionStorage.getItem(TOKEN_KEY);
  }

  class Unauthorized extends Error {}

  async function call(method, path, body) {
    const headers = { Accept: 'application/json' };
    if (token()) {
      headers.Authorization = 'Bearer ' + token();
    }
    if (body !== undefined) {
      headers['Content-Type'] = 'application/json';
    }
    const response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: 'no-store',
      credentials: 'omit',
    });
    if (response.status === 401) {
      throw new Unauthorized('the admin server wants a token');
    }
    const json = await response.json();
    if (!response.ok) {
      throw new Error(json.detail || json.error || response.status + ' ' + response.statusText);
    }
    return json;
  }

  function el(tag, text, cls) {
    const node = document.createElement(tag);
    if (text !== undefined && text !== null) {
      node.textContent = String(text);
    }
    if (cls) {
      node.className = cls;
    }
    return node;
  }

  function row(cells, cls) {
    const tr = el('tr', null, cls);
    for (const cell of cells) {
      const td = el('td');
      if (cell instanceof Node) {
        td.appendChild(cell);
      } else {
        td.textContent = cell === undefined || cell === null ? '' : String(cell);
      }
      tr.appendChild(td);
    }
    return tr;
  }

  function fill(tableId, rows, empty) {
    const body = $(tableId).tBodies[0];
    body.replaceChildren();
    if (rows.length === 0) {
      const td = el('td', empty, 'empty');
      td.colSpan = $(tableId).tHead.rows[0].cells.length;
      const tr = el('tr');
      tr.appendChild(td);
      body.appendChild(tr);
      return;
    }
    rows.forEach((r) => body.appendChild(r));
  }

  function tags(entries, offWhen) {
    const span = el('span');
    for (const [key, value] of entries) {
      const text = value === undefined ? key : key + ': ' + value;
      span.appendChild(el('span', text, offWhen && offWhen(key, value) ? 'tag off' : 'tag'));
    }
    return span;
  }

  function state(value) {
    return el('span', value, String(value || ''));
  }

  function drawTopology(view) {
    const cluster = view.cluster || {};
    const processes = cluster.processes && cluster.processes.length
      ? cluster.processes
      : [Object.assign({ member: cluster.self || 'local' }, view.process || {})];
    fill('members', processes.map((p) => {
      const member = p.member + (p.member === cluster.self ? ' (this)' : '');
      return row([
        member,
        state(p.state),
        p.version,
        p.profile,
        tags(Object.entries(p.roles || {}).map(([r, s]) => [r, s === 'deployed' ? undefined : s]),
          (r, s) => s !== undefined),
        tags(Object.entries(p.endpoints || {})),
      ]);
    }), 'no member has announced itself yet');
    const discovered = (view.sections || {}).discovered || {};
    const services = [];
    for (const [service, instances] of Object.entries(discovered).sort()) {
      for (const i of instances) {
        const t = i.tags || {};
        const rest = Object.entries(t).filter(([k]) => k !== 'version' && k !== 'zone');
        services.push(row([cluster.self, service, i.address, state(i.breaker), t.version, t.zone,
          tags(rest)]));
      }
    }
    fill('services', services, 'no client has discovered a service in this process');
  }

  function drawResilience(view) {
    const self = (view.cluster || {}).self;
    const bulkheads = view.bulkheads || {};
    const targets = new Set([...Object.keys(view.breakers || {}), ...Object.keys(bulkheads)]);
    const rows = [];
    for (const target of [...targets].sort()) {
      const b = bulkheads[target];
      rows.push(row([self, target, '(all)', state((view.breakers || {})[target] || '-'),
        b ? b.running + ' / ' + b.queued + ' / ' + b.limit : '-']));
    }
    const discovered = (view.sections || {}).discovered || {};
    for (const [service, instances] of Object.entries(discovered).sort()) {
      for (const i of instances) {
        rows.push(row([self, service, i.address, state(i.breaker), '-']));
      }
    }
    fill('breakers', rows, 'no breaker in this process');
    const transitions = ((view.sections || {}).breakerTransitions || []).slice().reverse();
    fill('transitions', transitions.map((t) =>
      row([self, t.at, t.target, t.instance || '(all)', state(t.state)])),
      'no breaker has changed state since this process started');
  }

  function drawLag(view) {
    const self = (view.cluster || {}).self;
    const rows = [];
    for (const [group, c] of Object.entries(view.consumers || {}).sort()) {
      const byTopic = new Map();
      for (const [key, lag] of Object.entries(c.partitions || {})) {
        const cut = key.lastIndexOf('-');
        const topic = key.substring(0, cut);
        if (!byTopic.has(topic)) {
          byTopic.set(topic, []);
        }
        byTopic.get(topic).push([Number(key.substring(cut + 1)), lag]);
      }
      for (const [topic, partitions] of [...byTopic.entries()].sort()) {
        partitions.sort((a, b) => a[0] - b[0]);
        const cells = el('span');
        let total = 0;
        for (const [partition, lag] of partitions) {
          total += lag;
          cells.appendChild(el('span', 'p' + partition + ' ' + lag, lag > 0 ? 'tag lagging' : 'tag'));
        }
        rows.push(row([self, group, topic, cells, el('span', total, total > 0 ? 'lagging' : '')]));
      }
      if (byTopic.size === 0) {
        rows.push(row([self, group, '-', '-', el('span', c.lag, c.lag > 0 ? 'lagging' : '')]));
      }
    }
    fill('lag', rows, 'no consumer group in this process');
  }

  function since(text) {
    const value = text.trim();
    if (!value) {
      return null;
    }
    const short = /^(\d+)([smhd])$/.exec(value);
    if (short) {
      const unit = { s: 1e3, m: 6e4, h: 36e5, d: 864e5 }[short[2]];
      return new Date(Date.now() - Number(short[1]) * unit).toISOString();
    }
    const date = new Date(value);
    if (isNaN(date.getTime())) {
      throw new Error('"' + value + '" is neither an instant nor 30m, 2h, 1d');
    }
    return date.toISOString();
  }

  function selectedIds() {
    return [...$('dlt').querySelectorAll('tbody input[type=checkbox]:checked')].map((c) => c.value);
  }

  function showDetail(letter) {
    chosenId = letter.id;
    $('dlt-detail').hidden = false;
    $('dlt-detail-title').textContent = letter.id + ' — ' + (letter.error || '');
    $('dlt-headers').textContent = JSON.stringify(letter.headers, null, 2);
    $('dlt-payload').textContent = JSON.stringify(letter.payload, null, 2);
    for (const tr of $('dlt').tBodies[0].rows) {
      tr.classList.toggle('chosen', tr.dataset.id === letter.id);
    }
  }

  function drawDlt(listing) {
    const kept = new Set(selectedIds());
    lastDlt = listing.records;
    fill('dlt', listing.records.map((letter) => {
      const box = el('input');
      box.type = 'checkbox';
      box.value = letter.id;
      box.disabled = letter.replayed;
      box.checked = kept.has(letter.id) && !letter.replayed;
      box.addEventListener('click', (e) => { e.stopPropagation(); updateReplayButton(); });
      const tr = row([box, letter.id, letter.parkedAt, letter.key, letter.type, letter.errorClass,
        letter.replayed ? 'yes' : 'no'], 'clickable');
      tr.dataset.id = letter.id;
      tr.dataset.replayed = String(letter.replayed);
      tr.addEventListener('click', () => showDetail(letter));
      return tr;
    }), 'nothing parked in ' + listing.topic + '.dlt matches');
    const chosen = listing.records.find((l) => l.id === chosenId);
    if (chosen) {
      showDetail(chosen);
    }
    updateReplayButton();
  }

  function updateReplayButton() {
    $('dlt-replay').disabled = selectedIds().length === 0;
  }

  async function loadTopics() {
    const { topics } = await call('GET', '/admin/dlt');
    const select = $('dlt-topic');
    const current = select.value;
    select.replaceChildren(...topics.map((t) => el('option', t)));
    if (topics.includes(current)) {
      select.value = current;
    }
  }

  async function loadDlt() {
    const topic = $('dlt-topic').value;
    if (!topic) {
      fill('dlt', [], 'no topic has a dead-letter topic');
      return;
    }
    const params = new URLSearchParams();
    const errorClass = $('dlt-error').value.trim();
    if (errorClass) {
      params.set('errorClass', errorClass);
    }
    const from = since($('dlt-since').value);
    if (from) {
      params.set('since', from);
    }
    drawDlt(await call('GET', '/admin/dlt/' + encodeURIComponent(topic) + '?' + params));
  }

  async function replay() {
    const ids = selectedIds();
    const topic = $('dlt-topic').value;
    if (ids.length === 0 || !window.confirm('Replay ' + ids.length + ' record(s) to ' + topic + '?')) {
      return;
    }
    $('dlt-replay').disabled = true;
    try {
      const done = await call('POST', '/admin/dlt/' + encodeURIComponent(topic) + '/replay', { ids });
      $('dlt-message').textContent = 'replayed ' + done.replayed.length + ' to ' + topic +
        (done.replayedBefore.length ? ' (' + done.replayedBefore.length + ' replayed before)' : '');
      await loadDlt();
    } catch (e) {
      handle(e);
    }
  }

  function handle(e) {
    if (e instanceof Unauthorized) {
      stop();
      $('login').hidden = false;
      $('main').hidden = true;
      $('login-error').textContent = token() ? 'the token was refused' : '';
      setStatus('needs a token', true);
    } else {
      setStatus(e.message, true);
    }
  }

  function setStatus(text, bad) {
    $('status').textContent = text;
    $('status').classList.toggle('bad', !!bad);
  }

  async function refresh() {
    try {
      const view = await call('GET', '/admin');
      drawTopology(view);
      drawResilience(view);
      drawLag(view);
      setStatus('updated ' + new Date().toLocaleTimeString());
      document.body.dataset.refreshed = String(Date.now());
    } catch (e) {
      handle(e);
    }
  }

  function start() {
    stop();
    if ($('live').checked) {
      timer = setInterval(refresh, POLL_MS);
    }
  }

  function stop() {
    if (timer) {
      clearInterval(timer);
      timer = null;
    }
  }

  async function boot() {
    $('login').hidden = true;
    $('main').hidden = false;
    await refresh();
    if (!$('login').hidden) {
      return;
    }
    start();
    try {
      await loadTopics();
      await loadDlt();
    } catch (e) {
      handle(e);
    }
  }

  document.addEventListener('DOMContentLoaded', () => {
    $('live').addEventListener('change', start);
    $('login').addEventListener('submit', (e) => {
      e.preventDefault();
      sessionStorage.setItem(TOKEN_KEY, $('token').value.trim());
      $('token').value = '';
      boot();
    });
    $('dlt-filter').addEventListener('submit', (e) => {
      e.preventDefault();
      loadTopics().then(loadDlt).catch(handle);
    });
    $('dlt-topic').addEventListener('change', () => loadDlt().catch(handle));
    $('dlt-replay').addEventListener('click', replay);
    $('dlt-all').addEventListener('change', () => {
      for (const box of $('dlt').querySelectorAll('tbody input[type=checkbox]:not(:disabled)')) {
        box.checked = $('dlt-all').checked;
      }
      updateReplayButton();
    });
    boot();
  });
})();
