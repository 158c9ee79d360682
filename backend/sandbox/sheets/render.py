"""Read-only HTML view of a spreadsheet for the demo page, as a person sees it in Sheets: one tab at a time
with the tab bar below, formula results and number formats, hidden columns left out, the header row and
first columns frozen, conditional colours applied, protected cells shaded, and each chart drawn from the
chart spec the sandbox holds (inline SVG). Self-contained: inline CSS, no scripts."""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence

from backend.domain import a1
from backend.sandbox.sheets import cells, formulas
from backend.sandbox.sheets.context import Context
from backend.sandbox.sheets.model import Json, Sheet

MAX_ROWS, MAX_COLUMNS = 1000, 40
ROW_HEADER_PX, FROZEN_COLUMN_PX = 36, 180
_STYLE = (
    "<style>.ss{font:13px sans-serif}.ss .grid{overflow:auto;max-height:70vh;border:1px solid #dadce0}"
    ".ss table{border-collapse:separate;border-spacing:0}"
    ".ss td,.ss th{box-sizing:border-box;border-right:1px solid #e2e2e2;border-bottom:1px solid #e2e2e2;"
    "padding:2px 6px;white-space:nowrap;background:#fff}"
    ".ss th{background:#f1f3f4;color:#555;font-weight:400}.ss tr.head td{font-weight:600;background:#f8f9fa}"
    ".ss .top{position:sticky;top:0;z-index:2}.ss tr.head.frozen td{position:sticky;top:21px;z-index:2}"
    ".ss .left{position:sticky;z-index:1}.ss .top.left,.ss tr.head.frozen td.left{z-index:3}"
    ".ss tr.frozen th.left{top:21px;z-index:4}"
    f".ss .left{{max-width:{FROZEN_COLUMN_PX}px;min-width:{FROZEN_COLUMN_PX}px;overflow:hidden;"
    "text-overflow:ellipsis;box-shadow:1px 0 0 #bbb}"
    f".ss th.left{{min-width:{ROW_HEADER_PX}px;max-width:{ROW_HEADER_PX}px;box-shadow:none}}"
    ".ss td.p{background-image:repeating-linear-gradient(45deg,transparent,transparent 4px,rgba(0,0,0,.05) 4px,"
    "rgba(0,0,0,.05) 8px)}.ss td.n{text-align:right}.ss td.f{color:#185}"
    ".ss .tabs{display:flex;gap:2px;margin-top:6px;flex-wrap:wrap}"
    ".ss .tabs a{padding:4px 12px;border:1px solid #dadce0;border-top:0;border-radius:0 0 4px 4px;"
    "color:#444;text-decoration:none;background:#f1f3f4}"
    ".ss .tabs a[aria-selected=true]{background:#fff;color:#188038;font-weight:600;border-bottom:2px solid #188038}"
    ".ss .count{color:#5f6368;margin:4px 0}.ss figure{margin:0 0 8px}.ss svg text{font:11px sans-serif}</style>"
)
SERIES_COLOURS = ("#4285f4", "#ea4335", "#fbbc04", "#34a853", "#ff6d01")


def spreadsheet_html(ctx: Context, tab: str | None = None, say: Callable[[str], str] = str) -> str:
    """The spreadsheet's tab `tab` (the first visible one when absent or unknown), with its tab bar; `say` words
    its row count in the viewer's language (gettext; English as it is)."""
    book = cells.Book(ctx.spreadsheet, ctx.now)
    sheets = [s for s in ctx.spreadsheet.sheets if not s.properties.get("hidden")]
    chosen = next((s for s in sheets if s.title == tab), None) or ctx.spreadsheet.first_visible()
    title = html.escape(str(ctx.spreadsheet.properties.get("title", "")))
    bar = "".join(
        f'<a href="#" role="tab" data-tab="{html.escape(s.title)}" aria-selected="{str(s is chosen).lower()}">'
        f"{html.escape(s.title)}</a>"
        for s in sheets
    )
    return (
        f'<div class="ss" data-tab="{html.escape(chosen.title)}">{_STYLE}<h2>{title}</h2>'
        f'{_sheet_html(ctx, chosen, book, say)}<nav class="tabs" role="tablist" aria-label="Tabs">{bar}</nav></div>'
    )


