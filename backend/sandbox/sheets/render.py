"""Read-only HTML view of a spreadsheet for the demo page: tabs as tables, formula results and number
formats as a user sees them, protected cells shaded. Self-contained (inline CSS, no scripts)."""

from __future__ import annotations

import html

from backend.domain import a1
from backend.sandbox.sheets import cells
from backend.sandbox.sheets.context import Context
from backend.sandbox.sheets.model import Sheet

MAX_ROWS, MAX_COLUMNS = 200, 40
_STYLE = (
    "<style>.ss{font:13px sans-serif}.ss table{border-collapse:collapse;margin-bottom:1.5em}"
    ".ss td,.ss th{border:1px solid #ccc;padding:2px 6px;white-space:nowrap}.ss th{background:#f1f3f4;color:#555}"
    ".ss td.p{background:repeating-linear-gradient(45deg,#fff,#fff 4px,#eee 4px,#eee 8px)}"
    ".ss td.n{text-align:right}.ss td.f{color:#1a5}.ss b{font-weight:600}</style>"
)


def spreadsheet_html(ctx: Context) -> str:
    book = cells.Book(ctx.spreadsheet, ctx.now)
    title = html.escape(str(ctx.spreadsheet.properties.get("title", "")))
    tabs = "".join(_sheet_html(ctx, sheet, book) for sheet in ctx.spreadsheet.sheets)
    return f'<div class="ss">{_STYLE}<h2>{title}</h2>{tabs}</div>'


def _sheet_html(ctx: Context, sheet: Sheet, book: cells.Book) -> str:
    filled = [k for k, v in sheet.cells.items() if "userEnteredValue" in v]
    rows = min(max((r for r, _ in filled), default=0) + 1, sheet.row_count, MAX_ROWS)
    cols = min(max((c for _, c in filled), default=0) + 1, sheet.column_count, MAX_COLUMNS)
    protected = [ctx.protected_rect(p) for p in sheet.protected_ranges]
    header = "".join(f"<th>{a1.column_letters(c)}</th>" for c in range(cols))
    body = []
    for r in range(rows):
        tds = []
        for c in range(cols):
            cell = sheet.cells.get((r, c), {})
            value = book.effective(sheet, r, c)
            classes = []
            if any(p.r0 <= r < p.r1 and p.c0 <= c < p.c1 for p in protected):
                classes.append("p")
            if isinstance(value, float):
                classes.append("n")
            if "formulaValue" in cell.get("userEnteredValue", {}):
                classes.append("f")
            text = html.escape(cells.formatted(value, cell))
            if cell.get("userEnteredFormat", {}).get("textFormat", {}).get("bold"):
                text = f"<b>{text}</b>"
            note = cell.get("note")
            title = f' title="{html.escape(str(note))}"' if note else ""
            tds.append(f'<td class="{" ".join(classes)}"{title}>{text}</td>')
        body.append(f"<tr><th>{r + 1}</th>{''.join(tds)}</tr>")
    caption = html.escape(sheet.title)
    return f"<h3>{caption}</h3><table><tr><th></th>{header}</tr>{''.join(body)}</table>"
