/**
 * @OnlyCurrentDoc
 * Edits flow back. An admin installs an edit trigger from the sidebar; installable triggers run as that
 * admin, so the sheet's protections decide who can type into an input column, and the editor's address
 * (e.user, when Google provides it) goes to the backend for the audit log. One edit event - a single
 * cell or a paste of many - is one backend call; rejected cells go back to the canonical value with a note.
 * An edit past the team's edit limit is sent again once the limit lets it through (within a minute); one
 * that still cannot be saved gets a note saying so, with the backend's reason.
 * An admin's edit of a column OrderDeck writes is sent too: the backend writes that row again.
 *
 * The backend believes the editor only in calls of the admin who installed the trigger last (it records
 * who); an earlier admin's trigger, still firing as that admin, retires itself instead of calling.
 */

var TRIGGER_HANDLER = 'onSheetEdit';
var CONFIG_PROPERTY = 'ORDERDECK_INPUT_COLUMNS';
var INSTALLER_PROPERTY = 'ORDERDECK_TRIGGER_BY';
var REFUSED_NOTE_PROPERTY = 'ORDERDECK_REFUSED_NOTE'; // "… did not save this: {error}" in the file's language
var COLUMN_KEY = 'orderdeck.column'; // developer metadata on each column OrderDeck writes: the column's key
// An edit refused by the team's edit limit (429) is sent once more when the limit's window ends within this many
// seconds (an installable trigger may run 6 minutes); otherwise, or refused again, the edited range says so.
var EDIT_RETRY_WAIT = 60;

/** @return {{installed: boolean, tabs: Array<string>, by: string}} */
function installEditTrigger() {
  var ss = SpreadsheetApp.getActiveSpreadsheet();
  var tabs = refreshTriggerConfig_(ss, true, true);
  var exists = ScriptApp.getUserTriggers(ss).some(function (t) {
    return t.getHandlerFunction() === TRIGGER_HANDLER;
  });
  if (!exists) {
    ScriptApp.newTrigger(TRIGGER_HANDLER).forSpreadsheet(ss).onEdit().create();
  }
  var by = PropertiesService.getDocumentProperties().getProperty(INSTALLER_PROPERTY) || '';
  return { installed: true, tabs: Object.keys(tabs), by: by };
}

/**
 * Ask the backend which columns of which tabs are input columns (admins only) and keep the answer, with the
 * admin whose trigger sends this spreadsheet's edits.
 * @param {Object} ss the spreadsheet
 * @param {boolean=} force ask even when no trigger was installed yet
 * @param {boolean=} install this admin's trigger sends the edits from now on
 * @return {Object} tab title -> {columns: {number: header}}
 */
function refreshTriggerConfig_(ss, force, install) {
  var props = PropertiesService.getDocumentProperties();
  if (!force && !props.getProperty(CONFIG_PROPERTY)) {
    return {};
  }
  var config = api_('post', '/addon/trigger', { spreadsheet_id: ss.getId(), install: !!install });
  props.setProperty(CONFIG_PROPERTY, JSON.stringify(config.tabs));
  props.setProperty(INSTALLER_PROPERTY, config.installed_by || '');
  props.setProperty(REFUSED_NOTE_PROPERTY, config.refused_note || '');
  return config.tabs;
}

/**
 * True (and the trigger deleted) when another admin installed the edit trigger since this one: it runs as
 * its own admin, whose calls may no longer name the editor, so it would only send the edits a second time.
 * @param {Object} ss the spreadsheet
 * @return {boolean}
 */
function retired_(ss) {
  var installer = PropertiesService.getDocumentProperties().getProperty(INSTALLER_PROPERTY);
  var me = Session.getEffectiveUser().getEmail();
  if (!installer || !me || installer.toLowerCase() === me.toLowerCase()) {
    return false;
  }
  ScriptApp.getUserTriggers(ss).forEach(function (t) {
    if (t.getHandlerFunction() === TRIGGER_HANDLER) {
      ScriptApp.deleteTrigger(t);
    }
  });
  return true;
}

