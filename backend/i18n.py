"""Message catalogs (Babel/gettext .po files in backend/translations/): sheet headers, status and dropdown
words, the sidebar's strings (Apps Script cannot run Babel, so the sidebar gets them from here) and
Discord messages, per team language (en or zh-Hans) with a spreadsheet's own language overriding it.

English is the source language: its catalog lists every message with an empty translation, so a
message missing from one catalog is found by comparing the catalogs (tests/test_i18n.py).
"""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping
from datetime import date
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_skeleton, format_time
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from babel.support import Translations

from backend.domain import fulfilment, localize
from backend.domain.profiles import Profile
from backend.errors import InvalidInput
from backend.models import Spreadsheet, Team
from backend.platforms.fulfilment import PickupSlot

TRANSLATIONS_DIR = Path(__file__).parent / "translations"
# OrderDeck's language codes (BCP 47, as the templates and the API use them) → Babel's locale names.
LOCALES: Mapping[str, str] = {"en": "en", "zh-Hans": "zh_Hans"}
LANGUAGES = tuple(LOCALES)
DEFAULT = "en"

Translate = Callable[[str], str]
TAB_CONTEXT = "tab"  # msgctxt of a tab title whose word a column header uses differently


def check_language(language: str) -> str:
    if language not in LOCALES:
        raise InvalidInput(f"unknown language {language!r}; languages are: {', '.join(LANGUAGES)}")
    return language


@cache
def catalog(language: str) -> Catalog:
    path = TRANSLATIONS_DIR / LOCALES[check_language(language)] / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as po:
        return read_po(po, locale=LOCALES[language])


@cache
def translations(language: str) -> Translations:
    """The catalog compiled in memory (no .mo files to keep in step with the .po)."""
    compiled = io.BytesIO()
    write_mo(compiled, catalog(language))
    compiled.seek(0)
    return Translations(compiled)


def translator(language: str) -> Translate:
    """gettext for `language`: a message without a translation stays as it is (English)."""
    return translations(language).gettext


def tab_titler(language: str) -> Translate:
    """A tab's title in `language`: its message in the "tab" context where a word means something else as a tab
    ("Orders" is a count in a column header, the orders themselves as a tab), else its plain message."""
    found = translations(language)

    def title(text: str) -> str:
        titled = str(found.pgettext(TAB_CONTEXT, text))
        return titled if titled != text else found.gettext(text)

    return title


def number_formatter(language: str) -> Callable[[float | int], str]:
    """A number as text in `language` (a message's figures; typed cells keep their numbers): a float with one or
    two decimals ("2.5"), an integer grouped ("1,234")."""
    locale = LOCALES[check_language(language)]
    return lambda value: format_decimal(value, "#,##0.0#" if isinstance(value, float) else "#,##0", locale=locale)


def day_label(day: date, language: str) -> str:
    """A day as text in `language`: "Mar 11, 2026", "2026年3月11日"."""
    return format_date(day, "medium", locale=LOCALES[check_language(language)])


def handover_words(language: str) -> tuple[str, fulfilment.SlotLabel]:
    """The pack list's "Drop-off" and pickup-slot label in `language`, the day and hours formatted for its locale
    on the shop's clock ("上门揽收 11月24日周二 09:00–12:00"); English exactly as the domain says them, so the
    labels already picked stay what they were."""
    if check_language(language) == DEFAULT:
        return fulfilment.DROP_OFF, fulfilment.slot_label
    translate, locale = translator(language), LOCALES[language]

    def label(slot: PickupSlot, zone: str) -> str:
        at = ZoneInfo(zone)
        return translate("Pickup {day} {start}–{end}").format(
            day=format_skeleton("MMMEd", slot.start, tzinfo=at, locale=locale),
            start=format_time(slot.start, "HH:mm", tzinfo=at, locale=locale),
            end=format_time(slot.end, "HH:mm", tzinfo=at, locale=locale),
        )

    return translate(fulfilment.DROP_OFF), label


def messages(language: str) -> dict[str, str]:
    """Every message of the catalog, translated (what the sidebar shows instead of its English text)."""
    translate = translator(language)
    return {str(m.id): translate(str(m.id)) for m in catalog(language) if m.id}


def language_of(team: Team, spreadsheet: Spreadsheet | None = None) -> str:
    """A spreadsheet's own language, else its team's."""
    return (spreadsheet.language if spreadsheet is not None else None) or team.language or DEFAULT


def localized(found: Profile, language: str) -> Profile:
    """The profile as a sheet in `language` shows it (the same object for English)."""
    return found if language == DEFAULT else localize.profile(found, translator(language))
