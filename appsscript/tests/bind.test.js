'use strict';
const test = require('node:test');
const assert = require('node:assert');
const { makeEnv, plain } = require('./harness');

function backend(onBind) {
  return (url, params) => {
    if (url.endsWith('/addon/bind/challenge')) {
      return { code: 200, body: { key: 'orderdeck.bind-challenge', value: 'nonce-123', expires_at: 'x' } };
    }
    if (url.endsWith('/addon/bindings')) return onBind(JSON.parse(params.payload));
    if (url.endsWith('/addon/trigger')) return { code: 200, body: { tabs: { 'Ship next': { columns: { 8: 'Carrier' } } } } };
    return { code: 404, body: {} };
  };
}

test('binding writes the challenge as document metadata before asking, and removes it after', () => {
  const env = makeEnv({ respond: backend((body) => ({ code: 200, body: { id: 1, tab: body.tab, profile: body.profile } })) });
  const binding = env.gas.bindTab({ tab: 'SLA', newTab: true, profile: 'sla_watch', shops: ['1'] });
  assert.deepStrictEqual(plain(binding), { id: 1, tab: 'SLA', profile: 'sla_watch' });
  assert.ok(env.spreadsheet.getSheetByName('SLA'), 'the new tab exists');
  assert.deepStrictEqual(plain(env.calls.metadata), [
    { key: 'orderdeck.bind-challenge', value: 'nonce-123', visibility: 'DOCUMENT' }, 'flushed']);
  assert.deepStrictEqual(env.calls.fetch[1].body, {
    spreadsheet_id: 'spreadsheet0000000001', challenge: 'nonce-123', tab: 'SLA', profile: 'sla_watch', shops: ['1'],
    title: 'Warehouse' });
  assert.strictEqual(env.calls.removed.length, 1);
});

test('a refused bind still removes the proof and shows the reason', () => {
  const env = makeEnv({ respond: backend(() => ({ code: 403, body: { error: { message: 'did not prove you can edit it' } } })) });
  assert.throws(() => env.gas.bindTab({ tab: 'Ship next', profile: 'sla_watch' }), /did not prove/);
  assert.strictEqual(env.calls.removed.length, 1);
});

test('a new tab may not take the name of an existing one', () => {
  const env = makeEnv({ respond: backend(() => ({ code: 200, body: {} })) });
  assert.throws(() => env.gas.bindTab({ tab: 'Ship next', newTab: true, profile: 'sla_watch' }), /already exists/);
  assert.strictEqual(env.calls.fetch.length, 0);
});

test('binding refreshes the columns an installed edit trigger watches', () => {
  const env = makeEnv({ document: { ORDERDECK_INPUT_COLUMNS: '{}' }, respond: backend(() => ({ code: 200, body: { id: 2 } })) });
  env.gas.bindTab({ tab: 'Ship next', profile: 'sla_watch' });
  assert.deepStrictEqual(JSON.parse(env.props.document.ORDERDECK_INPUT_COLUMNS), { 'Ship next': { columns: { 8: 'Carrier' } } });
});
