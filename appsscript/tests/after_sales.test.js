'use strict';
const test = require('node:test');
const assert = require('node:assert');
const { makeEnv, plain } = require('./harness');

test('the sidebar reads the Pending-Action board and sends finance\'s answer to a refund', () => {
  const board = { shops: [{ shop: 'Acme US', actions: [{ label: 'Cancellation requested', count: 1, link: 'https://x' }] }],
    refunds: [] };
  const env = makeEnv({ respond: (url) => ({ code: 200, body: url.includes('pending-actions') ? board : { status: 'accepted' } }) });

  assert.deepStrictEqual(plain(env.gas.pendingActions()), board);
  assert.strictEqual(env.calls.fetch[0].url, 'https://orderdeck.example.com/addon/pending-actions');
  assert.strictEqual(env.calls.fetch[0].params.method, 'get');

  assert.deepStrictEqual(plain(env.gas.answerRefund('4100042', 'approve')), { status: 'accepted' });
  const answer = env.calls.fetch[1];
  assert.strictEqual(answer.url, 'https://orderdeck.example.com/addon/refunds/answer');
  assert.deepStrictEqual(answer.body, { case: '4100042', answer: 'approve' });
});
