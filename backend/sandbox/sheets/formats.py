"""Number formats as Sheets renders them (en_US locale): patterns like `#,##0.00`, `0%`, `yyyy-mm-dd hh:mm`,
`[h]:mm`, quoted literals and `;` sections. Used for FORMATTED_VALUE reads and the TEXT() function."""

from __future__ import annotations

import datetime as dt
import re
from decimal import ROUND_HALF_UP, Decimal

EPOCH = dt.datetime(1899, 12, 30)  # noqa: DTZ001 - spreadsheet serials are zone-less local time
DEFAULT_PATTERNS = {
    "NUMBER": "#,##0.00",
    "PERCENT": "0.00%",
    "CURRENCY": '"$"#,##0.00',
    "DATE": "M/d/yyyy",
    "TIME": "h:mm:ss AM/PM",
    "DATE_TIME": "M/d/yyyy H:mm:ss",
    "SCIENTIFIC": "0.00E+00",
    "TEXT": "@",
}
_TOKEN = re.compile(
    r'"[^"]*"|\\.|\[(?:h+|m+|s+)\]|AM/PM|A/P|y+|m+|d+|h+|s+|[0#?]+|[.,%@]|E[+-]|.',
    re.IGNORECASE,
)
_DATE_TOKEN = re.compile(r"^(\[[hms]+\]|y+|d+|h+|s+|AM/PM|A/P)$", re.IGNORECASE)


def general(value: float) -> str:
    """Sheets' automatic number rendering: integers plain, others up to 10 significant digits."""
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    text = f"{value:.10g}"
    return text.replace("e+", "E+").replace("e-", "E-")


def serial_to_datetime(serial: float) -> dt.datetime:
    return EPOCH + dt.timedelta(seconds=round(serial * 86400))


def datetime_to_serial(moment: dt.datetime) -> float:
    return (moment.replace(tzinfo=None) - EPOCH).total_seconds() / 86400


def render(value: float, pattern: str) -> str:
    """Render a number with a Sheets number-format pattern."""
    sections = _split_sections(pattern)
    if value < 0 and len(sections) > 1:
        return _render_section(-value, sections[1])
    if value == 0 and len(sections) > 2:
        return _render_section(value, sections[2])
    return _render_section(value, sections[0])


def _split_sections(pattern: str) -> list[str]:
    sections, current, quoted = [], "", False
    for ch in pattern:
        if ch == '"':
            quoted = not quoted
        if ch == ";" and not quoted:
            sections.append(current)
            current = ""
        else:
            current += ch
    return [*sections, current]


def _render_section(value: float, pattern: str) -> str:
    tokens = _TOKEN.findall(pattern)
    if any(_DATE_TOKEN.match(t) for t in tokens):
        return _render_date(value, tokens)
    if "@" in tokens and not any(t[0] in "0#?" for t in tokens):
        return general(value)
    return _render_number(value, tokens)


def _literal(token: str) -> str:
    if token.startswith('"'):
        return token[1:-1]
    if token.startswith("\\"):
        return token[1:]
    return token


def _render_date(value: float, tokens: list[str]) -> str:
    sign = "-" if value < 0 and any(t.startswith("[") for t in tokens) else ""
    value = abs(value) if sign else value
    moment = serial_to_datetime(value)
    total_seconds = round(value * 86400)
    twelve = any(t.upper() in {"AM/PM", "A/P"} for t in tokens)
    out: list[str] = []
    for i, token in enumerate(tokens):
        low = token.lower()
        if low.startswith("[h"):
            out.append(str(total_seconds // 3600).zfill(len(low) - 2))
        elif low.startswith("[m"):
            out.append(str(total_seconds // 60).zfill(len(low) - 2))
        elif low.startswith("[s"):
            out.append(str(total_seconds).zfill(len(low) - 2))
        elif low[0] == "y":
            out.append(str(moment.year) if len(low) != 2 else f"{moment.year % 100:02d}")
        elif low[0] == "m" and low.isalpha() and _is_minute(tokens, i):
            out.append(f"{moment.minute:0{min(len(low), 2)}d}")
        elif low[0] == "m" and low.isalpha():
            names = (moment.strftime("%B"), moment.strftime("%b"))
            out.append({4: names[0], 3: names[1]}.get(len(low), f"{moment.month:0{len(low)}d}"))
        elif low[0] == "d" and low.isalpha():
            names = (moment.strftime("%A"), moment.strftime("%a"))
            out.append({4: names[0], 3: names[1]}.get(len(low), f"{moment.day:0{len(low)}d}"))
        elif low[0] == "h" and low.isalpha():
            hour = (moment.hour % 12 or 12) if twelve else moment.hour
            out.append(f"{hour:0{min(len(low), 2)}d}")
        elif low[0] == "s" and low.isalpha():
            out.append(f"{moment.second:0{min(len(low), 2)}d}")
        elif low in {"am/pm", "a/p"}:
            out.append(("AM" if moment.hour < 12 else "PM")[: 2 if low == "am/pm" else 1])
        else:
            out.append(_literal(token))
    return sign + "".join(out)


def _is_minute(tokens: list[str], i: int) -> bool:
    """`m` means minutes right after an hour token or right before a seconds token."""
    before = [t.lower() for t in tokens[:i] if t.isalpha() or t.startswith("[")]
    after = [t.lower() for t in tokens[i + 1 :] if t.isalpha() or t.startswith("[")]
    return bool(before and before[-1].lstrip("[")[0] == "h") or bool(after and after[0].lstrip("[")[0] == "s")


def _render_number(value: float, tokens: list[str]) -> str:
    if "%" in tokens:
        value *= 100
    digit_positions = [
        i for i, t in enumerate(tokens) if t[0] in "0#?" or (t in {",", "."} and _between_digits(tokens, i))
    ]
    if not digit_positions:
        return "".join(_literal(t) for t in tokens) or general(value)
    first, last = digit_positions[0], digit_positions[-1]
    number = "".join(tokens[first : last + 1])
    int_part, _, frac_part = number.partition(".")
    decimals = len(frac_part.replace(",", ""))
    min_int = int_part.replace(",", "").replace("#", "").replace("?", "").count("0")
    rounded = round_half_up(abs(value), decimals)
    text = f"{rounded:.{decimals}f}"
    whole, _, frac = text.partition(".")
    whole = whole.lstrip("0").zfill(min_int)
    if "," in int_part and whole:
        whole = f"{int(whole):,}"
    body = whole + ("." + frac if decimals else "")
    sign = "-" if value < 0 and rounded != 0 else ""
    prefix = "".join(_literal(t) for t in tokens[:first])
    suffix = "".join(_literal(t) for t in tokens[last + 1 :])
    return sign + prefix + body + suffix


def _between_digits(tokens: list[str], i: int) -> bool:
    return any(t[0] in "0#?" for t in tokens[:i]) and any(t[0] in "0#?" for t in tokens[i + 1 :])


def round_half_up(value: float, digits: int = 0) -> float:
    """Spreadsheet rounding: halves away from zero (Python's round() is banker's)."""
    quantum = Decimal(1).scaleb(-digits)
    return float(Decimal(repr(value)).quantize(quantum, rounding=ROUND_HALF_UP))
