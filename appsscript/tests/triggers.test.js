'use strict';
const test = require('node:test');
const assert = require('node:assert');
const { makeEnv, plain } = require('./harness');

const HEADERS = ['Order / SKU', 'Order', 'Carrier', 'Tracking number'];
const CONFIG = JSON.stringify({ 'Ship next': { sheet_id: 5, columns: { 3: 'Carrier', 4: 'Tracking number' }, width: 4 } });

function sheet() {
  return [HEADERS, ['O1/SKU-A', 'O1', 'ups', '1Z999'], ['O2/SKU-B', 'O2', 'Pigeon', 'AB-77'], ['O3/SKU-C', 'O3', '', '']];
}

function edit(env, row, column, rows = 1, columns = 1, extra = {}) {
  const range = env.sheets[0].getRange(row, column, rows, columns);
  env.gas.onSheetEdit({ range, user: { getEmail: () => 'packer@3pl.example' }, ...extra });
}

test('a paste of many cells is one call, with the row keys, the other inputs and the editor', () => {
  const env = makeEnv({ sheets: [['Ship next', sheet()]], document: { ORDERDECK_INPUT_COLUMNS: CONFIG },
    respond: () => ({ code: 200, body: { cells: [] } }) });
  edit(env, 2, 3, 2, 2);
  assert.strictEqual(env.calls.fetch.length, 1);
  const body = env.calls.fetch[0].body;
  assert.strictEqual(body.editor, 'packer@3pl.example');
  assert.deepStrictEqual(body.headers, HEADERS);
  assert.deepStrictEqual(body.keys, [null, null, null, null]); // a sheet written before columns carried keys
  assert.deepStrictEqual(body.rows, [
    { row: 2, key: 'O1/SKU-A', cells: { 3: 'ups', 4: '1Z999' }, inputs: { 3: 'ups', 4: '1Z999' } },
    { row: 3, key: 'O2/SKU-B', cells: { 3: 'Pigeon', 4: 'AB-77' }, inputs: { 3: 'Pigeon', 4: 'AB-77' } },
  ]);
  assert.deepStrictEqual(plain(env.calls.locks), [['wait', 20000], ['release']]);
});

test('rejected cells go back to the canonical value with a note; accepted ones lose their note', () => {
  const answer = { cells: [
    { row: 2, column: 3, status: 'accepted', value: 'UPS', note: null },
    { row: 3, column: 3, status: 'rejected', value: '', note: "TikTok refused: carrier 'Pigeon' is not a shipping provider" },
    { row: 3, column: 4, status: 'pending', value: 'AB-77', note: 'Saved. Type the carrier too.' },
  ] };
  const env = makeEnv({ sheets: [['Ship next', sheet()]], document: { ORDERDECK_INPUT_COLUMNS: CONFIG },
    respond: () => ({ code: 200, body: answer }) });
  edit(env, 2, 3, 2, 2);
  const tab = env.sheets[0];
  assert.strictEqual(tab.cell(2, 3), 'UPS');
  assert.strictEqual(tab.cell(3, 3), '');
  assert.match(tab.notes['3,3'], /Pigeon/);
  assert.strictEqual(tab.cell(3, 4), 'AB-77');
  assert.strictEqual(tab.notes['3,4'], 'Saved. Type the carrier too.');
  assert.strictEqual(tab.notes['2,3'], '');
});

test('answers land in the row with their key when a push moved the rows during the call', () => {
  const answer = { cells: [
    { row: 3, column: 3, status: 'rejected', value: 'Pigeon Post', note: 'not a carrier' },
    { row: 4, column: 4, status: 'rejected', value: '', note: 'gone' },
  ] };
  const env = makeEnv({ sheets: [['Ship next', sheet()]], document: { ORDERDECK_INPUT_COLUMNS: CONFIG },
    respond: () => {
      const rows = env.sheets[0].values;
      rows.splice(1, 0, ['O0/SKU-Z', 'O0', 'DHL', 'NEW-1']); // a new order pushed in at the top meanwhile
      rows.splice(rows.findIndex((r) => r[0] === 'O3/SKU-C'), 1); // and O3 left the tab
      return { code: 200, body: answer };
    } });
  env.sheets[0].set(3, 3, 'typo');
  edit(env, 3, 3, 2, 2);
  const tab = env.sheets[0];
  assert.deepStrictEqual(tab.values.map((r) => r[0]), ['Order / SKU', 'O0/SKU-Z', 'O1/SKU-A', 'O2/SKU-B']);
  assert.strictEqual(tab.cell(4, 3), 'Pigeon Post'); // O2's row, one further down now
  assert.strictEqual(tab.notes['4,3'], 'not a carrier');
  assert.strictEqual(tab.cell(3, 3), 'ups'); // O1, now in O2's old row, untouched
  assert.strictEqual(tab.notes['3,3'], undefined);
  assert.strictEqual(tab.notes['4,4'], undefined); // O3's answer has no row to go to
});

