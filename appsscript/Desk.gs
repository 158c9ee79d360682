/**
 * @OnlyCurrentDoc
 * What the sidebar's exceptions desk and Discord channels call (google.script.run); the backend checks roles.
 */

function listExceptions() {
  return api_('get', '/addon/exceptions');
}

/** @param {{template: string, order_id: ?string, fields: Object<string, string>}} form */
function raiseException(form) {
  return api_('post', '/addon/exceptions', form);
}

/**
 * @param {number} caseId
 * @param {Object<string, string>} fields every field as typed; an empty one is cleared
 */
function saveExceptionFields(caseId, fields) {
  return api_('post', '/addon/exceptions/fields', { id: caseId, fields: fields });
}

/**
 * @param {number} caseId
 * @param {string} outcome one of the outcomes /addon/exceptions lists
 * @param {string} note
 */
function resolveException(caseId, outcome, note) {
  return api_('post', '/addon/exceptions/resolve', { id: caseId, outcome: outcome, note: note || '' });
}

/**
 * @param {number} caseId
 * @param {?string} language en or zh-Hans; none = the buyer's
 */
function buyerMessage(caseId, language) {
  return api_('get', '/addon/exceptions/message', { id: caseId, language: language });
}

function listChannels() {
  return api_('get', '/addon/channels');
}

/** @param {{name: string, url: string, kinds: Array<string>}} form */
function addChannel(form) {
  return api_('post', '/addon/channels', form);
}

/** @param {number} channelId */
function testChannel(channelId) {
  return api_('post', '/addon/channels/test', { id: channelId });
}

/** @param {number} channelId */
function removeChannel(channelId) {
  return api_('post', '/addon/channels/remove', { id: channelId });
}

/** The sidebar's language (this spreadsheet's, else the team's) and its messages, from the backend's catalogs. */
function getStrings() {
  return api_('get', '/addon/strings', { spreadsheet_id: SpreadsheetApp.getActiveSpreadsheet().getId() });
}

/**
 * The edit trigger's note on refused cells follows the new language (when a trigger is installed).
 * @param {?string} language en or zh-Hans for this spreadsheet; none = the team's
 */
function setSpreadsheetLanguage(language) {
  var ss = SpreadsheetApp.getActiveSpreadsheet();
  var strings = api_('post', '/addon/spreadsheet/language', { spreadsheet_id: ss.getId(), language: language });
  try {
    refreshTriggerConfig_(ss);
  } catch (err) {
    // The language is saved; the note stays in the old one until the trigger's columns are next refreshed.
  }
  return strings;
}
