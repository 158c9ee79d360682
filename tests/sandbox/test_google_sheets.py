"""The Sheets v4 / Drive v3 sandbox through google-api-python-client over real HTTP."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import requests
from google.oauth2 import credentials as user_credentials
from googleapiclient.errors import HttpError
from hypothesis import given
from hypothesis import strategies as st

from backend.domain import a1
from backend.sandbox.google_identity import FakeClock
from backend.sandbox.sheets import GoogleSandboxes, QuotaLimits
from backend.sandbox.sheets.formats import datetime_to_serial, general
from tests.sandbox.conftest import SCOPES, _service

OWNER = "founder@shop.test"
READONLY = ["https://www.googleapis.com/auth/spreadsheets.readonly"]


def _create(sheets: Any, title: str = "Orders", **props: Any) -> tuple[str, int]:
    body = {"properties": {"title": title, **props}, "sheets": [{"properties": {"title": "Ship by 'today'"}}]}
    created = sheets.spreadsheets().create(body=body).execute()
    return created["spreadsheetId"], created["sheets"][0]["properties"]["sheetId"]


def _batch(sheets: Any, sid: str, *reqs: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = (
        sheets.spreadsheets().batchUpdate(spreadsheetId=sid, body={"requests": list(reqs)}).execute()
    )
    return result


def _cells(
    sheet_id: int, row: int, col: int, *values: dict[str, Any], fields: str = "userEnteredValue"
) -> dict[str, Any]:
    start = {"sheetId": sheet_id, "rowIndex": row, "columnIndex": col}
    return {"updateCells": {"start": start, "rows": [{"values": list(values)}], "fields": fields}}


def _get(sheets: Any, sid: str, rng: str, **kw: Any) -> list[list[Any]]:
    rows: list[list[Any]] = (
        sheets.spreadsheets().values().get(spreadsheetId=sid, range=rng, **kw).execute().get("values", [])
    )
    return rows


TAB = "'Ship by ''today'''"


def test_real_client_urls_reach_the_routes(sandboxes: GoogleSandboxes, sheets: Any, drive: Any) -> None:
    sid, sheet_id = _create(sheets)
    _batch(sheets, sid, {"appendDimension": {"sheetId": sheet_id, "dimension": "ROWS", "length": 1}})
    sheets.spreadsheets().values().append(
        spreadsheetId=sid, range=f"{TAB}!A1", valueInputOption="RAW", body={"values": [["x"]]}
    ).execute()
    drive.files().get(fileId=sid).execute()
    paths = [entry.path for entry in sandboxes.sheets.log]
    assert paths[0].startswith("/v4/spreadsheets?")
    assert paths[1].startswith(f"/v4/spreadsheets/{sid}:batchUpdate")
    assert ":append?" in paths[2]
    assert paths[3].startswith(f"/drive/v3/files/{sid}")
    assert sandboxes.sheets.counters["sheets.spreadsheets.batchUpdate"] == 1
    assert all(entry.caller and entry.caller.endswith("iam.gserviceaccount.com") for entry in sandboxes.sheets.log)


def test_unknown_field_rejects_the_whole_batch(sandboxes: GoogleSandboxes, sheets: Any) -> None:
    sid, sheet_id = _create(sheets)
    good = {"addSheet": {"properties": {"title": "Finance"}}}
    with pytest.raises(HttpError) as err:
        _batch(
            sheets, sid, good, {"updateCells": {"start": {"sheetId": sheet_id}, "rows": [], "fields": "*", "bogus": 1}}
        )
    assert err.value.status_code == 400
    assert 'Unknown name "bogus"' in err.value.reason
    with pytest.raises(HttpError) as err:
        _batch(sheets, sid, good, {"appendDimension": {"sheetId": sheet_id, "dimension": "ROWZ", "length": 1}})
    assert err.value.status_code == 400 and "ROWZ" in err.value.reason
    titles = [s["properties"]["title"] for s in sheets.spreadsheets().get(spreadsheetId=sid).execute()["sheets"]]
    assert titles == ["Ship by 'today'"]


def test_a_failing_request_late_in_a_batch_applies_nothing(sheets: Any) -> None:
    sid, sheet_id = _create(sheets)
    with pytest.raises(HttpError) as err:
        _batch(
            sheets,
            sid,
            {"addSheet": {"properties": {"title": "Finance"}}},
            _cells(sheet_id, 0, 0, {"userEnteredValue": {"stringValue": "kept?"}}),
            _cells(sheet_id, 1000, 0, {"userEnteredValue": {"stringValue": "outside"}}),
        )
    assert err.value.status_code == 400
    assert err.value.reason.startswith("Invalid requests[2].updateCells: Range (")
    assert "exceeds grid limits. Max rows: 1000, max columns: 26" in err.value.reason
    assert _get(sheets, sid, f"{TAB}!A1") == []
    assert len(sheets.spreadsheets().get(spreadsheetId=sid).execute()["sheets"]) == 1


def test_values_outside_the_grid_are_rejected(sheets: Any) -> None:
    sid, _ = _create(sheets)
    with pytest.raises(HttpError) as err:
        sheets.spreadsheets().values().update(
            spreadsheetId=sid, range=f"{TAB}!AA1", valueInputOption="RAW", body={"values": [[1]]}
        ).execute()
    assert err.value.status_code == 400 and "exceeds grid limits" in err.value.reason
    with pytest.raises(HttpError) as err:
        sheets.spreadsheets().values().update(
            spreadsheetId=sid, range=f"{TAB}!A1:B1", valueInputOption="RAW", body={"values": [[1, 2, 3]]}
        ).execute()
    assert err.value.reason.endswith("but tried writing to column [C]")


def test_raw_stays_text_and_user_entered_parses(sandboxes: GoogleSandboxes, sheets: Any) -> None:
    sid, sheet_id = _create(sheets)
    injection = '=IMPORTXML("http://x","//a")'
    _batch(sheets, sid, _cells(sheet_id, 0, 0, {"userEnteredValue": {"stringValue": injection}}))
    values = sheets.spreadsheets().values()
    values.update(
        spreadsheetId=sid,
        range=f"{TAB}!A2",
        valueInputOption="USER_ENTERED",
        body={"values": [[injection, "12.5", "TRUE", "25%"]]},
    ).execute()
    values.update(
        spreadsheetId=sid, range=f"{TAB}!A3", valueInputOption="RAW", body={"values": [["=1+2", "12.5"]]}
    ).execute()
    assert _get(sheets, sid, f"{TAB}!A1:D3") == [[injection], ["#NAME?", "12.5", "TRUE", "25.00%"], ["=1+2", "12.5"]]
    assert _get(sheets, sid, f"{TAB}!A1:D3", valueRenderOption="FORMULA") == [
        [injection],
        [injection, 12.5, True, 0.25],
        ["=1+2", "12.5"],
    ]
    assert _get(sheets, sid, f"{TAB}!A2:B2", valueRenderOption="UNFORMATTED_VALUE") == [["#NAME?", 12.5]]
    assert sandboxes.sheets.cell(sid, f"{TAB}!A1") == injection


def test_protected_range_stops_non_editors(
    sandboxes: GoogleSandboxes, sheets: Any, service_as: Callable[..., Any]
) -> None:
    sid, sheet_id = _create(sheets)
    sandboxes.sheets.share(sid, "writer", email="packer@shop.test")
    protect = {
        "protectedRangeId": 42,
        "range": {"sheetId": sheet_id, "startColumnIndex": 7, "endColumnIndex": 10},
        "editors": {"users": []},
    }
    reply = _batch(sheets, sid, {"addProtectedRange": {"protectedRange": protect}})
    assert reply["replies"][0]["addProtectedRange"]["protectedRange"]["requestingUserCanEdit"] is True
    with pytest.raises(HttpError) as err:
        _batch(sheets, sid, {"addProtectedRange": {"protectedRange": protect}})
    assert "already exists" in err.value.reason

    packer = service_as("sheets", "packer@shop.test")
    ok = (
        packer.spreadsheets()
        .values()
        .update(spreadsheetId=sid, range=f"{TAB}!A2", valueInputOption="RAW", body={"values": [["TRK-1"]]})
    )
    assert ok.execute()["updatedCells"] == 1
    for attempt in (
        packer.spreadsheets()
        .values()
        .update(spreadsheetId=sid, range=f"{TAB}!H2", valueInputOption="RAW", body={"values": [[1]]}),
        packer.spreadsheets().batchUpdate(
            spreadsheetId=sid, body={"requests": [_cells(sheet_id, 1, 6, {}, {"userEnteredValue": {"numberValue": 3}})]}
        ),
        packer.spreadsheets().batchUpdate(
            spreadsheetId=sid, body={"requests": [{"deleteProtectedRange": {"protectedRangeId": 42}}]}
        ),
    ):
        with pytest.raises(HttpError) as err:
            attempt.execute()
        assert err.value.status_code == 400 and "protected cell or object" in err.value.reason
    got = packer.spreadsheets().get(spreadsheetId=sid, fields="sheets(properties.sheetId,protectedRanges)").execute()
    assert got["sheets"][0]["protectedRanges"][0]["requestingUserCanEdit"] is False
    sheets.spreadsheets().values().update(
        spreadsheetId=sid, range=f"{TAB}!H2", valueInputOption="RAW", body={"values": [[9]]}
    ).execute()
    assert _get(sheets, sid, f"{TAB}!H2") == [["9"]]


def test_sheet_protection_with_holes_and_group_editors(
    sandboxes: GoogleSandboxes, sheets: Any, service_as: Callable[..., Any]
) -> None:
    sid, sheet_id = _create(sheets)
    sandboxes.sheets.add_group("finance@shop.test", ["cfo@shop.test"])
    sandboxes.sheets.share(sid, "writer", email="finance@shop.test", kind="group")
    sandboxes.sheets.share(sid, "writer", email="packer@shop.test")
    hole = {"sheetId": sheet_id, "startRowIndex": 1, "startColumnIndex": 0, "endColumnIndex": 1}
    protect = {
        "range": {"sheetId": sheet_id},
        "unprotectedRanges": [hole],
        "editors": {"groups": ["finance@shop.test"]},
    }
    _batch(sheets, sid, {"addProtectedRange": {"protectedRange": protect}})
    with pytest.raises(HttpError, match="already has sheet protection"):
        _batch(sheets, sid, {"addProtectedRange": {"protectedRange": protect}})
    packer, cfo = service_as("sheets", "packer@shop.test"), service_as("sheets", "cfo@shop.test")
    packer.spreadsheets().values().update(
        spreadsheetId=sid, range=f"{TAB}!A5", valueInputOption="RAW", body={"values": [["ok"]]}
    ).execute()
    with pytest.raises(HttpError):
        packer.spreadsheets().values().update(
            spreadsheetId=sid, range=f"{TAB}!B5", valueInputOption="RAW", body={"values": [["no"]]}
        ).execute()
    cfo.spreadsheets().values().update(
        spreadsheetId=sid, range=f"{TAB}!B5", valueInputOption="RAW", body={"values": [["yes"]]}
    ).execute()


def test_write_quota_per_user_per_minute(sandboxes: GoogleSandboxes, sheets: Any, clock: FakeClock) -> None:
    sid, _ = _create(sheets)  # write 1
    update = sheets.spreadsheets().values().update
    for i in range(59):
        update(spreadsheetId=sid, range=f"{TAB}!A{i + 1}", valueInputOption="RAW", body={"values": [[i]]}).execute()
    with pytest.raises(HttpError) as err:
        update(spreadsheetId=sid, range=f"{TAB}!B1", valueInputOption="RAW", body={"values": [[1]]}).execute(
            num_retries=0
        )
    assert err.value.status_code == 429
    assert "Write requests per minute per user" in err.value.reason
    assert err.value.error_details[0]["reason"] == "RATE_LIMIT_EXCEEDED"
    assert _get(sheets, sid, f"{TAB}!B1") == []  # reads have their own bucket
    clock.advance(60)
    update(spreadsheetId=sid, range=f"{TAB}!B1", valueInputOption="RAW", body={"values": [[1]]}).execute()
    assert sandboxes.sheets.counters["status:429"] == 1


def test_read_quota_is_per_user_per_project_and_per_project(sandboxes: GoogleSandboxes, sheets: Any) -> None:
    """Google's limits page: 60 a minute per user per project, 300 a minute per project (here 2 and 3)."""
    sid, _ = _create(sheets)
    sandboxes.sheets.share(sid, "reader", email="alice@x.test")
    sandboxes.sheets.share(sid, "reader", email="bob@x.test")
    sandboxes.sheets.quotas.limits = QuotaLimits(read_per_user=2, read_per_project=3)

    def reader(email: str, project: str) -> Callable[[], Any]:
        token = sandboxes.identity.issue_access_token(email, SCOPES, client_id=project)
        service = _service(sandboxes, "sheets", user_credentials.Credentials(token=token))  # type: ignore[no-untyped-call]
        return lambda: service.spreadsheets().get(spreadsheetId=sid).execute(num_retries=0)

    alice_p, alice_q, bob_p = (
        reader("alice@x.test", "project-p"),
        reader("alice@x.test", "project-q"),
        reader("bob@x.test", "project-p"),
    )
    alice_p()
    alice_p()
    with pytest.raises(HttpError, match="per minute per user") as per_user:
        alice_p()
    assert per_user.value.status_code == 429
    alice_q()  # the same person through another project has that project's quota
    bob_p()  # the third read of project P
    with pytest.raises(HttpError) as per_project:
        bob_p()  # bob is far from his own 2, but project P's 3 are spent
    assert per_project.value.status_code == 429
    assert "per minute per user" not in str(per_project.value.reason)
    assert per_project.value.error_details[0]["metadata"]["consumer"] == "projects/project-p"


