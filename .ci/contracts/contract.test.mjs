// The contract test (issue 23): every case of cases.mjs goes through Prism's validating proxy in
// front of a running gateway, and no request or response may break courier-api.yaml. Started by
// .ci/contracts.sh, which runs the gateway and the two proxies and passes their addresses:
//
//   CONTRACT_DOC      the OpenAPI document
//   PRISM_STRICT      `prism proxy --errors`: a request the contract refuses is answered by Prism
//                     itself and never forwarded; a response that breaks it becomes Prism's 500
//   PRISM_REPORT      `prism proxy` without --errors: forwards everything, and reports what
//                     breaks the contract in its `sl-violations` header
//   GATEWAY_ADMIN     the gateway process's admin server (fault points)
//   TOKENS            JSON: name -> bearer token (cases name their token)
//
// A case the contract calls valid goes through PRISM_STRICT: the gateway's answer must have the
// case's status and Prism may report nothing at all (no violation of any severity: a status the
// document does not declare is only a warning for Prism, and fails here). A case the contract
// calls invalid must be refused by PRISM_STRICT itself (the contract refuses what the gateway
// refuses), and goes through PRISM_REPORT: the gateway's answer must have the case's status and
// Prism may report violations of the request only. Each answer's JSON must also declare every
// field it holds. Afterwards every example of the document must have been a real answer, and
// every status each operation declares must have been seen, or be listed in `unexercised`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import yaml from 'js-yaml';
import { cases, unexercised } from './cases.mjs';

