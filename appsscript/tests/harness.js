'use strict';
// Loads every .gs file into one vm context with faked Apps Script services, as Apps Script would.
const fs = require('node:fs');
const path = require('node:path');
const vm = require('node:vm');

const ROOT = path.join(__dirname, '..');

class FakeSheet {
  constructor(name, rows, columnKeys) {
    this.name = name;
    this.values = rows || [];
    this.notes = {};
    this.columnKeys = columnKeys || {}; // 1-based column -> the key OrderDeck's developer metadata gives it
  }
  getName() { return this.name; }
  createDeveloperMetadataFinder() {
    const sheet = this;
    const all = Object.keys(sheet.columnKeys).map((c) => ({
      key: 'orderdeck.column',
      getValue: () => sheet.columnKeys[c],
      getLocation: () => ({ getColumn: () => sheet.getRange(1, Number(c)) }),
    }));
    return { withKey: (key) => ({ find: () => all.filter((m) => m.key === key) }) };
  }
  getRange(row, column, numRows = 1, numColumns = 1) { return new FakeRange(this, row, column, numRows, numColumns); }
  getLastRow() { return this.values.length; }
  cell(row, column) { return (this.values[row - 1] || [])[column - 1]; }
  set(row, column, value) {
    while (this.values.length < row) this.values.push([]);
    this.values[row - 1][column - 1] = value;
  }
}

class FakeRange {
  constructor(sheet, row, column, numRows, numColumns) {
    Object.assign(this, { sheet, row, column, numRows, numColumns });
  }
  getSheet() { return this.sheet; }
  getRow() { return this.row; }
  getColumn() { return this.column; }
  getNumRows() { return this.numRows; }
  getNumColumns() { return this.numColumns; }
  getValues() {
    const out = [];
    for (let r = 0; r < this.numRows; r++) {
      const line = [];
      for (let c = 0; c < this.numColumns; c++) {
        const v = this.sheet.cell(this.row + r, this.column + c);
        line.push(v === undefined ? '' : v);
      }
      out.push(line);
    }
    return out;
  }
  getDisplayValues() { return this.getValues().map((l) => l.map(String)); }
  getValue() { return this.getValues()[0][0]; }
  setValue(v) { this.sheet.set(this.row, this.column, v); return this; }
  setNote(n) { this.sheet.notes[`${this.row},${this.column}`] = n; return this; }
}

function makeEnv(options = {}) {
  const calls = { fetch: [], triggers: [], metadata: [], removed: [], locks: [], ui: [], sleeps: [] };
  const sheets = (options.sheets || [['Ship next', []]]).map(([n, rows, keys]) => new FakeSheet(n, rows, keys));
  const props = { script: { ORDERDECK_BACKEND_URL: 'https://orderdeck.example.com/', ...(options.script || {}) },
    user: { ...(options.user || {}) }, document: { ...(options.document || {}) } };
  const store = (bag) => ({
    getProperty: (k) => (k in bag ? bag[k] : null),
    setProperty: (k, v) => { bag[k] = String(v); },
    deleteProperty: (k) => { delete bag[k]; },
  });
  let active = sheets[0];
  const spreadsheet = {
    getId: () => 'spreadsheet0000000001',
    getName: () => 'Warehouse',
    getSpreadsheetTimeZone: () => 'Asia/Bangkok',
    getActiveSheet: () => active,
    getSheets: () => sheets,
    getSheetByName: (n) => sheets.find((s) => s.name === n) || null,
    insertSheet: (n) => { const s = new FakeSheet(n, []); sheets.push(s); active = s; return s; },
    addDeveloperMetadata: (key, value, visibility) => {
      const entry = { key, value, visibility };
      calls.metadata.push(entry);
      return { remove: () => calls.removed.push(entry) };
    },
  };
  sheets.forEach((s) => { s.getParent = () => spreadsheet; });
  const responder = options.respond || (() => ({ code: 200, body: {} }));
  const context = {
    console,
    JSON,
    Object,
    String,
    Math,
    Number,
    Array,
    Error,
    Date,
    encodeURIComponent,
    PropertiesService: {
      getScriptProperties: () => store(props.script),
      getUserProperties: () => store(props.user),
      getDocumentProperties: () => store(props.document),
    },
    ScriptApp: {
      getIdentityToken: () => 'id-token-of-the-user',
      getUserTriggers: () => calls.triggers.map((t) => ({ getHandlerFunction: () => t })),
      newTrigger: (fn) => ({ forSpreadsheet: () => ({ onEdit: () => ({ create: () => calls.triggers.push(fn) }) }) }),
      deleteTrigger: (t) => { calls.triggers.splice(calls.triggers.indexOf(t.getHandlerFunction()), 1); },
    },
    UrlFetchApp: {
      fetch: (url, params) => {
        calls.fetch.push({ url, params, body: params.payload ? JSON.parse(params.payload) : undefined });
        const { code, body, text } = responder(url, params, calls.fetch.length);
        return { getResponseCode: () => code, getContentText: () => (text !== undefined ? text : JSON.stringify(body)) };
      },
    },
    LockService: {
      getDocumentLock: () => ({
        waitLock: (ms) => calls.locks.push(['wait', ms]),
        releaseLock: () => calls.locks.push(['release']),
      }),
    },
    SpreadsheetApp: {
      getActiveSpreadsheet: () => spreadsheet,
      flush: () => calls.metadata.push('flushed'),
      DeveloperMetadataVisibility: { DOCUMENT: 'DOCUMENT', PROJECT: 'PROJECT' },
      getUi: () => ({
        createAddonMenu: () => {
          const menu = { addItem: (label, fn) => { calls.ui.push([label, fn]); return menu; }, addToUi: () => calls.ui.push('shown') };
          return menu;
        },
        showSidebar: (page) => calls.ui.push(['sidebar', page.title]),
      }),
    },
    HtmlService: {
      createTemplateFromFile: (name) => ({ evaluate: () => ({ setTitle(t) { this.title = t; return this; }, name }) }),
      createHtmlOutputFromFile: (name) => ({ getContent: () => fs.readFileSync(path.join(ROOT, `${name}.html`), 'utf8') }),
    },
    Utilities: {
      sleep: (ms) => { calls.sleeps.push(ms); if (options.onSleep) options.onSleep(ms); },
      formatDate: (d, zone, pattern) => {
        const parts = new Intl.DateTimeFormat('en-CA', { timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(d);
        return pattern === 'yyyy-MM-dd' ? parts : String(d);
      },
    },
    Session: {
      getActiveUser: () => ({ getEmail: () => 'admin@seller.example' }),
      getEffectiveUser: () => ({ getEmail: () => options.effectiveUser || 'admin@seller.example' }),
    },
  };
  vm.createContext(context);
  for (const file of fs.readdirSync(ROOT).filter((f) => f.endsWith('.gs')).sort()) {
    vm.runInContext(fs.readFileSync(path.join(ROOT, file), 'utf8'), context, { filename: file });
  }
  return { gas: context, calls, sheets, props, spreadsheet };
}

/** A value from the vm's realm, as plain data of this realm. */
const plain = (v) => JSON.parse(JSON.stringify(v));

module.exports = { makeEnv, plain, ROOT };