def test_countdown_formula_in_the_spreadsheet_time_zone(
    sandboxes: GoogleSandboxes, sheets: Any, clock: FakeClock
) -> None:
    clock.advance(60 - clock.now() % 60)  # a whole minute; token lifetimes keep running on the same clock
    local_now = dt.datetime.fromtimestamp(clock.now(), ZoneInfo("Asia/Shanghai")).replace(tzinfo=None)
    sid, sheet_id = _create(sheets, timeZone="Asia/Shanghai")
    deadline = datetime_to_serial(local_now + dt.timedelta(hours=5, minutes=30))
    countdown = '=IF(B2="","",IF(B2-NOW()<0,"LATE "&TEXT(NOW()-B2,"[h]:mm"),TEXT(B2-NOW(),"[h]:mm")))'
    _batch(
        sheets,
        sid,
        {
            "updateCells": {
                "range": {
                    "sheetId": sheet_id,
                    "startRowIndex": 1,
                    "endRowIndex": 3,
                    "startColumnIndex": 1,
                    "endColumnIndex": 2,
                },
                "rows": [
                    {
                        "values": [
                            {
                                "userEnteredValue": {"numberValue": deadline},
                                "userEnteredFormat": {
                                    "numberFormat": {"type": "DATE_TIME", "pattern": "yyyy-mm-dd hh:mm"}
                                },
                            }
                        ]
                    },
                    {"values": [{"userEnteredValue": {"numberValue": deadline - 6 / 24}}]},
                ],
                "fields": "userEnteredValue,userEnteredFormat.numberFormat",
            }
        },
        {
            "repeatCell": {
                "range": {
                    "sheetId": sheet_id,
                    "startRowIndex": 1,
                    "endRowIndex": 4,
                    "startColumnIndex": 2,
                    "endColumnIndex": 3,
                },
                "cell": {"userEnteredValue": {"formulaValue": countdown}},
                "fields": "userEnteredValue",
            }
        },
        {
            "repeatCell": {
                "range": {
                    "sheetId": sheet_id,
                    "startRowIndex": 1,
                    "endRowIndex": 2,
                    "startColumnIndex": 3,
                    "endColumnIndex": 4,
                },
                "cell": {"userEnteredValue": {"formulaValue": "=ROUND(MAX(B2:B3)-MIN(B2:B3),2)*24+ABS(INT(-1.5))"}},
                "fields": "userEnteredValue",
            }
        },
    )
    shown_deadline = (local_now + dt.timedelta(hours=5, minutes=30)).strftime("%Y-%m-%d %H:%M")
    assert _get(sheets, sid, f"{TAB}!B2:D4") == [
        [shown_deadline, "5:30", "8"],
        [general(deadline - 0.25), "LATE 0:30"],
        ["", ""],
    ]
    assert _get(sheets, sid, f"{TAB}!C3", valueRenderOption="FORMULA") == [[countdown.replace("B2", "B3")]]
    clock.advance(3600)
    assert sandboxes.sheets.cell(sid, f"{TAB}!C2") == "4:30"


