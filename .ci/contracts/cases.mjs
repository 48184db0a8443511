// The requests the contract test sends through Prism to a running gateway, in order: docs/flow.md's
// walk-through, the bad-input table of OrderFlowIT that Prism can carry, the auth refusals, the
// rate limits and a dependency failing. See README.md beside this file for what each field means
// and how to add an operation's cases.

const good = (userId, sku = 'sku-0001', quantity = 1) => ({ userId, items: [{ sku, quantity }] });
const json = { 'Content-Type': 'application/json' };
const key = (k) => ({ ...json, 'Idempotency-Key': k });
const form = (k, body) => ({
  headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'Idempotency-Key': k },
  raw: body,
});
// A multipart/form-data body of `parts` ({ name, filename, type, value }), with its Content-Type.
const multipart = (k, parts) => {
  const boundary = 'courier-contract-boundary';
  let text = '';
  for (const p of parts) {
    text += `--${boundary}\r\nContent-Disposition: form-data; name="${p.name}"`
      + (p.filename ? `; filename="${p.filename}"` : '') + '\r\n'
      + (p.type ? `Content-Type: ${p.type}\r\n` : '') + `\r\n${p.value}\r\n`;
  }
  text += `--${boundary}--\r\n`;
  return {
    headers: { 'Content-Type': `multipart/form-data; boundary=${boundary}`, 'Idempotency-Key': k },
    raw: Buffer.from(text),
  };
};
const csv = (text) => ({ name: 'file', filename: 'orders.csv', type: 'text/csv', value: text });
const importFile = 'userId,sku,quantity\nu1,sku-0002,1\nu1,sku-0002\n';