/**
 * The note on cells OrderDeck did not save, in the spreadsheet's language as the backend last said it.
 * @param {string} reason the backend's refusal (already in that language)
 * @return {string}
 */
function refusedNote_(reason) {
  var note = PropertiesService.getDocumentProperties().getProperty(REFUSED_NOTE_PROPERTY);
  return (note || 'OrderDeck did not save this: {error}').replace('{error}', function () { return reason; });
}

/**
 * A cell as JSON can carry it: dates as yyyy-MM-dd in the spreadsheet's zone.
 * @param {*} value
 * @param {string} zone
 * @return {*}
 */
function cellValue_(value, zone) {
  if (value instanceof Date || Object.prototype.toString.call(value) === '[object Date]') {
    return Utilities.formatDate(value, zone, 'yyyy-MM-dd');
  }
  return value === '' ? null : value;
}

/**
 * The installable edit trigger.
 * @param {Object} e the edit event
 */
function onSheetEdit(e) {
  var range = e.range;
  var sheet = range.getSheet();
  if (retired_(sheet.getParent())) {
    return;
  }
  var tabs = JSON.parse(PropertiesService.getDocumentProperties().getProperty(CONFIG_PROPERTY) || '{}');
  var tab = tabs[sheet.getName()];
  if (!tab) {
    return;
  }
  var inputs = Object.keys(tab.columns).map(Number);
  var written = tab.width || Math.max.apply(null, inputs.concat([0]));
  var firstColumn = range.getColumn();
  var lastColumn = Math.min(firstColumn + range.getNumColumns() - 1, written);
  var firstRow = Math.max(range.getRow(), 2);
  var lastRow = range.getRow() + range.getNumRows() - 1;
  if (firstColumn > lastColumn || lastRow < firstRow) {
    return; // the header row, or columns OrderDeck does not write
  }
  var editor = e.user && e.user.getEmail ? e.user.getEmail() : '';
  var payload = editPayload_(sheet, tab, firstRow, lastRow, firstColumn, lastColumn, editor);
  if (!payload) {
    return;
  }
  var lock = LockService.getDocumentLock();
  for (var attempt = 0; ; attempt++) {
    var wait = 0;
    lock.waitLock(20000);
    try {
      applyResults_(sheet, api_('post', '/addon/edits', payload).cells, e, payload.rows);
    } catch (err) {
      if (attempt === 0 && err.status === 429 && err.retryAfter > 0 && err.retryAfter <= EDIT_RETRY_WAIT) {
        wait = err.retryAfter;
      } else {
        range.setNote(refusedNote_(err.message));
      }
    } finally {
      lock.releaseLock();
    }
    if (!wait) {
      return;
    }
    // Past the team's edit limit: wait out its window without holding the other edits back, then send what
    // the cells hold by then (a later edit of the same cells may have been sent meanwhile).
    Utilities.sleep(wait * 1000);
    payload = editPayload_(sheet, tab, firstRow, lastRow, firstColumn, lastColumn, editor);
    if (!payload) {
      return;
    }
  }
}

/**
 * The /addon/edits body for rows firstRow..lastRow (those with a key) and columns firstColumn..lastColumn of
 * a bound tab, as the sheet holds them now; null when no edited row has a key.
 * @param {Object} sheet
 * @param {{columns: Object, width: number}} tab the tab's input columns, as the backend gave them
 * @param {number} firstRow
 * @param {number} lastRow
 * @param {number} firstColumn
 * @param {number} lastColumn
 * @param {string} editor who typed (e.user), '' when Google does not say
 * @return {?Object}
 */