def test_fields_mask_grid_data_and_drive_sharing(
    sandboxes: GoogleSandboxes, sheets: Any, drive: Any, service_as: Callable[..., Any]
) -> None:
    sid, sheet_id = _create(sheets)
    _batch(
        sheets,
        sid,
        _cells(
            sheet_id,
            0,
            0,
            {"userEnteredValue": {"numberValue": 3}, "userEnteredFormat": {"textFormat": {"bold": True}}},
            fields="*",
        ),
    )
    masked = (
        sheets.spreadsheets()
        .get(spreadsheetId=sid, fields="sheets.properties(title,gridProperties.rowCount)")
        .execute()
    )
    assert masked == {"sheets": [{"properties": {"title": "Ship by 'today'", "gridProperties": {"rowCount": 1000}}}]}
    grid = sheets.spreadsheets().get(spreadsheetId=sid, ranges=[f"{TAB}!A1:B2"], includeGridData=True).execute()
    cell = grid["sheets"][0]["data"][0]["rowData"][0]["values"][0]
    assert cell["effectiveValue"] == {"numberValue": 3} and cell["formattedValue"] == "3"

    drive.permissions().create(
        fileId=sid, body={"type": "anyone", "role": "reader", "allowFileDiscovery": False}
    ).execute()
    drive.permissions().create(
        fileId=sid, body={"type": "group", "role": "writer", "emailAddress": "ops@shop.test"}
    ).execute()
    drive.permissions().create(
        fileId=sid, body={"type": "domain", "role": "commenter", "domain": "agency.test"}
    ).execute()
    seen, token = [], None
    while True:
        page = (
            drive.permissions()
            .list(
                fileId=sid,
                pageSize=2,
                pageToken=token,
                fields="nextPageToken,permissions(id,type,role,emailAddress,domain)",
            )
            .execute()
        )
        seen += page["permissions"]
        token = page.get("nextPageToken")
        if not token:
            break
    assert {(p["type"], p["role"]) for p in seen} == {
        ("user", "owner"),
        ("anyone", "reader"),
        ("group", "writer"),
        ("domain", "commenter"),
    }
    meta = drive.files().get(fileId=sid, fields="owners(emailAddress),capabilities/canEdit").execute()
    assert meta["owners"][0]["emailAddress"].endswith("iam.gserviceaccount.com") and meta["capabilities"] == {
        "canEdit": True
    }

    outsider = service_as("sheets", "anyone@else.test")
    assert _get(outsider, sid, f"{TAB}!A1") == [["3"]]  # anyone-with-the-link can read every cell
    with pytest.raises(HttpError) as err:
        outsider.spreadsheets().values().update(
            spreadsheetId=sid, range=f"{TAB}!A1", valueInputOption="RAW", body={"values": [[1]]}
        ).execute()
    assert (err.value.status_code, err.value.reason) == (403, "The caller does not have permission")
    drive.permissions().delete(fileId=sid, permissionId="anyoneWithLink").execute()
    with pytest.raises(HttpError) as err:
        _get(outsider, sid, f"{TAB}!A1")
    assert err.value.status_code == 403
    with pytest.raises(HttpError) as err:
        service_as("drive", "anyone@else.test").files().get(fileId=sid).execute()
    assert err.value.status_code == 404