def _sheet_html(ctx: Context, sheet: Sheet, book: cells.Book, say: Callable[[str], str]) -> str:
    filled = [k for k, v in sheet.cells.items() if "userEnteredValue" in v]
    last_row = min(max((r for r, _ in filled), default=0) + 1, sheet.row_count)
    rows = min(last_row, MAX_ROWS + 1)  # the header row and up to MAX_ROWS rows under it
    cols = min(max((c for _, c in filled), default=0) + 1, sheet.column_count, MAX_COLUMNS)
    hidden = sheet.hidden_columns()
    shown = [c for c in range(cols) if c not in hidden]
    grid = sheet.grid
    frozen_rows = int(grid.get("frozenRowCount", 0))
    frozen = [c for c in shown if c < int(grid.get("frozenColumnCount", 0))]
    left = {c: ROW_HEADER_PX + i * FROZEN_COLUMN_PX for i, c in enumerate(frozen)}
    protected = [ctx.protected_rect(p) for p in sheet.protected_ranges]
    colours = _rule_colours(sheet, book, rows, shown)

    def sticky(c: int) -> tuple[str, str]:
        return ("left", f' style="left:{left[c]}px"') if c in left else ("", "")

    letters = "".join(f'<th class="top {sticky(c)[0]}"{sticky(c)[1]}>{a1.column_letters(c)}</th>' for c in shown)
    body = []
    for r in range(rows):
        tds = []
        for c in shown:
            cell = sheet.cells.get((r, c), {})
            value = book.effective(sheet, r, c)
            classes, style = [sticky(c)[0]], [f"left:{left[c]}px"] if c in left else []
            if any(p.r0 <= r < p.r1 and p.c0 <= c < p.c1 for p in protected):
                classes.append("p")
            if isinstance(value, float):
                classes.append("n")
            if "formulaValue" in cell.get("userEnteredValue", {}):
                classes.append("f")
            if (r, c) in colours:
                style.append(f"background-color:{colours[(r, c)]}")
            text = html.escape(cells.formatted(value, cell))
            note = cell.get("note")
            title = f' title="{html.escape(str(note))}"' if note else ""
            css = f' style="{";".join(style)}"' if style else ""
            tds.append(f'<td class="{" ".join(c for c in classes if c)}"{css}{title}>{text}</td>')
        head = ' class="head frozen"' if r < frozen_rows else (' class="head"' if r == 0 else "")
        body.append(f'<tr{head}><th class="left" style="left:0">{r + 1}</th>{"".join(tds)}</tr>')
    total = max(last_row - 1, 0)
    listed, rows_in_all = f"{rows - 1:,}", f"{total:,}"  # grouped the same way in English and Chinese
    if rows < last_row:
        count = say("Showing {shown} of {total} rows").format(shown=listed, total=rows_in_all)
    else:
        count = say("{total} rows").format(total=rows_in_all)
    charts = "".join(_chart_svg(ctx, chart, book) for chart in sheet.charts)
    return (
        f'{charts}<p class="count">{count}</p><div class="grid"><table>'
        f'<tr><th class="top left" style="left:0"></th>{letters}</tr>{"".join(body)}</table></div>'
    )


def _rule_colours(sheet: Sheet, book: cells.Book, rows: int, shown: Sequence[int]) -> dict[tuple[int, int], str]:
    """Background colours of the sheet's custom-formula rules (the first rule that holds wins, as in Sheets)."""
    found: dict[tuple[int, int], str] = {}
    for rule in sheet.conditional_formats:
        boolean = rule.get("booleanRule", {})
        condition = boolean.get("condition", {})
        colour = boolean.get("format", {}).get("backgroundColor")
        if condition.get("type") != "CUSTOM_FORMULA" or not colour:
            continue
        formula = str((condition.get("values") or [{}])[0].get("userEnteredValue", ""))
        for grid_range in rule.get("ranges", []):
            r0, c0 = int(grid_range.get("startRowIndex", 0)), int(grid_range.get("startColumnIndex", 0))
            r1 = min(int(grid_range.get("endRowIndex", rows)), rows)
            c1 = int(grid_range.get("endColumnIndex", sheet.column_count))
            for r in range(r0, r1):
                for c in (c for c in shown if c0 <= c < c1 and (r, c) not in found):
                    if book.evaluate_on(sheet, formulas.shift(formula, r - r0, c - c0)) is True:
                        found[(r, c)] = _css_colour(colour)
    return found


def _css_colour(colour: Json) -> str:
    red, green, blue = (round(float(colour.get(k, 0)) * 255) for k in ("red", "green", "blue"))
    return f"rgb({red},{green},{blue})"