test('a refused single cell without a canonical value gets its old value back', () => {
  const single = makeEnv({ sheets: [['Ship next', sheet()]], document: { ORDERDECK_INPUT_COLUMNS: CONFIG },
    respond: () => ({ code: 200, body: { cells: [{ row: 2, column: 3, status: 'rejected', value: null, note: 'no' }] } }) });
  single.sheets[0].set(2, 3, 'typo');
  edit(single, 2, 3, 1, 1, { oldValue: 'UPS' });
  assert.strictEqual(single.sheets[0].cell(2, 3), 'UPS');
  assert.strictEqual(single.sheets[0].notes['2,3'], 'no');
});

test('edits beside the written columns, in the header row or in unbound tabs cost no call', () => {
  const env = makeEnv({ sheets: [['Ship next', sheet()], ['Notes', [['x']]]], document: { ORDERDECK_INPUT_COLUMNS: CONFIG } });
  edit(env, 2, 5, 3, 2); // the team's own columns right of OrderDeck's
  edit(env, 1, 3);
  env.gas.onSheetEdit({ range: env.sheets[1].getRange(1, 1) });
  edit(env, 5, 3, 1, 1); // a row without a key
  assert.strictEqual(env.calls.fetch.length, 0);
});

test('an admin typing over a column OrderDeck writes is told so, and a single cell gets its value back', () => {
  const note = "'Order' is written by OrderDeck: it is put back at the next update";
  const env = makeEnv({ sheets: [['Ship next', sheet()]], document: { ORDERDECK_INPUT_COLUMNS: CONFIG },
    respond: () => ({ code: 200, body: { cells: [{ row: 3, column: 2, status: 'rejected', value: null, note }] } }) });
  env.sheets[0].set(3, 2, 'O9');
  edit(env, 3, 2, 1, 1, { oldValue: 'O2' });
  const body = env.calls.fetch[0].body;
  assert.deepStrictEqual(body.rows, [{ row: 3, key: 'O2/SKU-B', cells: { 2: 'O9' }, inputs: { 3: 'Pigeon', 4: 'AB-77' } }]);
  assert.strictEqual(env.sheets[0].cell(3, 2), 'O2');
  assert.strictEqual(env.sheets[0].notes['3,2'], note);
});

test('when the backend cannot be reached the edited range says so', () => {
  const env = makeEnv({ sheets: [['Ship next', sheet()]], document: { ORDERDECK_INPUT_COLUMNS: CONFIG },
    respond: () => ({ code: 503, body: { error: { message: 'Google is busy; try again' } } }) });
  edit(env, 2, 4);
  assert.strictEqual(env.sheets[0].notes['2,4'], 'OrderDeck did not save this: Google is busy; try again');
  assert.deepStrictEqual(plain(env.calls.locks.at(-1)), ['release']);
});