def test_tokens_and_scopes_are_checked(sandboxes: GoogleSandboxes, sheets: Any, service_as: Callable[..., Any]) -> None:
    sid, _ = _create(sheets)
    sandboxes.sheets.share(sid, "writer", email="viewer@shop.test")
    reader = service_as("sheets", "viewer@shop.test", READONLY)
    assert _get(reader, sid, f"{TAB}!A1") == []
    with pytest.raises(HttpError) as err:
        reader.spreadsheets().values().clear(spreadsheetId=sid, range=f"{TAB}!A1", body={}).execute()
    assert err.value.status_code == 403 and "insufficient authentication scopes" in err.value.reason
    url = f"{sandboxes.sheets.base_url}/v4/spreadsheets/{sid}"
    assert requests.get(url, timeout=5).json()["error"]["status"] == "UNAUTHENTICATED"
    assert requests.get(url, headers={"Authorization": "Bearer forged"}, timeout=5).status_code == 401


def test_fault_injection_and_commit_then_fail(sandboxes: GoogleSandboxes, sheets: Any) -> None:
    sid, _ = _create(sheets)
    sandboxes.sheets.inject_fault(503, count=2)
    for _ in range(2):
        with pytest.raises(HttpError) as err:
            sheets.spreadsheets().get(spreadsheetId=sid).execute()
        assert err.value.status_code == 503
    sheets.spreadsheets().get(spreadsheetId=sid).execute()
    sandboxes.sheets.inject_fault(500, path_contains=":batchUpdate", after_commit=True)
    with pytest.raises(HttpError) as err:
        _batch(sheets, sid, {"addSheet": {"properties": {"title": "Finance"}}})
    assert err.value.status_code == 500
    with pytest.raises(HttpError, match="already exists"):  # the first attempt was applied: a blind retry fails
        _batch(sheets, sid, {"addSheet": {"properties": {"title": "Finance"}}})