function editPayload_(sheet, tab, firstRow, lastRow, firstColumn, lastColumn, editor) {
  var inputs = Object.keys(tab.columns).map(Number);
  var width = Math.max.apply(null, inputs.concat([lastColumn]));
  var ss = sheet.getParent();
  var zone = ss.getSpreadsheetTimeZone();
  var values = sheet.getRange(firstRow, 1, lastRow - firstRow + 1, width).getValues();
  var rows = [];
  values.forEach(function (line, i) {
    if (line[0] === '' || line[0] === null) {
      return;
    }
    var row = { row: firstRow + i, key: String(line[0]), cells: {}, inputs: {} };
    for (var c = firstColumn; c <= lastColumn; c++) {
      row.cells[c] = cellValue_(line[c - 1], zone);
    }
    inputs.forEach(function (c) { row.inputs[c] = cellValue_(line[c - 1], zone); });
    rows.push(row);
  });
  if (!rows.length) {
    return null;
  }
  return {
    spreadsheet_id: ss.getId(),
    tab: sheet.getName(),
    editor: editor || null,
    headers: sheet.getRange(1, 1, 1, width).getDisplayValues()[0],
    keys: columnKeys_(sheet, width),
    rows: rows
  };
}

/**
 * Put each answered cell right: rejected ones back to the canonical value with a note saying why, in the row
 * that holds the answered row's key now.
 * @param {Object} sheet
 * @param {Array<{row: number, column: number, status: string, value: *, note: ?string}>} cells
 * @param {Object} e the edit event (a single-cell edit carries its old value)
 * @param {Array<{row: number, key: string}>} sent the rows the edit sent, in the sheet's order
 */
function applyResults_(sheet, cells, e, sent) {
  var single = e.range.getNumRows() === 1 && e.range.getNumColumns() === 1;
  var rows = rowsNow_(sheet, sent);
  cells.forEach(function (answer) {
    if (!rows[answer.row]) {
      return; // its row is gone from the tab (the order left it)
    }
    var cell = sheet.getRange(rows[answer.row], answer.column);
    var value = answer.value;
    if (answer.status === 'rejected' && value === null && single && e.oldValue !== undefined) {
      value = e.oldValue;
    }
    if (answer.status !== 'pending' && value !== null && value !== undefined && cell.getValue() !== value) {
      cell.setValue(value);
    }
    cell.setNote(answer.note || '');
  });
}

/**
 * Where each sent row is now. A push may have inserted or moved rows since the edit was read (it writes
 * through the Sheets API, which the document lock does not hold back), and an answer belongs to the row
 * with its key: the edited span is read once, and the whole key column only when a key has moved.
 * @param {Object} sheet
 * @param {Array<{row: number, key: string}>} sent
 * @return {Object} the row number sent -> the row number now (absent when no row has its key any more)
 */
function rowsNow_(sheet, sent) {
  var first = sent[0].row;
  var keys = sheet.getRange(first, 1, sent[sent.length - 1].row - first + 1, 1).getValues();
  var now = {};
  var moved = sent.filter(function (row) {
    if (String(keys[row.row - first][0]) !== row.key) {
      return true;
    }
    now[row.row] = row.row;
    return false;
  });
  if (moved.length) {
    var at = {};
    sheet.getRange(2, 1, Math.max(sheet.getLastRow() - 1, 1), 1).getValues().forEach(function (line, i) {
      at[String(line[0])] = i + 2;
    });
    moved.forEach(function (row) {
      if (at[row.key]) {
        now[row.row] = at[row.key];
      }
    });
  }
  return now;
}

/**
 * Each column's key from the developer metadata OrderDeck puts on it (it moves with the column), so the
 * backend finds a column by key whatever its header says; null where a column has none.
 * @param {Object} sheet
 * @param {number} width
 * @return {Array<?string>}
 */
function columnKeys_(sheet, width) {
  var keys = [];
  for (var c = 0; c < width; c++) {
    keys.push(null);
  }
  sheet.createDeveloperMetadataFinder().withKey(COLUMN_KEY).find().forEach(function (meta) {
    var column = meta.getLocation().getColumn();
    var at = column ? column.getColumn() : 0;
    if (at >= 1 && at <= width) {
      keys[at - 1] = meta.getValue();
    }
  });
  return keys;
}
