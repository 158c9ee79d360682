/**
 * @OnlyCurrentDoc
 * The add-on menu, the sidebar, and the functions the sidebar calls (google.script.run).
 */

/** @param {Object} e */
function onOpen(e) {
  SpreadsheetApp.getUi().createAddonMenu()
    .addItem('Open OrderDeck', 'showSidebar')
    .addToUi();
}

/** @param {Object} e */
function onInstall(e) {
  onOpen(e);
}

function showSidebar() {
  var page = HtmlService.createTemplateFromFile('Sidebar').evaluate().setTitle('OrderDeck');
  SpreadsheetApp.getUi().showSidebar(page);
}

/**
 * Paste a partial (SidebarCss, SidebarJs) into the sidebar template.
 * @param {string} name
 * @return {string}
 */
function include(name) {
  return HtmlService.createHtmlOutputFromFile(name).getContent();
}

/** @return {Object} who the user is, their teams, and the team chosen for this user. */
function whoAmI() {
  return api_('get', '/addon/me');
}

/** @param {number} teamId */
function chooseTeam(teamId) {
  PropertiesService.getUserProperties().setProperty(TEAM_PROPERTY, String(teamId));
  return whoAmI();
}

function getStatus() {
  var ss = SpreadsheetApp.getActiveSpreadsheet();
  var status = api_('get', '/addon/status', { spreadsheet_id: ss.getId() });
  status.activeTab = ss.getActiveSheet().getName();
  status.tabs = ss.getSheets().map(function (s) { return s.getName(); });
  return status;
}

/** @param {?number} shopId */
function syncNow(shopId) {
  return api_('post', '/addon/sync', shopId ? { shop_id: shopId } : {});
}

/**
 * A one-time consent link for the team on a sales channel.
 * @param {string} platform tiktok or shopee
 * @param {string} region
 */
function connectShop(platform, region) {
  return api_('post', '/addon/shops/consent', { platform: platform || 'tiktok', region: region || '' });
}

function connectGoogle() {
  return api_('post', '/addon/google/connect', {});
}

function listProfiles() {
  return api_('get', '/addon/profiles');
}

/** @param {string} audience */
function listColumns(audience) {
  return api_('get', '/addon/columns', { audience: audience });
}

/** @param {Object} doc a custom column profile */
function defineProfile(doc) {
  return api_('post', '/addon/profiles', doc);
}

function listMembers() {
  return api_('get', '/addon/members');
}

/**
 * @param {string} email
 * @param {string} role
 */
function setMember(email, role) {
  return api_('post', '/addon/members', { email: email, role: role });
}

/** @param {string} email */
function removeMember(email) {
  return api_('post', '/addon/members/remove', { email: email });
}

/** @param {string} tab */
function unbindTab(tab) {
  var ss = SpreadsheetApp.getActiveSpreadsheet();
  return api_('post', '/addon/bindings/remove', { spreadsheet_id: ss.getId(), tab: tab });
}

/** @param {{title: string, audience: string, profile: string, tab: string, shops: Array<string>}} form */
function createSpreadsheet(form) {
  return api_('post', '/addon/spreadsheets', form);
}

/** @return {Object} the Pending-Action board per shop (links to the rows), and refunds waiting for finance */
function pendingActions() {
  return api_('get', '/addon/pending-actions');
}

/**
 * Finance's answer to a refund above the team's limit: approve sends it to the platform at once.
 * @param {string} caseId
 * @param {string} answer 'approve' or 'decline'
 */
function answerRefund(caseId, answer) {
  return api_('post', '/addon/refunds/answer', { case: caseId, answer: answer });
}