def test_structure_edits_move_metadata_and_protections(sheets: Any) -> None:
    sid, sheet_id = _create(sheets)
    row = {"sheetId": sheet_id, "dimension": "ROWS", "startIndex": 4, "endIndex": 5}
    _batch(
        sheets,
        sid,
        {
            "createDeveloperMetadata": {
                "developerMetadata": {
                    "metadataId": 7,
                    "metadataKey": "orderId",
                    "metadataValue": "ORD-1",
                    "visibility": "DOCUMENT",
                    "location": {"dimensionRange": row},
                }
            }
        },
        {
            "addProtectedRange": {
                "protectedRange": {
                    "protectedRangeId": 5,
                    "range": {"sheetId": sheet_id, "startRowIndex": 4, "endRowIndex": 5},
                }
            }
        },
        _cells(sheet_id, 4, 0, {"userEnteredValue": {"stringValue": "ORD-1"}}),
        {"insertDimension": {"range": {"sheetId": sheet_id, "dimension": "ROWS", "startIndex": 0, "endIndex": 2}}},
    )
    search = sheets.spreadsheets().developerMetadata().search
    found = search(
        spreadsheetId=sid,
        body={"dataFilters": [{"developerMetadataLookup": {"metadataKey": "orderId", "metadataValue": "ORD-1"}}]},
    ).execute()
    assert found["matchedDeveloperMetadata"][0]["developerMetadata"]["location"]["dimensionRange"]["startIndex"] == 6
    assert _get(sheets, sid, f"{TAB}!A7") == [["ORD-1"]]
    by_range = search(spreadsheetId=sid, body={"dataFilters": [{"a1Range": f"{TAB}!A7:C7"}]}).execute()
    assert len(by_range["matchedDeveloperMetadata"]) == 1
    got = (
        sheets.spreadsheets().get(spreadsheetId=sid, fields="sheets(protectedRanges(protectedRangeId,range))").execute()
    )
    assert got["sheets"][0]["protectedRanges"][0]["range"]["startRowIndex"] == 6
    _batch(
        sheets,
        sid,
        {"deleteDimension": {"range": {"sheetId": sheet_id, "dimension": "ROWS", "startIndex": 6, "endIndex": 7}}},
    )
    assert (
        search(spreadsheetId=sid, body={"dataFilters": [{"developerMetadataLookup": {"metadataId": 7}}]}).execute()
        == {}
    )


