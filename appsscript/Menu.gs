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

/**
 * Who the user is, their teams and invitations, and the team chosen for this user. The remembered team
 * follows the answer: a team the user left (or was removed from) is forgotten, so no later call names it.
 * @return {Object}
 */
function whoAmI() {
  var me = api_('get', '/addon/me');
  var props = PropertiesService.getUserProperties();
  if (me.team) {
    props.setProperty(TEAM_PROPERTY, String(me.team.id));
  } else {
    props.deleteProperty(TEAM_PROPERTY);
  }
  return me;
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

/**
 * The account Google returned to this admin's Connect link becomes the team's writer.
 * @param {string} account the address the sidebar showed
 */
function confirmGoogle(account) {
  return api_('post', '/addon/google/confirm', { account: account });
}

/** @param {string} account the address Google returned, which this admin does not recognise */
function discardGoogle(account) {
  return api_('post', '/addon/google/discard', { account: account });
}

function listProfiles() {
  return api_('get', '/addon/profiles', { spreadsheet_id: SpreadsheetApp.getActiveSpreadsheet().getId() });
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

function listInvitations() {
  return api_('get', '/addon/invitations');
}

/**
 * Invite someone: they become a member when they accept (the answer's url is the link to send them).
 * @param {string} email
 * @param {string} role
 */
function inviteMember(email, role) {
  return api_('post', '/addon/invitations', { email: email, role: role });
}

/** @param {string} email */
function revokeInvitation(email) {
  return api_('post', '/addon/invitations/revoke', { email: email });
}

/**
 * Join the team that invited this user; the sidebar works in that team from now on.
 * @param {number} invitationId
 */
function acceptInvitation(invitationId) {
  var joined = api_('post', '/addon/invitations/accept', { invitation: invitationId });
  PropertiesService.getUserProperties().setProperty(TEAM_PROPERTY, String(joined.team.id));
  return joined;
}

/** Leave the sidebar's team (the backend keeps its last admin); the sidebar forgets that team. */
function leaveTeam() {
  var left = api_('post', '/addon/leave', {});
  PropertiesService.getUserProperties().deleteProperty(TEAM_PROPERTY);
  return left;
}

/** @param {number} days how long buyers' personal data is kept after an order ends */
function setRetention(days) {
  return api_('post', '/addon/team/retention', { retention_days: days });
}

/** @param {string} tab */
function unbindTab(tab) {
  var ss = SpreadsheetApp.getActiveSpreadsheet();
  return api_('post', '/addon/bindings/remove', { spreadsheet_id: ss.getId(), tab: tab });
}

/**
 * @param {{title: string, audience: string, profile: string, tab: string, shops: Array<string>, notify: boolean}} form
 *     notify: Google e-mails the people it is shared with (off unless asked)
 */
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
