"""A small evaluator for the formulas the backend writes (countdowns, flags, totals).

Supported: numbers, strings, booleans, cell and range references (optionally sheet-qualified), the
operators `+ - * / ^ & = <> < > <= >=` and unary minus/percent, and the functions in `FUNCTIONS`.
Anything else evaluates to `#NAME?` as in Sheets.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol
from zoneinfo import ZoneInfo

from backend.domain import a1
from backend.sandbox.sheets import formats


@dataclass(frozen=True)
class FormulaError:
    code: str

    def __str__(self) -> str:
        return self.code


Value = float | str | bool | FormulaError | None
NAME, VALUE, DIV0, REF, NA = (FormulaError(c) for c in ("#NAME?", "#VALUE!", "#DIV/0!", "#REF!", "#N/A"))


class Workbook(Protocol):
    """What formulas can see: cell values (None = empty) and the clock in the spreadsheet's zone."""

    def value_at(self, sheet: str | None, row: int, col: int) -> Value: ...

    def values_in(self, sheet: str | None, rng: a1.A1Range) -> list[Value]: ...

    def now_serial(self) -> float: ...


class Failure(Exception):
    """Evaluation stops with a spreadsheet error value (it becomes the cell's result)."""

    def __init__(self, error: FormulaError) -> None:
        self.error = error


_TOKENS = re.compile(
    r"""\s*(?:
    (?P<number>\d+(?:\.\d*)?(?:[eE][+-]?\d+)?|\.\d+)
  | (?P<string>"(?:[^"]|"")*")
  | (?P<ref>(?:(?:'(?:[^']|'')+'|[A-Za-z_][\w.]*)!)?
        (?:\$?[A-Za-z]{1,3}\$?\d+(?::\$?[A-Za-z]{1,3}\$?\d*)?|\$?[A-Za-z]{1,3}:\$?[A-Za-z]{1,3}|\$?\d+:\$?\d+)
        (?![\w(]))
  | (?P<func>[A-Za-z_][\w.]*)\s*\(
  | (?P<name>[A-Za-z_][\w.]*)
  | (?P<op><=|>=|<>|[-+*/^&=<>(),;%])
)""",
    re.VERBOSE,
)


def tokenize(text: str) -> list[tuple[str, str]]:
    tokens, pos = [], 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        m = _TOKENS.match(text, pos)
        if not m or m.end() == pos:
            raise Failure(FormulaError("#ERROR!"))
        kind = m.lastgroup or "op"
        tokens.append((kind, m.group(kind)))
        pos = m.end()
    return tokens


# AST nodes are tuples: ("num", x) ("str", s) ("bool", b) ("ref", A1Range) ("call", name, args)
# ("unary", op, node) ("bin", op, left, right)
Node = tuple[object, ...]
_BINARY = [("=", "<>", "<", ">", "<=", ">="), ("&",), ("+", "-"), ("*", "/"), ("^",)]


class _Parser:
    def __init__(self, tokens: list[tuple[str, str]]) -> None:
        self.tokens, self.i = tokens, 0

    def peek(self) -> tuple[str, str]:
        return self.tokens[self.i] if self.i < len(self.tokens) else ("end", "")

    def take(self) -> tuple[str, str]:
        token = self.peek()
        self.i += 1
        return token

    def expect(self, op: str) -> None:
        if self.take() != ("op", op):
            raise Failure(FormulaError("#ERROR!"))

    def parse(self) -> Node:
        node = self.binary(0)
        if self.peek()[0] != "end":
            raise Failure(FormulaError("#ERROR!"))
        return node

    def binary(self, level: int) -> Node:
        if level == len(_BINARY):
            return self.unary()
        node = self.binary(level + 1)
        while self.peek()[0] == "op" and self.peek()[1] in _BINARY[level]:
            op = self.take()[1]
            node = ("bin", op, node, self.binary(level + 1))
        return node

    def unary(self) -> Node:
        if self.peek() in {("op", "-"), ("op", "+")}:
            op = self.take()[1]
            return ("unary", op, self.unary())
        node = self.atom()
        while self.peek() == ("op", "%"):
            self.take()
            node = ("bin", "/", node, ("num", 100.0))
        return node

    def atom(self) -> Node:
        kind, text = self.take()
        if kind == "number":
            return ("num", float(text))
        if kind == "string":
            return ("str", text[1:-1].replace('""', '"'))
        if kind == "ref":
            return ("ref", a1.parse(text.replace("$", "")))
        if kind == "name":  # a bare name is a boolean or an (unsupported) named range
            return ("bool", text.upper() == "TRUE") if text.upper() in {"TRUE", "FALSE"} else ("call", "#NAME", [])
        if kind == "func":
            args: list[Node] = []
            if self.peek() != ("op", ")"):
                args.append(self.binary(0))
                while self.peek()[1] in {",", ";"}:
                    self.take()
                    args.append(self.binary(0))
            self.expect(")")
            return ("call", text.upper(), args)
        if (kind, text) == ("op", "("):
            node = self.binary(0)
            self.expect(")")
            return node
        raise Failure(FormulaError("#ERROR!"))


