/**
 * @OnlyCurrentDoc
 * The only file that calls UrlFetchApp. Every call carries the user's Google identity token; the
 * backend verifies it and decides what this person may do. Errors come back as the backend's message.
 */

var BACKEND_PROPERTY = 'ORDERDECK_BACKEND_URL';
var TEAM_PROPERTY = 'ORDERDECK_TEAM';

/** @return {string} the backend's base URL, from the script properties (set once at deployment). */
function backendUrl_() {
  var url = PropertiesService.getScriptProperties().getProperty(BACKEND_PROPERTY);
  if (!url) {
    throw new Error('OrderDeck is not set up: the script property ' + BACKEND_PROPERTY + ' is missing.');
  }
  return url.replace(/\/+$/, '');
}

/**
 * @param {Object<string, *>} params
 * @return {string}
 */
function query_(params) {
  return Object.keys(params)
    .filter(function (k) { return params[k] !== null && params[k] !== undefined && params[k] !== ''; })
    .map(function (k) { return encodeURIComponent(k) + '=' + encodeURIComponent(String(params[k])); })
    .join('&');
}

/**
 * The backend's own words for a failure, or what happened on the way.
 * @param {number} code
 * @param {?Object} body
 * @param {string} text
 * @return {string}
 */
function errorMessage_(code, body, text) {
  if (body && body.error && body.error.message) {
    return body.error.message;
  }
  return 'OrderDeck answered ' + code + (text ? ': ' + String(text).slice(0, 200) : ' with nothing');
}

/**
 * Call the backend as the current user.
 * @param {string} method 'get' or 'post'
 * @param {string} path e.g. '/addon/status'
 * @param {Object=} payload query parameters for 'get', the JSON body otherwise
 * @return {Object} the parsed JSON answer
 * @throws {Error} the backend's message, with `status` (the HTTP code) and `retryAfter` (seconds, 0 when none)
 */
function api_(method, path, payload) {
  var headers = { Authorization: 'Bearer ' + ScriptApp.getIdentityToken() };
  var team = PropertiesService.getUserProperties().getProperty(TEAM_PROPERTY);
  if (team) {
    headers['X-OrderDeck-Team'] = team;
  }
  var url = backendUrl_() + path;
  var options = { method: method, headers: headers, muteHttpExceptions: true, followRedirects: false };
  if (method === 'get') {
    var query = query_(payload || {});
    url += query ? '?' + query : '';
  } else {
    options.contentType = 'application/json';
    options.payload = JSON.stringify(payload || {});
  }
  var response = UrlFetchApp.fetch(url, options);
  var code = response.getResponseCode();
  var text = response.getContentText();
  var body = null;
  try {
    body = text ? JSON.parse(text) : {};
  } catch (ignored) {
    body = null;
  }
  if (code >= 200 && code < 300 && body !== null) {
    return body;
  }
  var error = new Error(errorMessage_(code, body, text));
  error.status = code;
  // A limit's refusal (429) says in how many seconds a call would be let through.
  var detail = body && body.error && body.error.detail;
  error.retryAfter = detail && detail.retry_after ? Number(detail.retry_after) : 0;
  throw error;
}