def _source_values(ctx: Context, book: cells.Book, source: Json) -> list[formulas.Value]:
    """The cells of a chart source (a GridRange, open at the bottom when it runs to the end of the column)."""
    grid_range = (source.get("sourceRange", {}).get("sources") or [{}])[0]
    sheet = ctx.spreadsheet.sheet_by_id(int(grid_range.get("sheetId", 0)))
    r0, c = int(grid_range.get("startRowIndex", 0)), int(grid_range.get("startColumnIndex", 0))
    filled = max((r for r, col in sheet.cells if col == c), default=r0 - 1) + 1
    r1 = min(int(grid_range.get("endRowIndex", filled)), filled)
    return [book.effective(sheet, r, c) for r in range(r0, r1)]


def _chart_svg(ctx: Context, chart: Json, book: cells.Book) -> str:
    """A basic chart (COLUMN, BAR or LINE) as inline SVG: one group per domain value, one colour per series."""
    spec = chart.get("spec", {})
    basic = spec.get("basicChart", {})
    header_rows = int(basic.get("headerCount", 0))
    domains = basic.get("domains") or []
    if not domains:
        return ""
    labels = [cells.formatted(v, {}) for v in _source_values(ctx, book, domains[0].get("domain", {}))[header_rows:]]
    series = []
    for entry in basic.get("series", []):
        values = _source_values(ctx, book, entry.get("series", {}))
        name = cells.formatted(values[0], {}) if header_rows and values else ""
        numbers = [v if isinstance(v, float) else 0.0 for v in values[header_rows:]]
        series.append((name, (numbers + [0.0] * len(labels))[: len(labels)]))
    title = html.escape(str(spec.get("title", "")))
    if not labels or not series:
        return f'<figure class="chart"><figcaption>{title}: no data yet</figcaption></figure>'
    return _svg(title, str(basic.get("chartType", "COLUMN")), labels, series)


def _svg(title: str, kind: str, labels: Sequence[str], series: Sequence[tuple[str, Sequence[float]]]) -> str:
    width, height, pad_left, pad_bottom, pad_top = 640, 240, 64, 42, 28
    plot_w, plot_h = width - pad_left - 12, height - pad_top - pad_bottom
    values = [v for _, numbers in series for v in numbers]
    top, bottom = max([0.0, *values]), min([0.0, *values])
    span = (top - bottom) or 1.0

    def y(value: float) -> float:
        return pad_top + (top - value) / span * plot_h

    step = plot_w / len(labels)
    parts = [
        f'<line x1="{pad_left}" y1="{y(0):.1f}" x2="{width - 12}" y2="{y(0):.1f}" stroke="#999"/>',
        f'<text x="{pad_left - 4}" y="{y(top) + 4:.1f}" text-anchor="end">{_number(top)}</text>',
        f'<text x="{pad_left - 4}" y="{y(bottom) + 4:.1f}" text-anchor="end">{_number(bottom)}</text>',
    ]
    for i, label in enumerate(labels):
        x = pad_left + step * (i + 0.5)
        parts.append(
            f'<text x="{x:.1f}" y="{height - pad_bottom + 14}" text-anchor="middle">{html.escape(label)}</text>'
        )
    for k, (name, numbers) in enumerate(series):
        colour = SERIES_COLOURS[k % len(SERIES_COLOURS)]
        if kind == "LINE":
            points = " ".join(f"{pad_left + step * (i + 0.5):.1f},{y(v):.1f}" for i, v in enumerate(numbers))
            parts.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{points}"/>')
        else:
            bar = step * 0.7 / len(series)
            for i, v in enumerate(numbers):
                x = pad_left + step * i + step * 0.15 + bar * k
                top_y, bottom_y = min(y(v), y(0)), max(y(v), y(0))
                parts.append(
                    f'<rect x="{x:.1f}" y="{top_y:.1f}" width="{bar:.1f}" height="{bottom_y - top_y:.1f}" '
                    f'fill="{colour}"><title>{html.escape(labels[i])}: {_number(v)}</title></rect>'
                )
        parts.append(
            f'<rect x="{pad_left + 110 * k}" y="{height - 14}" width="10" height="10" fill="{colour}"/>'
            f'<text x="{pad_left + 110 * k + 14}" y="{height - 5}">{html.escape(name)}</text>'
        )
    return (
        f'<figure class="chart"><svg role="img" aria-label="{title}" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}"><text x="{width / 2}" y="16" text-anchor="middle" font-weight="600">'
        f"{title}</text>{''.join(parts)}</svg></figure>"
    )


def _number(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.2f}"