export const cases = [
  // --- The walk-through (docs/flow.md, "The flow") ---
  {
    name: 'walk-through: u1 places two of sku-0001',
    op: 'placeOrder', method: 'POST', path: '/api/v1/orders', token: 'u1',
    headers: key('my-first-order'), requestExample: 'placeOrder two-of-one-sku',
    expect: 202, example: 'placeOrder 202 placed',
    keep: (ctx, res) => { ctx.order = res.body.orderId; },
  },
  {
    name: 'walk-through: the same key and body give the same order',
    op: 'placeOrder', method: 'POST', path: '/api/v1/orders', token: 'u1',
    headers: key('my-first-order'), requestExample: 'placeOrder two-of-one-sku',
    expect: [202], check: (ctx, res) => res.body.orderId === ctx.order,
  },
  {
    name: 'walk-through: the order, once its payment is decided',
    op: 'getOrder', method: 'GET', path: (ctx) => `/api/v1/orders/${ctx.order}`, token: 'u1',
    until: (res) => res.body.status !== 'PENDING',
    expect: 200, example: 'getOrder 200 confirmed', volatile: ['createdAt', 'updatedAt'],
  },
  // The same order as Server-Sent Events: decided by now, so one event and the stream ends.
  {
    name: 'walk-through: the order as Server-Sent Events, ending at its final state',
    op: 'watchOrderEvents', method: 'GET', path: (ctx) => `/api/v1/orders/${ctx.order}/events`,
    token: 'u1', timeoutMs: 15_000, expect: 200, example: 'watchOrderEvents 200 confirmed',
    volatile: ['0/data/createdAt', '0/data/updatedAt'],
  },
  {
    name: 'events of an unknown order', op: 'watchOrderEvents', method: 'GET',
    path: '/api/v1/orders/no-such-order/events', token: 'u1', expect: 404,
  },
  {
    name: "events of another user's order", op: 'watchOrderEvents', method: 'GET',
    path: (ctx) => `/api/v1/orders/${ctx.order}/events`, token: 'u9', expect: 403,
  },
  {
    name: 'events of an order id of 65 characters', op: 'watchOrderEvents', method: 'GET',
    path: `/api/v1/orders/${'o'.repeat(65)}/events`, token: 'u1', contract: 'invalid', expect: 400,
  },
  {
    name: 'events without a token', op: 'watchOrderEvents', method: 'GET',
    path: (ctx) => `/api/v1/orders/${ctx.order}/events`, token: null, contract: 'invalid',
    expect: 401,
  },
  {
    name: 'events with headers over gateway.maxHeaderBytes', op: 'watchOrderEvents',
    method: 'GET', path: (ctx) => `/api/v1/orders/${ctx.order}/events`, token: 'u1',
    headers: { 'X-Padding': 'p'.repeat(10_000) }, expect: 431,
  },
  {
    name: 'events with a request line over gateway.maxUriLength', op: 'watchOrderEvents',
    method: 'GET', path: (ctx) => `/api/v1/orders/${ctx.order}/events?pad=${'p'.repeat(5000)}`,
    token: 'u1', expect: 414,
  },
  {
    name: 'walk-through: the stock of sku-0001',
    op: 'getStock', method: 'GET', path: '/api/v1/inventory/sku-0001', token: 'u1',
    // The inventory commits the sale when it reads OrderConfirmed, a moment after the order.
    until: (res) => res.body.sold === 2,
    expect: 200, example: 'getStock 200 after-the-first-order',
  },
  {
    name: "walk-through: u1's own profile",
    op: 'getUser', method: 'GET', path: '/api/v1/users/u1', token: 'u1',
    expect: 200, example: 'getUser 200 u1',
  },
  {
    name: "walk-through: someone else's profile",
    op: 'getUser', method: 'GET', path: '/api/v1/users/u2', token: 'u1',
    expect: 403, example: 'Forbidden forbidden',
  },
  {
    name: 'walk-through: no token',
    op: 'getOrder', method: 'GET', path: (ctx) => `/api/v1/orders/${ctx.order}`, token: null,
    contract: 'invalid', expect: 401, example: 'Unauthorized no-token',
  },
  {
    name: 'walk-through: quantity 0',
    op: 'placeOrder', method: 'POST', path: '/api/v1/orders', token: 'u1',
    headers: key('demo-2'), body: good('u1', 'sku-0001', 0),
    contract: 'invalid', expect: 400, example: 'BadRequest invalid-body',
  },
  {
    name: 'walk-through: an order the provider declines ends CANCELLED',
    op: 'placeOrder', method: 'POST', path: '/api/v1/orders', token: 'u1',
    headers: key('demo-17'), body: good('u1', 'sku-0002'),
    expect: 202, keep: (ctx, res) => { ctx.declined = res.body.orderId; },
  },
  {
    name: 'walk-through: the declined order',
    op: 'getOrder', method: 'GET', path: (ctx) => `/api/v1/orders/${ctx.declined}`, token: 'u1',
    until: (res) => res.body.status !== 'PENDING',
    expect: 200, example: 'getOrder 200 cancelled', volatile: ['createdAt', 'updatedAt'],
  },

  // --- Conflicts ---
  {
    name: 'the key my-first-order with another body',
    op: 'placeOrder', method: 'POST', path: '/api/v1/orders', token: 'u1',
    headers: key('my-first-order'), body: good('u1', 'sku-0003'),
    expect: 409, example: 'Conflict idempotency-key-reused',
  },
  {
    name: 'more than the stock',
    op: 'placeOrder', method: 'POST', path: '/api/v1/orders', token: 'u1',
    headers: key('too-many'), body: good('u1', 'sku-0001', 10000),
    expect: 409, example: 'Conflict insufficient-stock',
  },
  {
    name: 'the cancelled order placed again with its key and body: the same, cancelled, order',
    op: 'placeOrder', method: 'POST', path: '/api/v1/orders', token: 'u1',
    headers: key('demo-17'), body: good('u1', 'sku-0002'),
    expect: 202, check: (ctx, res) => res.body.orderId === ctx.declined && res.body.status === 'CANCELLED',
  },

  // --- Bad input (OrderFlowIT's table, where Prism can carry it) ---
  {
    name: 'userId missing', op: 'placeOrder', method: 'POST', path: '/api/v1/orders', token: 'u1',
    headers: key('k'), body: { items: [{ sku: 'sku-0001', quantity: 1 }] },
    contract: 'invalid', expect: 400,
  },
  {
    name: 'userId a number', op: 'placeOrder', method: 'POST', path: '/api/v1/orders', token: 'u1',
    headers: key('k'), body: { userId: 7, items: [{ sku: 'sku-0001', quantity: 1 }] },
    contract: 'invalid', expect: 400,
  },
  {
    name: 'quantity a string', op: 'placeOrder', method: 'POST', path: '/api/v1/orders', token: 'u1',
    headers: key('k'), body: good('u1', 'sku-0001', 'two'), contract: 'invalid', expect: 400,
  },
  {
    name: 'quantity negative', op: 'placeOrder', method: 'POST', path: '/api/v1/orders', token: 'u1',
    headers: key('k'), body: good('u1', 'sku-0001', -1), contract: 'invalid', expect: 400,
  },
  {
    name: 'quantity fractional', op: 'placeOrder', method: 'POST', path: '/api/v1/orders', token: 'u1',
    headers: key('k'), body: good('u1', 'sku-0001', 1.5), contract: 'invalid', expect: 400,
  },
  {
    name: 'quantity over 10000', op: 'placeOrder', method: 'POST', path: '/api/v1/orders', token: 'u1',
    headers: key('k'), body: good('u1', 'sku-0001', 10001), contract: 'invalid', expect: 400,
  },
  {
    name: 'items missing', op: 'placeOrder', method: 'POST', path: '/api/v1/orders', token: 'u1',
    headers: key('k'), body: { userId: 'u1' }, contract: 'invalid', expect: 400,
  },
  {
    name: 'items empty', op: 'placeOrder', method: 'POST', path: '/api/v1/orders', token: 'u1',
    headers: key('k'), body: { userId: 'u1', items: [] }, contract: 'invalid', expect: 400,
  },
  {
    name: '101 items', op: 'placeOrder', method: 'POST', path: '/api/v1/orders', token: 'u1',
    headers: key('k'),
    body: { userId: 'u1', items: Array.from({ length: 101 }, () => ({ sku: 'sku-0001', quantity: 1 })) },
    contract: 'invalid', expect: 400,
  },
  {
    name: 'sku missing', op: 'placeOrder', method: 'POST', path: '/api/v1/orders', token: 'u1',
    headers: key('k'), body: { userId: 'u1', items: [{ quantity: 1 }] },
    contract: 'invalid', expect: 400,
  },
  {
    name: 'unknown property', op: 'placeOrder', method: 'POST', path: '/api/v1/orders', token: 'u1',
    headers: key('k'), body: { foo: 1, ...good('u1') }, contract: 'invalid', expect: 400,
  },
  {
    name: 'body an array', op: 'placeOrder', method: 'POST', path: '/api/v1/orders', token: 'u1',
    headers: key('k'), body: [], contract: 'invalid', expect: 400,
  },
  {
    name: 'body empty', op: 'placeOrder', method: 'POST', path: '/api/v1/orders', token: 'u1',
    headers: key('k'), raw: '', contract: 'invalid', expect: 400,
  },
  {
    name: '1,000-deep nested JSON', op: 'placeOrder', method: 'POST', path: '/api/v1/orders',
    token: 'u1', headers: key('k'), raw: '{"a":'.repeat(1000) + '1' + '}'.repeat(1000),
    contract: 'invalid', expect: 400,
  },
  {
    name: 'Idempotency-Key missing', op: 'placeOrder', method: 'POST', path: '/api/v1/orders',
    token: 'u1', headers: json, body: good('u1'),
    contract: 'invalid', expect: 400, example: 'BadRequest missing-header',
  },
  {
    name: 'Idempotency-Key of 129 characters', op: 'placeOrder', method: 'POST',
    path: '/api/v1/orders', token: 'u1', headers: key('k'.repeat(129)), body: good('u1'),
    contract: 'invalid', expect: 400,
  },
  {
    name: 'unknown SKU', op: 'placeOrder', method: 'POST', path: '/api/v1/orders', token: 'u1',
    headers: key('bad-sku'), body: good('u1', 'no-such-sku'),
    expect: 400, example: 'BadRequest unknown-sku',
  },
  {
    name: 'unknown user (an admin placing for nobody)', op: 'placeOrder', method: 'POST',
    path: '/api/v1/orders', token: 'admin', headers: key('bad-user'), body: good('nobody'),
    expect: 400,
  },
  {
    name: 'an order for another user', op: 'placeOrder', method: 'POST', path: '/api/v1/orders',
    token: 'u1', headers: key('for-u2'), body: good('u2'), expect: 403,
  },
  {
    name: 'a body over gateway.maxBodyBytes (2,500 lines)', op: 'placeOrder', method: 'POST',
    path: '/api/v1/orders', token: 'u1', headers: key('big'),
    body: { userId: 'u1', items: Array.from({ length: 2500 }, () => ({ sku: 'sku-0001', quantity: 1 })) },
    contract: 'invalid', expect: 413, example: 'ContentTooLarge body-too-large',
  },
  {
    name: 'text/plain body', op: 'placeOrder', method: 'POST', path: '/api/v1/orders', token: 'u1',
    headers: { 'Content-Type': 'text/plain', 'Idempotency-Key': 'k' },
    raw: JSON.stringify(good('u1')),
    contract: 'invalid', expect: 415, example: 'UnsupportedMediaType unsupported-media-type',
  },
  {
    name: 'no content type', op: 'placeOrder', method: 'POST', path: '/api/v1/orders', token: 'u1',
    headers: { 'Idempotency-Key': 'k' }, raw: Buffer.from(JSON.stringify(good('u1'))),
    contract: 'invalid', expect: 415,
  },
  {
    name: 'unknown order', op: 'getOrder', method: 'GET', path: '/api/v1/orders/no-such-order',
    token: 'u1', expect: 404, example: 'NotFound unknown-order',
  },
  {
    name: "another user's order", op: 'getOrder', method: 'GET',
    path: (ctx) => `/api/v1/orders/${ctx.order}`, token: 'u9', expect: 403,
  },
  {
    name: 'an order id of 65 characters', op: 'getOrder', method: 'GET',
    path: `/api/v1/orders/${'o'.repeat(65)}`, token: 'u1',
    contract: 'invalid', expect: 400, example: 'BadRequest invalid-path',
  },
  {
    name: 'unknown user read (admin)', op: 'getUser', method: 'GET', path: '/api/v1/users/nobody',
    token: 'admin', expect: 404,
  },
  {
    name: 'a user id of 65 characters', op: 'getUser', method: 'GET',
    path: `/api/v1/users/${'u'.repeat(65)}`, token: 'admin', contract: 'invalid', expect: 400,
  },
  {
    name: 'unknown SKU read', op: 'getStock', method: 'GET', path: '/api/v1/inventory/no-such-sku',
    token: 'u1', expect: 404, example: 'NotFound unknown-sku',
  },
  {
    name: 'a SKU of 65 characters', op: 'getStock', method: 'GET',
    path: `/api/v1/inventory/${'s'.repeat(65)}`, token: 'u1', contract: 'invalid', expect: 400,
  },

  // --- Edge limits: answered by the HTTP server before any routing ---
  {
    name: 'headers over gateway.maxHeaderBytes', op: 'getStock', method: 'GET',
    path: '/api/v1/inventory/sku-0001', token: 'u1', headers: { 'X-Padding': 'p'.repeat(10_000) },
    expect: 431,
  },
  {
    name: 'headers over gateway.maxHeaderBytes', op: 'getUser', method: 'GET',
    path: '/api/v1/users/u1', token: 'u1', headers: { 'X-Padding': 'p'.repeat(10_000) },
    expect: 431,
  },
  {
    name: 'headers over gateway.maxHeaderBytes', op: 'getOrder', method: 'GET',
    path: (ctx) => `/api/v1/orders/${ctx.order}`, token: 'u1',
    headers: { 'X-Padding': 'p'.repeat(10_000) }, expect: 431,
  },
  {
    name: 'headers over gateway.maxHeaderBytes', op: 'placeOrder', method: 'POST',
    path: '/api/v1/orders', token: 'u1', body: good('u1'),
    headers: { ...key('pad'), 'X-Padding': 'p'.repeat(10_000) }, expect: 431,
  },
  {
    name: 'a request line over gateway.maxUriLength', op: 'getStock', method: 'GET',
    path: `/api/v1/inventory/sku-0001?pad=${'p'.repeat(5000)}`, token: 'u1', expect: 414,
  },
  {
    name: 'a request line over gateway.maxUriLength', op: 'getUser', method: 'GET',
    path: `/api/v1/users/u1?pad=${'p'.repeat(5000)}`, token: 'u1', expect: 414,
  },
  {
    name: 'a request line over gateway.maxUriLength', op: 'getOrder', method: 'GET',
    path: (ctx) => `/api/v1/orders/${ctx.order}?pad=${'p'.repeat(5000)}`, token: 'u1',
    expect: 414,
  },
  {
    name: 'a request line over gateway.maxUriLength', op: 'placeOrder', method: 'POST',
    path: `/api/v1/orders?pad=${'p'.repeat(5000)}`, token: 'u1', headers: key('long'),
    body: good('u1'), expect: 414,
  },

  // --- Bearer tokens and scopes ---
  {
    name: 'a token that is no JWT', op: 'getUser', method: 'GET', path: '/api/v1/users/u1',
    token: 'garbage', expect: 401, example: 'Unauthorized invalid-token',
  },
  {
    name: 'a token whose signature does not verify', op: 'placeOrder', method: 'POST',
    path: '/api/v1/orders', token: 'tampered', headers: key('tampered'), body: good('u1'),
    expect: 401,
  },
  {
    name: 'an API key instead of a token', op: 'getStock', method: 'GET',
    path: '/api/v1/inventory/sku-0001', token: null, headers: { 'X-API-Key': 'some-key' },
    contract: 'invalid', expect: 401,
  },
  {
    name: 'no token', op: 'getUser', method: 'GET', path: '/api/v1/users/u1', token: null,
    contract: 'invalid', expect: 401,
  },
  {
    name: 'no token', op: 'placeOrder', method: 'POST', path: '/api/v1/orders', token: null,
    headers: key('anonymous'), body: good('u1'), contract: 'invalid', expect: 401,
  },
  {
    name: 'a read-only token placing an order', op: 'placeOrder', method: 'POST',
    path: '/api/v1/orders', token: 'u1-read', headers: key('read-only'), body: good('u1'),
    expect: 403, example: 'Forbidden insufficient-scope',
  },
  {
    name: 'a write-only token reading an order', op: 'getOrder', method: 'GET',
    path: (ctx) => `/api/v1/orders/${ctx.order}`, token: 'u1-write', expect: 403,
  },
  {
    name: 'a write-only token reading a profile', op: 'getUser', method: 'GET',
    path: '/api/v1/users/u1', token: 'u1-write', expect: 403,
  },

  // --- The order as a form, and the bulk import (docs/flow.md, "Form and multipart bodies") ---
  {
    name: 'a form order', op: 'placeOrder', method: 'POST', path: '/api/v1/orders', token: 'u1',
    ...form('form-order', 'userId=u1&sku=sku-0001&quantity=2'),
    requestExample: 'placeOrder two-of-one-sku-form', expect: 202,
  },
  {
    name: 'a form whose quantity is a word', op: 'placeOrder', method: 'POST',
    path: '/api/v1/orders', token: 'u1', ...form('form-bad', 'userId=u1&sku=sku-0001&quantity=two'),
    contract: 'invalid', expect: 400,
  },
  {
    name: 'an import with a bad line', op: 'importOrders', method: 'POST',
    path: '/api/v1/orders:import', token: 'u1', ...multipart('import-1', [csv(importFile)]),
    expect: 200, example: 'importOrders 200 one-bad-line', volatile: ['results/0/orderId'],
    keep: (ctx, res) => { ctx.imported = res.body.results[0].orderId; },
  },
  {
    name: 'the same import again: the same orders', op: 'importOrders', method: 'POST',
    path: '/api/v1/orders:import', token: 'u1', ...multipart('import-1', [csv(importFile)]),
    expect: 200, check: (ctx, res) => res.body.results[0].orderId === ctx.imported,
  },
  {
    name: 'an import without a file part', op: 'importOrders', method: 'POST',
    path: '/api/v1/orders:import', token: 'u1',
    ...multipart('import-2', [{ name: 'format', value: 'csv' }]),
    contract: 'invalid', expect: 400,
  },
  {
    name: 'an import over gateway.imports.maxFileBytes', op: 'importOrders', method: 'POST',
    path: '/api/v1/orders:import', token: 'u1',
    ...multipart('import-3', [csv('userId,sku,quantity\n' + 'u1,sku-0001,1\n'.repeat(80_000))]),
    expect: 413,
  },
  {
    name: 'an import as JSON', op: 'importOrders', method: 'POST', path: '/api/v1/orders:import',
    token: 'u1', headers: key('import-4'), body: good('u1'), contract: 'invalid', expect: 415,
  },
  {
    name: 'an import without a token', op: 'importOrders', method: 'POST',
    path: '/api/v1/orders:import', token: null, ...multipart('import-5', [csv(importFile)]),
    contract: 'invalid', expect: 401,
  },
  {
    name: 'an import with a read-only token', op: 'importOrders', method: 'POST',
    path: '/api/v1/orders:import', token: 'u1-read', ...multipart('import-6', [csv(importFile)]),
    expect: 403,
  },
  {
    name: 'headers over gateway.maxHeaderBytes', op: 'importOrders', method: 'POST',
    path: '/api/v1/orders:import', token: 'u1',
    ...(({ headers, raw }) => ({ raw, headers: { ...headers, 'X-Padding': 'p'.repeat(10_000) } }))(
      multipart('import-7', [csv(importFile)])),
    expect: 431,
  },
  {
    name: 'a request line over gateway.maxUriLength', op: 'importOrders', method: 'POST',
    path: `/api/v1/orders:import?pad=${'p'.repeat(5000)}`, token: 'u1',
    ...multipart('import-8', [csv(importFile)]), expect: 414,
  },

  // --- Rate limits (gateway.rateLimit on, 5/s, burst 40): a burst from one client ---
  {
    name: 'a burst past the client limit', op: 'getStock', method: 'GET',
    path: '/api/v1/inventory/sku-0001', token: 'u9', burst: { max: 300, concurrency: 10 },
    expect: 429, example: 'TooManyRequests rate-limited',
  },
  {
    name: 'a burst past the client limit', op: 'getUser', method: 'GET', path: '/api/v1/users/u9',
    token: 'u9', burst: { max: 300, concurrency: 10 }, expect: 429,
  },
  {
    name: 'a burst past the client limit', op: 'getOrder', method: 'GET',
    path: '/api/v1/orders/no-such-order', token: 'u9',
    burst: { max: 300, concurrency: 10, passes: [404] }, expect: 429,
  },
  {
    name: 'a burst past the client limit', op: 'placeOrder', method: 'POST',
    path: '/api/v1/orders', token: 'u9', headers: key('u9-burst'), body: good('u9'),
    burst: { max: 200, concurrency: 5 },
    expect: 429,
  },

  // --- A dependency failing: the user service fails every call (admin fault point) ---
  {
    name: 'the user service failing every call', op: 'getUser', method: 'GET',
    path: '/api/v1/users/u1', token: 'u1', fault: { point: 'user-service', errorRatio: 1.0 },
    expect: 503, example: 'Unavailable dependency-unavailable',
  },
  {
    // u1's profile was read by the cases above, a moment ago: the order goes in, marked degraded.
    name: 'the user service failing every call, a user seen a moment ago', op: 'placeOrder',
    method: 'POST', path: '/api/v1/orders', token: 'u1', headers: key('while-down'),
    body: good('u1'), fault: { point: 'user-service', errorRatio: 1.0 }, expect: 202,
    check: (ctx, res) => res.headers.get('courier-degraded') === 'user-service',
  },
  {
    // No case placed for u7 before: there is no recent profile to fall back on.
    name: 'the user service failing every call, a user not seen recently', op: 'placeOrder',
    method: 'POST', path: '/api/v1/orders', token: 'u7', headers: key('u7-while-down'),
    body: good('u7'), fault: { point: 'user-service', errorRatio: 1.0 }, expect: 503,
  },
];