def evaluate(formula: str, book: Workbook) -> Value:
    """Evaluate `=...` text; errors come back as FormulaError values, never raise."""
    try:
        node = _Parser(tokenize(formula.lstrip("="))).parse()
        return _Eval(book).scalar(node)
    except Failure as failure:
        return failure.error
    except (a1.A1Error, RecursionError):
        return REF


def result_format(formula: str) -> str | None:
    """The number-format type Sheets picks for a result: NOW() is a date-time, TODAY() a date."""
    upper = formula.upper().replace(" ", "")
    if upper.startswith("=NOW()") or upper.startswith("=TODAY()"):
        return "DATE_TIME" if upper.startswith("=NOW()") else "DATE"
    return None


class _Eval:
    def __init__(self, book: Workbook) -> None:
        self.book = book

    def values(self, node: Node) -> list[Value]:
        if node[0] == "ref":
            rng = node[1]
            assert isinstance(rng, a1.A1Range)
            return self.book.values_in(rng.sheet, rng)
        return [self.scalar(node)]

    def scalar(self, node: Node) -> Value:
        kind = node[0]
        if kind in {"num", "str", "bool"}:
            value = node[1]
            assert isinstance(value, float | str | bool)
            return value
        if kind == "ref":
            rng = node[1]
            assert isinstance(rng, a1.A1Range)
            if rng.start_row is None or rng.start_col is None:
                raise Failure(VALUE)
            return self.book.value_at(rng.sheet, rng.start_row, rng.start_col)
        if kind == "unary":
            number = to_number(self.scalar(_node(node[2])))
            return -number if node[1] == "-" else number
        if kind == "bin":
            return self.binary(str(node[1]), _node(node[2]), _node(node[3]))
        name, args = str(node[1]), node[2]
        assert isinstance(args, list)
        if name in _LAZY:
            return _LAZY[name](self, args)
        function = FUNCTIONS.get(name)
        if function is None:
            raise Failure(NAME)
        return function(self, args)

    def binary(self, op: str, left_node: Node, right_node: Node) -> Value:
        left, right = self.scalar(left_node), self.scalar(right_node)
        for side in (left, right):
            if isinstance(side, FormulaError):
                raise Failure(side)
        if op == "&":
            return to_text(left) + to_text(right)
        if op in _COMPARE:
            return _COMPARE[op](compare(left, right))
        x, y = to_number(left), to_number(right)
        if op == "/" and y == 0:
            raise Failure(DIV0)
        result = {"+": x + y, "-": x - y, "*": x * y, "/": x / y if y else 0.0}.get(op)
        if result is None:
            result = math.pow(x, y)
        return result


def _node(value: object) -> Node:
    assert isinstance(value, tuple)
    return value


_COMPARE: dict[str, Callable[[int], bool]] = {
    "=": lambda c: c == 0,
    "<>": lambda c: c != 0,
    "<": lambda c: c < 0,
    ">": lambda c: c > 0,
    "<=": lambda c: c <= 0,
    ">=": lambda c: c >= 0,
}


def compare(left: Value, right: Value) -> int:
    """Sheets ordering: numbers < text < booleans; text compares case-insensitively; empty = 0 or ""."""
    if left is None:
        left = "" if isinstance(right, str) else False if isinstance(right, bool) else 0.0
    if right is None:
        right = "" if isinstance(left, str) else False if isinstance(left, bool) else 0.0

    def rank(v: Value) -> tuple[int, float | str]:
        if isinstance(v, bool):
            return (2, float(v))
        if isinstance(v, str):
            return (1, v.lower())
        if isinstance(v, FormulaError):
            raise Failure(v)
        return (0, float(v or 0))

    a, b = rank(left), rank(right)
    return (a > b) - (a < b)


def to_number(value: Value) -> float:
    if isinstance(value, FormulaError):
        raise Failure(value)
    if value is None or value == "":
        return 0.0
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.replace(",", ""))
        except ValueError:
            raise Failure(VALUE) from None
    return float(value)


def to_text(value: Value) -> str:
    if isinstance(value, FormulaError):
        raise Failure(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float | int):
        return formats.general(float(value))
    return value


def to_bool(value: Value) -> bool:
    if isinstance(value, str) and value.upper() in {"TRUE", "FALSE"}:
        return value.upper() == "TRUE"
    if isinstance(value, str) and value:
        raise Failure(VALUE)
    return bool(to_number(value))


def _numbers(ev: _Eval, args: list[Node]) -> list[float]:
    """Numbers among the arguments: range cells that are text or empty are ignored, as in MAX/SUM."""
    out: list[float] = []
    for arg in args:
        for value in ev.values(arg):
            if isinstance(value, FormulaError):
                raise Failure(value)
            if arg[0] != "ref" or (isinstance(value, float | int) and not isinstance(value, bool)):
                out.append(to_number(value))
    return out