test("a refused cell's note is in the file's language, and follows it when an admin changes it", () => {
  const refusal = { code: 400, body: { error: { message: '承运商 $1 不是物流商' } } };
  const env = makeEnv({ sheets: [['Ship next', sheet()]], respond: (url) => (url.endsWith('/addon/trigger')
    ? { code: 200, body: { tabs: JSON.parse(CONFIG), installed_by: 'admin@seller.example', refused_note: 'OrderDeck 未保存此项：{error}' } }
    : refusal) });
  env.gas.installEditTrigger();
  edit(env, 2, 4);
  assert.strictEqual(env.sheets[0].notes['2,4'], 'OrderDeck 未保存此项：承运商 $1 不是物流商');

  const english = { tabs: JSON.parse(CONFIG), installed_by: 'admin@seller.example', refused_note: 'OrderDeck did not save this: {error}' };
  const changed = makeEnv({ sheets: [['Ship next', sheet()]],
    document: { ORDERDECK_INPUT_COLUMNS: CONFIG, ORDERDECK_REFUSED_NOTE: 'OrderDeck 未保存此项：{error}' },
    respond: (url) => (url.endsWith('/addon/trigger') ? { code: 200, body: english }
      : url.endsWith('/addon/spreadsheet/language') ? { code: 200, body: { language: 'en' } } : refusal) });
  changed.gas.setSpreadsheetLanguage('en');
  assert.deepStrictEqual(changed.calls.fetch.map((call) => call.body.install), [undefined, false]);
  edit(changed, 2, 4);
  assert.strictEqual(changed.sheets[0].notes['2,4'], 'OrderDeck did not save this: 承运商 $1 不是物流商');

  const unbound = makeEnv({ document: { ORDERDECK_INPUT_COLUMNS: CONFIG }, respond: (url) => (url.endsWith('/addon/trigger')
    ? { code: 400, body: { error: { message: 'no tab of this spreadsheet is bound yet: bind a tab first' } } }
    : { code: 200, body: { language: 'en' } }) });
  assert.deepStrictEqual(plain(unbound.gas.setSpreadsheetLanguage('en')), { language: 'en' }); // saved all the same
});

test('dates typed into a sheet are sent as days in the spreadsheet zone', () => {
  const env = makeEnv({ sheets: [['Ship next', sheet()]], document: { ORDERDECK_INPUT_COLUMNS: CONFIG },
    respond: () => ({ code: 200, body: { cells: [] } }) });
  env.sheets[0].set(2, 4, new Date('2025-01-31T20:00:00Z'));
  edit(env, 2, 4);
  assert.strictEqual(env.calls.fetch[0].body.rows[0].cells[4], '2025-02-01');
});

test('an admin installs the edit trigger once, with the input columns from the backend', () => {
  const env = makeEnv({ respond: () => ({ code: 200, body: { tabs: JSON.parse(CONFIG), installed_by: 'admin@seller.example' } }) });
  assert.deepStrictEqual(plain(env.gas.installEditTrigger()),
    { installed: true, tabs: ['Ship next'], by: 'admin@seller.example' });
  env.gas.installEditTrigger();
  assert.deepStrictEqual(plain(env.calls.triggers), ['onSheetEdit']);
  assert.strictEqual(env.props.document.ORDERDECK_INPUT_COLUMNS, CONFIG);
  assert.deepStrictEqual(env.calls.fetch[0].body, { spreadsheet_id: 'spreadsheet0000000001', install: true });
  assert.strictEqual(env.props.document.ORDERDECK_TRIGGER_BY, 'admin@seller.example');
  const viewer = makeEnv({ respond: () => ({ code: 403, body: { error: { message: 'the viewer role may not install trigger' } } }) });
  assert.throws(() => viewer.gas.installEditTrigger(), /may not install trigger/);
  assert.strictEqual(viewer.calls.triggers.length, 0);
});

test("an earlier admin's trigger retires itself once another admin installed theirs, and sends nothing", () => {
  const env = makeEnv({ sheets: [['Ship next', sheet()]], effectiveUser: 'first.admin@seller.example',
    document: { ORDERDECK_INPUT_COLUMNS: CONFIG, ORDERDECK_TRIGGER_BY: 'second.admin@seller.example' },
    respond: () => ({ code: 200, body: { cells: [] } }) });
  env.calls.triggers.push('onSheetEdit');
  edit(env, 2, 3);
  assert.strictEqual(env.calls.fetch.length, 0);
  assert.deepStrictEqual(plain(env.calls.triggers), []);

  const current = makeEnv({ sheets: [['Ship next', sheet()]], effectiveUser: 'Second.Admin@seller.example',
    document: { ORDERDECK_INPUT_COLUMNS: CONFIG, ORDERDECK_TRIGGER_BY: 'second.admin@seller.example' },
    respond: () => ({ code: 200, body: { cells: [] } }) });
  current.calls.triggers.push('onSheetEdit');
  edit(current, 2, 3);
  assert.strictEqual(current.calls.fetch.length, 1);
  assert.deepStrictEqual(plain(current.calls.triggers), ['onSheetEdit']);
});

