"""Which language a team's sheets and sidebar speak: a spreadsheet's own choice (admins, from the sidebar),
and the sidebar's strings from the backend's catalogs (Apps Script cannot run Babel)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session

from backend import i18n
from backend.errors import NotFound
from backend.models import SheetBinding, utcnow
from backend.services.addon import Caller, audit, team_of, team_spreadsheet


def sidebar_strings(session: Session, caller: Caller, google_id: str | None) -> dict[str, Any]:
    """The sidebar's language (this spreadsheet's, else the team's) and every message in it."""
    spreadsheet = team_spreadsheet(session, caller, google_id) if google_id else None
    language = i18n.language_of(team_of(session, caller), spreadsheet)
    return {
        "language": language,
        "team_language": team_of(session, caller).language,
        "spreadsheet_language": spreadsheet.language if spreadsheet else None,
        "languages": list(i18n.LANGUAGES),
        "messages": i18n.messages(language),
    }


def set_spreadsheet_language(session: Session, caller: Caller, google_id: str, language: str | None) -> dict[str, Any]:
    """This file's own language (None: the team's); its tabs are rewritten in it at the next push."""
    spreadsheet = team_spreadsheet(session, caller, google_id)
    if spreadsheet is None:
        raise NotFound("this spreadsheet has no bound tab yet: bind a tab first")
    before, spreadsheet.language = spreadsheet.language, i18n.check_language(language) if language else None
    if before != spreadsheet.language:
        session.execute(
            update(SheetBinding)
            .where(SheetBinding.spreadsheet_id == spreadsheet.id)
            .values(dirty=True, dirty_since=utcnow())
        )
        audit(session, caller, "spreadsheet.language", google_id, {"from": before, "to": spreadsheet.language})
    return sidebar_strings(session, caller, google_id)