// Statuses the document declares that no case here can bring about, each with the reason. The
// test fails when a declared status is neither exercised nor listed, and when one listed here is
// exercised after all (then remove it).
export const unexercised = {
  'placeOrder 500': 'no request makes the gateway fail unexpectedly',
  'getOrder 500': 'no request makes the gateway fail unexpectedly',
  'getUser 500': 'no request makes the gateway fail unexpectedly',
  'getStock 500': 'no request makes the gateway fail unexpectedly',
  'getOrder 413': "Prism's proxy forwards no GET with a body",
  'getUser 413': "Prism's proxy forwards no GET with a body",
  'getStock 413': "Prism's proxy forwards no GET with a body",
  'getOrder 503': 'the order service runs in the same process and has no fault point',
  'getStock 503': 'the inventory service has no fault point',
  'watchOrderEvents 413': "Prism's proxy forwards no GET with a body",
  'watchOrderEvents 429': "getOrder's burst shows the limiter; a burst of streams holds connections open",
  'watchOrderEvents 500': 'no request makes the gateway fail unexpectedly',
  'watchOrderEvents 503': 'the orders topic is in the same process and has no fault point',
  'importOrders 429': "placeOrder's burst shows the limiter; an import burst uploads files",
  'importOrders 500': 'no request makes the gateway fail unexpectedly',
  'importOrders 503': "a line's dependency failure is that line's problem, not the import's",
};