def _arg(ev: _Eval, args: list[Node], i: int, default: Value = None) -> Value:
    return ev.scalar(args[i]) if i < len(args) else default


def _if(ev: _Eval, args: list[Node]) -> Value:
    if not 2 <= len(args) <= 3:
        raise Failure(NA)
    return _arg(ev, args, 1) if to_bool(ev.scalar(args[0])) else _arg(ev, args, 2, False)


def _iferror(ev: _Eval, args: list[Node]) -> Value:
    try:
        value = ev.scalar(args[0])
    except Failure:
        value = NA
    return _arg(ev, args, 1, "") if isinstance(value, FormulaError) else value


def _now_parts(ev: _Eval) -> float:
    return ev.book.now_serial()


def _round(ev: _Eval, args: list[Node], mode: Callable[[float], float] | None = None) -> Value:
    digits = int(to_number(_arg(ev, args, 1, 0.0)))
    value = to_number(_arg(ev, args, 0))
    if mode is None:
        return formats.round_half_up(value, digits)
    scale = 10.0**digits
    return mode(value * scale) / scale


def _text(ev: _Eval, args: list[Node]) -> Value:
    value = _arg(ev, args, 0)
    pattern = to_text(_arg(ev, args, 1, ""))
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            return value
    return formats.render(to_number(value), pattern)


_LAZY: dict[str, Callable[[_Eval, list[Node]], Value]] = {"IF": _if, "IFERROR": _iferror}
FUNCTIONS: dict[str, Callable[[_Eval, list[Node]], Value]] = {
    "NOW": lambda ev, args: _now_parts(ev),
    "TODAY": lambda ev, args: float(math.floor(_now_parts(ev))),
    "TEXT": _text,
    "MAX": lambda ev, args: max(_numbers(ev, args), default=0.0),
    "MIN": lambda ev, args: min(_numbers(ev, args), default=0.0),
    "SUM": lambda ev, args: math.fsum(_numbers(ev, args)),
    "ROUND": _round,
    "ROUNDUP": lambda ev, args: _round(ev, args, lambda x: math.copysign(math.ceil(abs(x)), x)),
    "ROUNDDOWN": lambda ev, args: _round(ev, args, math.trunc),
    "INT": lambda ev, args: float(math.floor(to_number(_arg(ev, args, 0)))),
    "ABS": lambda ev, args: abs(to_number(_arg(ev, args, 0))),
    "AND": lambda ev, args: all(to_bool(v) for a in args for v in ev.values(a)),
    "OR": lambda ev, args: any(to_bool(v) for a in args for v in ev.values(a)),
    "NOT": lambda ev, args: not to_bool(_arg(ev, args, 0)),
    "ISBLANK": lambda ev, args: _arg(ev, args, 0) is None,
    "ISNUMBER": lambda ev, args: isinstance(_arg(ev, args, 0), float),
    "LEN": lambda ev, args: float(len(to_text(_arg(ev, args, 0)))),
    "CONCATENATE": lambda ev, args: "".join(to_text(v) for a in args for v in ev.values(a)),
    # HYPERLINK(url, [label]) shows its label (the URL when there is none) and links to the URL.
    "HYPERLINK": lambda ev, args: _arg(ev, args, 1, _arg(ev, args, 0)),
}


def now_serial(moment: dt.datetime, time_zone: str) -> float:
    """A spreadsheet serial for `moment` seen in `time_zone` (days since 1899-12-30 local)."""
    try:
        zone = ZoneInfo(time_zone)
    except (KeyError, ValueError):
        zone = ZoneInfo("UTC")
    return formats.datetime_to_serial(moment.astimezone(zone))


_SPLIT = re.compile(r"(\"(?:[^\"]|\"\")*\"|'(?:[^']|'')*')")
_CELL_REF = re.compile(r"(?<![\w$.:])(\$?)([A-Za-z]{1,3})(\$?)(\d+)(?![\w(])")


def shift(formula: str, rows: int, cols: int) -> str:
    """Move relative references by (rows, cols), as repeatCell does per cell; `$` anchors stay."""

    def move(m: re.Match[str]) -> str:
        col_abs, letters, row_abs, digits = m.groups()
        col = a1.column_index(letters) + (0 if col_abs else cols)
        row = int(digits) + (0 if row_abs else rows)
        if col < 0 or row < 1:
            return "#REF!"
        return f"{col_abs}{a1.column_letters(col)}{row_abs}{row}"

    parts = _SPLIT.split(formula)
    return "".join(p if i % 2 else _CELL_REF.sub(move, _shift_ranges(p, move)) for i, p in enumerate(parts))


def _shift_ranges(text: str, move: Callable[[re.Match[str]], str]) -> str:
    """The end of `A1:B2` follows a colon, which the single-cell pattern skips; shift it here."""
    return re.sub(r"(?<=:)(\$?)([A-Za-z]{1,3})(\$?)(\d+)(?![\w(])", move, text)