def _insert_rows(sheet_id: int, start: int, count: int) -> dict[str, Any]:
    return {"insertDimension": {"range": {"sheetId": sheet_id, "dimension": "ROWS", "startIndex": start,
                                          "endIndex": start + count}}}  # fmt: skip


def test_a_run_of_inserts_in_one_batch_leaves_the_sheet_as_inserting_them_one_batch_at_a_time(sheets: Any) -> None:
    """The sandbox moves what a run of insertDimension requests displaces once (dimensions.shift): cells,
    a protected range the inserts land before, inside and just after, and a row's metadata must end where
    Google puts them for the same inserts applied one by one."""
    inserts = [(0, 2), (5, 1), (9, 3), (9, 1), (16, 2), (30, 4), (1, 1), (7, 2)]

    def seeded() -> tuple[str, int]:
        sid, sheet_id = _create(sheets)
        _batch(
            sheets,
            sid,
            *[_cells(sheet_id, r, 0, {"userEnteredValue": {"stringValue": f"r{r}"}}) for r in range(20)],
            {
                "addProtectedRange": {
                    "protectedRange": {
                        "protectedRangeId": 5,
                        "range": {"sheetId": sheet_id, "startRowIndex": 5, "endRowIndex": 9},
                    }
                }
            },
            {
                "createDeveloperMetadata": {
                    "developerMetadata": {
                        "metadataId": 7,
                        "metadataKey": "orderId",
                        "metadataValue": "r12",
                        "visibility": "DOCUMENT",
                        "location": {
                            "dimensionRange": {
                                "sheetId": sheet_id,
                                "dimension": "ROWS",
                                "startIndex": 12,
                                "endIndex": 13,
                            }
                        },
                    }
                }
            },
        )
        return sid, sheet_id

    def state(sid: str) -> tuple[Any, ...]:
        got = sheets.spreadsheets().get(
            spreadsheetId=sid, fields="sheets(properties(gridProperties),protectedRanges(range))"
        )
        sheet = got.execute()["sheets"][0]
        lookup = {"dataFilters": [{"developerMetadataLookup": {"metadataId": 7}}]}
        found = sheets.spreadsheets().developerMetadata().search(spreadsheetId=sid, body=lookup).execute()
        row = found["matchedDeveloperMetadata"][0]["developerMetadata"]["location"]["dimensionRange"]["startIndex"]
        return _get(sheets, sid, f"{TAB}!A1:A60"), sheet["properties"]["gridProperties"], sheet["protectedRanges"], row

    together, sheet_id = seeded()
    _batch(sheets, together, *[_insert_rows(sheet_id, start, count) for start, count in inserts])
    apart, sheet_id = seeded()
    for start, count in inserts:
        _batch(sheets, apart, _insert_rows(sheet_id, start, count))
    values, grid, protected, row = state(together)
    assert (values, grid, protected, row) == state(apart)
    assert grid["rowCount"] == 1000 + sum(count for _, count in inserts)
    # the protected rows 5-8 move down for the inserts above them (at 0, 5, 1, 7), grow by those inside
    # them (both at 9), and not by the one at their end (16)
    assert [p["range"] for p in protected] == [{"sheetId": sheet_id, "startRowIndex": 11, "endRowIndex": 19}]
    assert values[row] == ["r12"]  # the metadata still marks its row's cells
    assert [v for v in values if v] == [[f"r{r}"] for r in range(20)]  # nothing lost, order kept


def test_a_refused_insert_in_a_run_is_named_by_its_own_index(sheets: Any) -> None:
    sid, sheet_id = _create(sheets)  # 1,000 rows, 1,003 once the first two inserts are in
    with pytest.raises(HttpError, match=r"Invalid requests\[2\]\.insertDimension: Invalid insert index 1010"):
        _batch(sheets, sid, _insert_rows(sheet_id, 0, 2), _insert_rows(sheet_id, 3, 1), _insert_rows(sheet_id, 1010, 1))
    grid = sheets.spreadsheets().get(spreadsheetId=sid, fields="sheets(properties(gridProperties))").execute()
    assert grid["sheets"][0]["properties"]["gridProperties"]["rowCount"] == 1000  # the batch applied nothing