const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run .ci/contracts.sh`);
  return value;
};
const doc = yaml.load(readFileSync(env('CONTRACT_DOC'), 'utf8'));
const strict = env('PRISM_STRICT');
const report = env('PRISM_REPORT');
const admin = env('GATEWAY_ADMIN');
const tokens = JSON.parse(env('TOKENS'));
const PRISM_ERRORS = 'https://stoplight.io/prism/errors#';
const REQUEST_TIMEOUT_MS = 20_000;

const json = { 'Content-Type': 'application/json' };
const ctx = {};
const seen = new Map(); // "operationId status" -> case name
const examplesChecked = new Set();

const operations = new Map();
for (const [path, item] of Object.entries(doc.paths)) {
  for (const [method, operation] of Object.entries(item)) {
    if (operation && operation.operationId) {
      operations.set(operation.operationId, { path, method: method.toUpperCase(), operation });
    }
  }
}

/** Every example of the document: "<operationId> <status> <name>", "<Component> <name>", or
 * "<operationId> <name>" for a request body's. */
function examples() {
  const found = new Map();
  const collect = (prefix, content) => {
    for (const media of Object.values(content || {})) {
      for (const [name, example] of Object.entries(media.examples || {})) {
        found.set(`${prefix} ${name}`, example.value);
      }
    }
  };
  for (const [id, { operation }] of operations) {
    collect(id, operation.requestBody?.content);
    for (const [status, response] of Object.entries(operation.responses)) {
      if (!response.$ref) collect(`${id} ${status}`, response.content);
    }
  }
  for (const [name, response] of Object.entries(doc.components?.responses || {})) {
    collect(name, response.content);
  }
  return found;
}
const allExamples = examples();

function resolve(node) {
  while (node && node.$ref) {
    node = node.$ref.slice(2).split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
      .reduce((at, key) => at[key], doc);
  }
  return node;
}

/** The fields of `value` that `schema` does not declare, as JSON pointers. */
function undeclared(schema, value, at = '') {
  schema = resolve(schema);
  if (!schema || value === null || typeof value !== 'object') return [];
  const parts = [schema, ...(schema.allOf || []).map(resolve)];
  if (Array.isArray(value)) {
    const items = parts.map((p) => p.items).find(Boolean);
    return items ? value.flatMap((v, i) => undeclared(items, v, `${at}/${i}`)) : [];
  }
  const properties = Object.assign({}, ...parts.map((p) => p.properties || {}));
  if (Object.keys(properties).length === 0) return [];
  return Object.entries(value).flatMap(([name, v]) =>
    name in properties ? undeclared(properties[name], v, `${at}/${name}`) : [`${at}/${name}`]);
}

function responseSchema(op, status, contentType) {
  const response = resolve(operations.get(op).operation.responses[String(status)]);
  const media = response?.content?.[(contentType || '').split(';')[0].trim()];
  return media?.schema;
}

function sameExcept(expected, actual, volatile, at = '') {
  if (volatile.includes(at.slice(1))) {
    assert.equal(typeof actual, typeof expected, `${at}: ${JSON.stringify(actual)}`);
    return;
  }
  if (expected !== null && typeof expected === 'object') {
    assert.ok(actual !== null && typeof actual === 'object', `${at}: ${JSON.stringify(actual)}`);
    assert.deepEqual(Object.keys(actual).sort(), Object.keys(expected).sort(), `keys at ${at || '/'}`);
    for (const k of Object.keys(expected)) sameExcept(expected[k], actual[k], volatile, `${at}/${k}`);
    return;
  }
  assert.equal(actual, expected, `at ${at || '/'}`);
}

async function send(base, c) {
  const path = typeof c.path === 'function' ? c.path(ctx) : c.path;
  const headers = { ...(c.headers || {}) };
  if (c.token) headers.Authorization = `Bearer ${tokens[c.token] ?? assert.fail(`no token ${c.token}`)}`;
  let body;
  if (c.raw !== undefined) body = c.raw;
  else if (c.requestExample) body = JSON.stringify(allExamples.get(c.requestExample));
  else if (c.body !== undefined) body = JSON.stringify(c.body);
  const response = await fetch(base + path, {
    method: c.method, headers, body, signal: AbortSignal.timeout(c.timeoutMs || REQUEST_TIMEOUT_MS),
  });
  const text = await response.text();
  let json;
  try { json = text ? JSON.parse(text) : undefined; } catch { json = undefined; }
  const violations = response.headers.get('sl-violations');
  const stream = (response.headers.get('content-type') || '').startsWith('text/event-stream');
  return {
    status: response.status, headers: response.headers, text, body: json,
    events: stream ? sseEvents(text) : undefined,
    violations: violations ? JSON.parse(violations.replace(/^Too many violations! /, '')) : [],
  };
}

// A text/event-stream answer as its events: { id, event, data } with data parsed as JSON.
function sseEvents(text) {
  return text.split(/\n\n+/).filter((block) => block.trim() && !block.startsWith(':')).map((block) => {
    const event = {};
    for (const line of block.split('\n')) {
      const at = line.indexOf(':');
      if (at > 0) event[line.slice(0, at)] = line.slice(at + 1).trim();
    }
    return { ...event, data: event.data === undefined ? undefined : JSON.parse(event.data) };
  });
}

const show = (res) => `${res.status} ${res.text.slice(0, 600)}\nviolations: ${JSON.stringify(res.violations)}`;

async function fault(point, settings) {
  const response = await fetch(`${admin}/admin/faults/${point}`, settings
    ? { method: 'PUT', body: JSON.stringify(settings), headers: json }
    : { method: 'DELETE' });
  assert.ok(response.ok, `admin fault ${point}: ${response.status} ${await response.text()}`);
}
function checkAnswer(c, res, expectedStatuses) {
  assert.ok(expectedStatuses.includes(res.status), `expected ${expectedStatuses}, got ${show(res)}`);
  assert.ok(!(res.body?.type || '').startsWith(PRISM_ERRORS), `Prism answered: ${show(res)}`);
  const schema = responseSchema(c.op, res.status, res.headers.get('content-type'));
  if (res.body !== undefined) {
    assert.ok(schema, `no schema for ${res.status} ${res.headers.get('content-type')}`);
    assert.deepEqual(undeclared(schema, res.body), [], `fields the contract does not declare: ${res.text}`);
  }
  seen.set(`${c.op} ${res.status}`, c.name);
}

async function run(c) {
  const expected = [].concat(c.expect);
  const invalid = c.contract === 'invalid';
  if (invalid) {
    const refused = await send(strict, c);
    assert.ok((refused.body?.type || '').startsWith(PRISM_ERRORS),
      `the contract should refuse this request, but Prism forwarded it: ${show(refused)}`);
  }
  const base = invalid ? report : strict;
  let res;
  if (c.burst) {
    // Requests from one client, `concurrency` at a time, until one is answered `expect`; the
    // others may only be answered one of `passes`.
    const passes = c.burst.passes || [200, 202];
    let sent = 0;
    while (!res && sent < c.burst.max) {
      const batch = await Promise.all(Array.from({ length: c.burst.concurrency }, () => send(base, c)));
      sent += batch.length;
      for (const one of batch) {
        assert.deepEqual(one.violations, [], show(one));
        checkAnswer(c, one, [...expected, ...passes]);
      }
      res = batch.find((one) => expected.includes(one.status));
    }
    assert.ok(res, `no ${expected} among ${sent} answers`);
  } else {
    for (let attempt = 0; ; attempt++) {
      res = await send(base, c);
      if (!c.until || !expected.includes(res.status) || c.until(res) || attempt >= 100) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    if (c.until) assert.ok(c.until(res), `still not there after 100 reads: ${show(res)}`);
  }
  if (invalid) {
    assert.ok(res.violations.length > 0 && res.violations.every((v) => v.location[0] === 'request'),
      `Prism should report the request, and only the request: ${show(res)}`);
  } else {
    assert.deepEqual(res.violations, [], show(res));
  }
  checkAnswer(c, res, expected);
  if (c.check) assert.ok(c.check(ctx, res), show(res));
  if (c.example) {
    assert.ok(allExamples.has(c.example), `the document has no example '${c.example}'`);
    try {
      const example = allExamples.get(c.example);
      if (res.events) sameExcept(sseEvents(example), res.events, c.volatile || []);
      else sameExcept(example, res.body, c.volatile || []);
    } catch (e) {
      assert.fail(`example '${c.example}' is not the real answer (${e.message})\nreal answer: ${res.text}`);
    }
    examplesChecked.add(c.example);
  }
  if (c.requestExample) examplesChecked.add(c.requestExample);
  if (c.keep) c.keep(ctx, res);
}

for (const c of cases) {
  test(`${c.op}: ${c.name} -> ${c.expect}`, async () => {
    assert.ok(operations.has(c.op), `the document has no operation ${c.op}`);
    if (c.fault) await fault(c.fault.point, { errorRatio: c.fault.errorRatio });
    try {
      await run(c);
    } finally {
      if (c.fault) await fault(c.fault.point, null);
    }
  });
}

test('every example in the document is a real answer', () => {
  const missing = [...allExamples.keys()].filter((k) => !examplesChecked.has(k));
  assert.deepEqual(missing, [], 'examples no case checked against a real answer');
});

test('every status an operation declares was answered, or is listed as unexercised', () => {
  const problems = [];
  for (const [id, { operation }] of operations) {
    for (const status of Object.keys(operation.responses)) {
      const key = `${id} ${status}`;
      if (!seen.has(key) && !(key in unexercised)) problems.push(`${key}: never answered`);
      if (seen.has(key) && key in unexercised) problems.push(`${key}: answered by "${seen.get(key)}", remove it from unexercised`);
    }
  }
  for (const key of Object.keys(unexercised)) {
    const [id, status] = key.split(' ');
    if (!operations.get(id)?.operation.responses[status]) problems.push(`${key}: not declared`);
  }
  for (const key of seen.keys()) {
    const [id, status] = key.split(' ');
    if (!operations.get(id).operation.responses[status]) problems.push(`${key}: answered but not declared`);
  }
  assert.deepEqual(problems, []);
});

test('every operation of the document has cases', () => {
  // A new operation (form, multipart, SSE, ...) fails here until cases.mjs has its walk-through
  // and its refusals: see README.md beside this file.
  const covered = new Set(cases.map((c) => c.op));
  assert.deepEqual([...operations.keys()].filter((id) => !covered.has(id)), []);
});
