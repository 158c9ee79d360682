/**
 * @OnlyCurrentDoc
 * Binding a tab proves first that this person can edit this spreadsheet: the backend issues a one-time
 * challenge, this script writes it as developer metadata (visible to the backend's project too), the
 * backend reads it back, and the metadata is removed again.
 */

/**
 * @param {{tab: ?string, newTab: boolean, profile: string, shops: Array<string>}} form
 * @return {Object} the binding
 */
function bindTab(form) {
  var ss = SpreadsheetApp.getActiveSpreadsheet();
  var tab = (form.tab || ss.getActiveSheet().getName()).trim();
  if (form.newTab) {
    if (ss.getSheetByName(tab)) {
      throw new Error('A tab named "' + tab + '" already exists: choose another name.');
    }
    ss.insertSheet(tab);
  } else if (!ss.getSheetByName(tab)) {
    throw new Error('There is no tab named "' + tab + '".');
  }
  var challenge = api_('post', '/addon/bind/challenge', { spreadsheet_id: ss.getId() });
  var proof = ss.addDeveloperMetadata(
    challenge.key, challenge.value, SpreadsheetApp.DeveloperMetadataVisibility.DOCUMENT);
  SpreadsheetApp.flush();
  var binding;
  try {
    binding = api_('post', '/addon/bindings', {
      spreadsheet_id: ss.getId(),
      challenge: challenge.value,
      tab: tab,
      profile: form.profile,
      shops: form.shops || [],
      title: ss.getName()
    });
  } finally {
    proof.remove();
  }
  refreshTriggerConfig_(ss);
  return binding;
}