def test_limits_cell_text_and_cell_count(sheets: Any) -> None:
    sid, sheet_id = _create(sheets)
    with pytest.raises(HttpError, match="maximum of 50000 characters in a single cell"):
        _batch(sheets, sid, _cells(sheet_id, 0, 0, {"userEnteredValue": {"stringValue": "x" * 50_001}}))
    with pytest.raises(HttpError, match="above the limit of 10000000 cells"):
        _batch(sheets, sid, {"addSheet": {"properties": {"gridProperties": {"rowCount": 400_000, "columnCount": 26}}}})


def test_values_append_batch_and_columns(sheets: Any) -> None:
    sid, _ = _create(sheets)
    values = sheets.spreadsheets().values()
    values.update(
        spreadsheetId=sid, range=f"{TAB}!A1", valueInputOption="RAW", body={"values": [["id", "qty"], ["A", 1]]}
    ).execute()
    appended = values.append(
        spreadsheetId=sid,
        range=f"{TAB}!A:B",
        valueInputOption="RAW",
        insertDataOption="INSERT_ROWS",
        body={"values": [["B", 2]]},
    ).execute()
    assert appended["tableRange"] == f"{TAB}!A1:B2"
    assert appended["updates"]["updatedRange"] == f"{TAB}!A3:B3"
    total = values.batchUpdate(
        spreadsheetId=sid,
        body={
            "valueInputOption": "USER_ENTERED",
            "data": [
                {"range": f"{TAB}!C1", "values": [["sum"]]},
                {"range": f"{TAB}!C2", "majorDimension": "COLUMNS", "values": [["=B2*10", "=SUM(B2:B3)"]]},
            ],
        },
    ).execute()
    assert total["totalUpdatedCells"] == 3 and total["totalUpdatedSheets"] == 1
    got = values.batchGet(spreadsheetId=sid, ranges=[f"{TAB}!A1:C3", f"{TAB}!C:C"], majorDimension="COLUMNS").execute()
    assert got["valueRanges"][0]["values"] == [["id", "A", "B"], ["qty", "1", "2"], ["sum", "10", "3"]]
    assert got["valueRanges"][1]["range"] == f"{TAB}!C1:C1001"
    cleared = values.clear(spreadsheetId=sid, range=f"{TAB}!C2:C3", body={}).execute()
    assert cleared["clearedRange"] == f"{TAB}!C2:C3"


def test_sort_validation_conditional_formats_and_charts(sandboxes: GoogleSandboxes, sheets: Any) -> None:
    sid, sheet_id = _create(sheets)
    rng = {"sheetId": sheet_id, "startRowIndex": 0, "endRowIndex": 3, "startColumnIndex": 0, "endColumnIndex": 2}
    rule = {
        "ranges": [rng],
        "booleanRule": {
            "condition": {"type": "NUMBER_GREATER", "values": [{"userEnteredValue": "1"}]},
            "format": {"textFormat": {"bold": True}},
        },
    }
    chart = {
        "spec": {"title": "Orders"},
        "position": {"overlayPosition": {"anchorCell": {"sheetId": sheet_id, "rowIndex": 0, "columnIndex": 4}}},
    }
    reply = _batch(
        sheets,
        sid,
        {
            "updateCells": {
                "range": rng,
                "rows": [
                    {"values": [{"userEnteredValue": {"stringValue": n}}, {"userEnteredValue": {"numberValue": v}}]}
                    for n, v in (("b", 2), ("c", 3), ("a", 1))
                ],
                "fields": "userEnteredValue",
            }
        },
        {"sortRange": {"range": rng, "sortSpecs": [{"dimensionIndex": 1, "sortOrder": "DESCENDING"}]}},
        {
            "setDataValidation": {
                "range": {**rng, "startColumnIndex": 1},
                "rule": {
                    "condition": {"type": "NUMBER_GREATER", "values": [{"userEnteredValue": "0"}]},
                    "strict": True,
                },
            }
        },
        {"addConditionalFormatRule": {"rule": rule, "index": 0}},
        {"addChart": {"chart": chart}},
        {
            "updateSheetProperties": {
                "properties": {"sheetId": sheet_id, "gridProperties": {"frozenRowCount": 1}},
                "fields": "gridProperties.frozenRowCount",
            }
        },
        {"updateSpreadsheetProperties": {"properties": {"timeZone": "Europe/London"}, "fields": "timeZone"}},
    )
    assert "chartId" in reply["replies"][4]["addChart"]["chart"]
    assert _get(sheets, sid, f"{TAB}!A1:B3") == [["c", "3"], ["b", "2"], ["a", "1"]]
    got = sheets.spreadsheets().get(spreadsheetId=sid).execute()
    assert got["properties"]["timeZone"] == "Europe/London"
    sheet = got["sheets"][0]
    assert sheet["properties"]["gridProperties"] == {"rowCount": 1000, "columnCount": 26, "frozenRowCount": 1}
    assert len(sheet["conditionalFormats"]) == 1 and len(sheet["charts"]) == 1
    deleted = _batch(sheets, sid, {"deleteConditionalFormatRule": {"sheetId": sheet_id, "index": 0}})
    assert deleted["replies"][0]["deleteConditionalFormatRule"]["rule"]["booleanRule"]
    page = sandboxes.sheets.html(sid)
    assert "<table>" in page and ">c<" in page and "<script" not in page


