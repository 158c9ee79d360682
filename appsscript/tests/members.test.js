'use strict';
const test = require('node:test');
const assert = require('node:assert');
const { makeEnv, plain } = require('./harness');

function answering(routes) {
  return (url, params) => {
    const path = url.replace('https://orderdeck.example.com', '').split('?')[0];
    const route = routes[`${params.method} ${path}`];
    return route ? route(params.payload ? JSON.parse(params.payload) : undefined) : { code: 404, body: {} };
  };
}

test('an admin invites, lists and withdraws invitations; a role change stays a member change', () => {
  const invitation = { email: 'packer@3pl.example', role: 'warehouse', url: 'https://orderdeck.example.com/invite/t0k3n' };
  const env = makeEnv({ respond: answering({
    'post /addon/invitations': (body) => ({ code: 200, body: { ...invitation, ...body } }),
    'get /addon/invitations': () => ({ code: 200, body: [invitation] }),
    'post /addon/invitations/revoke': () => ({ code: 200, body: [] }),
    'post /addon/members': (body) => ({ code: 200, body: [body] }),
  }) });
  assert.strictEqual(env.gas.inviteMember('packer@3pl.example', 'warehouse').url, invitation.url);
  assert.deepStrictEqual(env.calls.fetch[0].body, { email: 'packer@3pl.example', role: 'warehouse' });
  assert.strictEqual(plain(env.gas.listInvitations()).length, 1);
  assert.deepStrictEqual(plain(env.gas.revokeInvitation('packer@3pl.example')), []);
  env.gas.setMember('clerk@seller.example', 'support');
  assert.deepStrictEqual(env.calls.fetch.map((c) => `${c.params.method} ${c.url.split('.com')[1]}`), [
    'post /addon/invitations', 'get /addon/invitations', 'post /addon/invitations/revoke', 'post /addon/members']);
});

test('accepting an invitation in the sidebar makes its team the sidebar team', () => {
  const env = makeEnv({ user: { ORDERDECK_TEAM: '3' }, respond: answering({
    'post /addon/invitations/accept': () => ({ code: 200, body: { team: { id: 7, name: 'Acme' }, role: 'warehouse' } }),
  }) });
  const joined = env.gas.acceptInvitation(12);
  assert.strictEqual(joined.team.name, 'Acme');
  assert.deepStrictEqual(env.calls.fetch[0].body, { invitation: 12 });
  assert.strictEqual(env.props.user.ORDERDECK_TEAM, '7');
});

test('leaving forgets the team, and a refused leave (the last admin) keeps it', () => {
  const env = makeEnv({ user: { ORDERDECK_TEAM: '7' }, respond: answering({
    'post /addon/leave': () => ({ code: 200, body: { left: { id: 7, name: 'Acme' } } }),
  }) });
  assert.deepStrictEqual(plain(env.gas.leaveTeam()), { left: { id: 7, name: 'Acme' } });
  assert.strictEqual(env.calls.fetch[0].params.headers['X-OrderDeck-Team'], '7');
  assert.ok(!('ORDERDECK_TEAM' in env.props.user));

  const last = makeEnv({ user: { ORDERDECK_TEAM: '7' }, respond: answering({
    'post /addon/leave': () => ({ code: 409, body: { error: { message: "you are the team's last admin" } } }),
  }) });
  assert.throws(() => last.gas.leaveTeam(), /last admin/);
  assert.strictEqual(last.props.user.ORDERDECK_TEAM, '7');
});

test('an admin confirms or discards the account Google returned to their Connect link', () => {
  const env = makeEnv({ respond: answering({
    'post /addon/google/confirm': (body) => ({ code: 200, body: { writer: body.account } }),
    'post /addon/google/discard': (body) => ({ code: 200, body: { discarded: body.account } }),
  }) });
  assert.deepStrictEqual(plain(env.gas.confirmGoogle('robot@seller.example')), { writer: 'robot@seller.example' });
  assert.deepStrictEqual(plain(env.gas.discardGoogle('eve@evil.example')), { discarded: 'eve@evil.example' });
  assert.deepStrictEqual(env.calls.fetch.map((c) => c.body), [{ account: 'robot@seller.example' }, { account: 'eve@evil.example' }]);
});

test('a remembered team the user no longer belongs to is forgotten, so the sidebar offers the choice again', () => {
  const me = { email: 'clerk@seller.example', teams: [{ id: 3 }, { id: 4 }], team: null, invitations: [] };
  const env = makeEnv({ user: { ORDERDECK_TEAM: '7' }, respond: () => ({ code: 200, body: me }) });
  env.gas.whoAmI();
  assert.strictEqual(env.calls.fetch[0].params.headers['X-OrderDeck-Team'], '7');
  assert.ok(!('ORDERDECK_TEAM' in env.props.user));
  const one = makeEnv({ respond: () => ({ code: 200, body: { ...me, teams: [{ id: 4 }], team: { id: 4, name: 'B' } } }) });
  one.gas.whoAmI();
  assert.strictEqual(one.props.user.ORDERDECK_TEAM, '4');
});