test('reading the input columns again after a bind installs nothing and keeps who installed the trigger', () => {
  const env = makeEnv({ document: { ORDERDECK_INPUT_COLUMNS: CONFIG },
    respond: () => ({ code: 200, body: { tabs: JSON.parse(CONFIG), installed_by: 'admin@seller.example' } }) });
  env.gas.refreshTriggerConfig_(env.spreadsheet);
  assert.deepStrictEqual(env.calls.fetch[0].body, { spreadsheet_id: 'spreadsheet0000000001', install: false });
  assert.strictEqual(env.props.document.ORDERDECK_TRIGGER_BY, 'admin@seller.example');
  assert.strictEqual(env.calls.triggers.length, 0);
});

test('each column is named by the key its developer metadata carries, whatever its header says', () => {
  const rows = [['订单 / SKU', '订单', '承运商', '运单号'], ['O1/SKU-A', 'O1', 'ups', '1Z999']];
  const keys = { 1: 'line_key', 2: 'order_id', 3: 'carrier', 4: 'tracking_number' };
  const env = makeEnv({ sheets: [['Ship next', rows, keys]], document: { ORDERDECK_INPUT_COLUMNS: CONFIG },
    respond: () => ({ code: 200, body: { cells: [] } }) });
  edit(env, 2, 4);
  assert.deepStrictEqual(env.calls.fetch[0].body.keys, ['line_key', 'order_id', 'carrier', 'tracking_number']);
});

function refusedByTheLimit(retryAfter) {
  const message = 'your team has reached the limit of 600 sheet edits (one typed cell, or one paste) per minute; '
    + `try again in ${retryAfter} s`;
  return { code: 429, body: { error: { code: 'rate_limited', message, detail: { retry_after: retryAfter } } } };
}

test('an edit past the edit limit is sent again when the limit lets it through, with what the cells hold then', () => {
  const answer = { cells: [{ row: 2, column: 4, status: 'accepted', value: '1Z000', note: null }] };
  let env = null;
  env = makeEnv({ sheets: [['Ship next', sheet()]], document: { ORDERDECK_INPUT_COLUMNS: CONFIG },
    respond: (url, params, n) => (n === 1 ? refusedByTheLimit(12) : { code: 200, body: answer }),
    onSleep: () => env.sheets[0].set(2, 4, '1Z000') }); // typed again while the first one waited
  edit(env, 2, 4);
  assert.deepStrictEqual(plain(env.calls.sleeps), [12000]);
  assert.strictEqual(env.calls.fetch.length, 2);
  assert.strictEqual(env.calls.fetch[0].body.rows[0].cells[4], '1Z999');
  assert.strictEqual(env.calls.fetch[1].body.rows[0].cells[4], '1Z000');
  assert.strictEqual(env.sheets[0].notes['2,4'], ''); // saved: no note
  // The lock is let go while it waits, so other edits are not held back.
  assert.deepStrictEqual(plain(env.calls.locks), [['wait', 20000], ['release'], ['wait', 20000], ['release']]);
});

test('an edit the limit refuses again, or for longer than a minute, is not saved and the range says why', () => {
  const twice = makeEnv({ sheets: [['Ship next', sheet()]], document: { ORDERDECK_INPUT_COLUMNS: CONFIG },
    respond: () => refusedByTheLimit(5) });
  edit(twice, 2, 4);
  assert.strictEqual(twice.calls.fetch.length, 2);
  assert.match(twice.sheets[0].notes['2,4'], /^OrderDeck did not save this: your team has reached the limit .* try again in 5 s$/);

  const long = makeEnv({ sheets: [['Ship next', sheet()]], document: { ORDERDECK_INPUT_COLUMNS: CONFIG },
    respond: () => refusedByTheLimit(3600) });
  edit(long, 2, 4);
  assert.strictEqual(long.calls.fetch.length, 1);
  assert.deepStrictEqual(plain(long.calls.sleeps), []);
  assert.match(long.sheets[0].notes['2,4'], /try again in 3600 s$/);

  const tooBig = makeEnv({ sheets: [['Ship next', sheet()]], document: { ORDERDECK_INPUT_COLUMNS: CONFIG },
    respond: () => ({ code: 400, body: { error: { message: '6 edited cells at once is more than the limit of 5 per minute; do it in smaller parts' } } }) });
  edit(tooBig, 2, 3, 2, 2);
  assert.strictEqual(tooBig.calls.fetch.length, 1);
  assert.match(tooBig.sheets[0].notes['2,3'], /do it in smaller parts$/);
});