_names = st.text(alphabet=st.characters(codec="utf-8", exclude_characters="\x00\n\r"), min_size=1, max_size=12)
_bounds = st.tuples(st.integers(0, 5000), st.integers(1, 500)).map(lambda t: (t[0], t[0] + t[1]))


@given(
    sheet=st.none() | _names,
    rows=st.none() | _bounds,
    cols=st.none() | st.tuples(st.integers(0, 700), st.integers(1, 50)).map(lambda t: (t[0], t[0] + t[1])),
)
def test_a1_round_trip(sheet: str | None, rows: tuple[int, int] | None, cols: tuple[int, int] | None) -> None:
    if rows is None and cols is None and sheet is None:
        return
    rng = a1.A1Range(sheet, *(rows or (None, None)), *(cols or (None, None)))
    assert a1.parse(rng.to_a1()) == rng


@given(st.integers(0, a1.MAX_COLUMNS - 1))
def test_column_letters_round_trip(index: int) -> None:
    assert a1.column_index(a1.column_letters(index)) == index


def test_a1_open_ranges_and_quoted_names() -> None:
    assert a1.parse("'Ship by ''today'''!A1:C") == a1.A1Range("Ship by 'today'", 0, None, 0, 3)
    assert a1.parse("A:C") == a1.A1Range(None, None, None, 0, 3)
    assert a1.parse("2:5") == a1.A1Range(None, 1, 5, None, None)
    assert a1.parse("A2:C") == a1.A1Range(None, 1, None, 0, 3)
    assert a1.parse("Orders") == a1.A1Range("Orders")
    assert a1.parse("'A1'") == a1.A1Range("A1")
    with pytest.raises(a1.A1Error):
        a1.parse("A0")


def test_drive_creates_spreadsheets_and_drive_file_scope_is_per_app(
    sandboxes: GoogleSandboxes, drive: Any, service_as: Callable[..., Any]
) -> None:
    created = (
        drive.files()
        .create(body={"name": "Warehouse", "mimeType": "application/vnd.google-apps.spreadsheet"})
        .execute()
    )
    assert created == {
        "kind": "drive#file",
        "id": created["id"],
        "name": "Warehouse",
        "mimeType": "application/vnd.google-apps.spreadsheet",
    }
    sid = created["id"]
    sandboxes.sheets.share(sid, "writer", email="packer@shop.test")
    narrow = service_as("sheets", "packer@shop.test", ["https://www.googleapis.com/auth/drive.file"])
    with pytest.raises(HttpError) as err:  # drive.file: only files this app (OAuth client) created
        narrow.spreadsheets().get(spreadsheetId=sid).execute()
    assert err.value.status_code == 404
    mine = narrow.spreadsheets().create(body={"properties": {"title": "Mine"}}).execute()
    assert narrow.spreadsheets().get(spreadsheetId=mine["spreadsheetId"]).execute()["properties"]["title"] == "Mine"
    with pytest.raises(HttpError) as err:
        drive.files().create(body={"name": "x", "colour": "red"}).execute()
    assert err.value.status_code == 400 and 'Unknown name "colour"' in err.value.reason


def test_values_in_response_and_hidden_editors(
    sandboxes: GoogleSandboxes, sheets: Any, service_as: Callable[..., Any]
) -> None:
    sid, sheet_id = _create(sheets)
    reply = (
        sheets.spreadsheets()
        .values()
        .update(
            spreadsheetId=sid,
            range=f"{TAB}!A1",
            valueInputOption="USER_ENTERED",
            includeValuesInResponse=True,
            responseValueRenderOption="UNFORMATTED_VALUE",
            body={"values": [["=2*3"]]},
        )
        .execute()
    )
    assert reply["updatedData"]["values"] == [[6]]
    _batch(sheets, sid, {"addProtectedRange": {"protectedRange": {"range": {"sheetId": sheet_id, "endRowIndex": 1}}}})
    sandboxes.sheets.share(sid, "reader", email="viewer@shop.test")
    seen = service_as("sheets", "viewer@shop.test").spreadsheets().get(spreadsheetId=sid).execute()
    protected = seen["sheets"][0]["protectedRanges"][0]
    assert protected["requestingUserCanEdit"] is False and "editors" not in protected
