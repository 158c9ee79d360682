'use strict';
const test = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const path = require('node:path');
const { makeEnv, plain, ROOT } = require('./harness');

test('a call carries the identity token, the chosen team, and never throws on HTTP errors itself', () => {
  const env = makeEnv({ user: { ORDERDECK_TEAM: '7' }, respond: () => ({ code: 200, body: { ok: true } }) });
  const answer = env.gas.api_('post', '/addon/sync', { shop_id: 3 });
  assert.deepStrictEqual(plain(answer), { ok: true });
  const [call] = env.calls.fetch;
  assert.strictEqual(call.url, 'https://orderdeck.example.com/addon/sync');
  assert.strictEqual(call.params.headers.Authorization, 'Bearer id-token-of-the-user');
  assert.strictEqual(call.params.headers['X-OrderDeck-Team'], '7');
  assert.strictEqual(call.params.muteHttpExceptions, true);
  assert.deepStrictEqual(call.body, { shop_id: 3 });
});

test('a GET sends its parameters in the query string', () => {
  const env = makeEnv({ respond: () => ({ code: 200, body: {} }) });
  env.gas.api_('get', '/addon/status', { spreadsheet_id: 'abc def', empty: '' });
  assert.strictEqual(env.calls.fetch[0].url, 'https://orderdeck.example.com/addon/status?spreadsheet_id=abc%20def');
  assert.strictEqual(env.calls.fetch[0].params.payload, undefined);
});

test("the backend's error message is what the user sees", () => {
  const envelope = { error: { code: 'forbidden', message: 'the viewer role may not bind; ask an admin', action: 'fail' } };
  const env = makeEnv({ respond: () => ({ code: 403, body: envelope }) });
  assert.throws(() => env.gas.api_('post', '/addon/bindings', {}), /the viewer role may not bind; ask an admin/);
  const html = makeEnv({ respond: () => ({ code: 502, text: '<html>Bad gateway</html>' }) });
  assert.throws(() => html.gas.api_('get', '/addon/status'), /OrderDeck answered 502: <html>Bad gateway/);
});

test('a missing backend URL says which script property to set', () => {
  const env = makeEnv({ script: { ORDERDECK_BACKEND_URL: '' } });
  assert.throws(() => env.gas.api_('get', '/addon/me'), /ORDERDECK_BACKEND_URL/);
  assert.strictEqual(env.calls.fetch.length, 0);
});

test('Api.gs is the only file that calls UrlFetchApp', () => {
  const callers = fs.readdirSync(ROOT).filter((f) => /\.(gs|html)$/.test(f))
    .filter((f) => fs.readFileSync(path.join(ROOT, f), 'utf8').includes('UrlFetchApp'));
  assert.deepStrictEqual(callers, ['Api.gs']);
});

test('the manifest asks for the least it needs, identity included', () => {
  const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'appsscript.json'), 'utf8'));
  assert.strictEqual(manifest.runtimeVersion, 'V8');
  assert.ok(manifest.oauthScopes.includes('openid'));
  assert.ok(manifest.oauthScopes.includes('https://www.googleapis.com/auth/userinfo.email'));
  assert.ok(manifest.oauthScopes.includes('https://www.googleapis.com/auth/spreadsheets.currentonly'));
  assert.ok(!manifest.oauthScopes.includes('https://www.googleapis.com/auth/spreadsheets'));
  assert.ok(manifest.urlFetchWhitelist.every((u) => u.startsWith('https://') && u.endsWith('/')));
});

test('the menu opens the sidebar, on install too', () => {
  const env = makeEnv();
  env.gas.onInstall({});
  assert.deepStrictEqual(plain(env.calls.ui), [['Open OrderDeck', 'showSidebar'], 'shown']);
  env.gas.showSidebar();
  assert.deepStrictEqual(plain(env.calls.ui[2]), ['sidebar', 'OrderDeck']);
});

test('connecting a shop asks for the chosen platform, TikTok Shop unless told', () => {
  const env = makeEnv({ respond: () => ({ code: 200, body: { url: 'https://partner.shopeemobile.com/api/v2/shop/auth_partner?x' } }) });
  env.gas.connectShop('shopee', 'MY');
  env.gas.connectShop('', '');
  assert.deepStrictEqual(env.calls.fetch.map((c) => c.body), [{ platform: 'shopee', region: 'MY' }, { platform: 'tiktok', region: '' }]);
  assert.ok(env.calls.fetch.every((c) => c.url === 'https://orderdeck.example.com/addon/shops/consent'));
});
