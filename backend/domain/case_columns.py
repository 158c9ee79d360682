"""Columns of the after-sales tabs: the cases (after_sales), the Pending-Action board (pending_actions) and
the cancellation and return rates (after_sales_rates). Rows as data, one line per column.

Who may type a decision, or approve a large refund, comes from the action permissions beside the role
table (schemas/roles.json), passed in by the caller; the sensitivity of each column decides who sees it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from backend.domain.access import Sensitivity
from backend.domain.after_sales import TYPE_LABELS, CaseView, RateRow, next_step_label
from backend.domain.columns import Column, ColumnType, Dropdown, Formula, Grain, Kind, Source, Value
from backend.domain.pending_actions import BoardRow

OP, PERSONAL, SALES = Sensitivity.OPERATIONAL, Sensitivity.PERSONAL, Sensitivity.SALES
T, INT, M, P, DT, EN = (
    ColumnType.TEXT,
    ColumnType.INTEGER,
    ColumnType.MONEY,
    ColumnType.PERCENT,
    ColumnType.DATETIME,
    ColumnType.ENUM,
)
CASE, BOARD, RATE = (
    frozenset({Grain.AFTER_SALE}),
    frozenset({Grain.PENDING_ACTION}),
    frozenset({Grain.AFTER_SALES_RATE}),
)
FINANCE_ANSWERS = ("approve", "decline")


def _case_of(src: Source) -> CaseView:
    if src.case is None:
        raise ValueError("this column needs an after-sales case")
    return src.case


def _board_of(src: Source) -> BoardRow:
    if src.board is None:
        raise ValueError("this column needs a Pending-Action row")
    return src.board


def _rate_of(src: Source) -> RateRow:
    if src.rate is None:
        raise ValueError("this column needs an after-sales rates row")
    return src.rate


def _attr(of: Callable[[Source], Any], name: str) -> Callable[[Source], Value]:
    def value(src: Source) -> Value:
        found: Value = getattr(of(src), name)
        return found

    return value


def _decision(src: Source) -> Value:
    case = _case_of(src)
    return Dropdown(case.shown_decision, case.allowed if case.step is not None else ())


def _reject_reason(src: Source) -> Value:
    case = _case_of(src)
    return Dropdown(case.reason_text, tuple(r.text for r in case.reasons) if case.step is not None else ())


def _count(src: Source) -> Value:
    """The count, as a link to the rows it counts when the writer knows where they are."""
    row = _board_of(src)
    if row.count is None:
        return None
    return Formula(f'=HYPERLINK("{row.link}",{row.count})') if row.link else row.count


def _finance(src: Source) -> Value:
    row = _board_of(src)
    return Dropdown(row.finance, FINANCE_ANSWERS) if row.case else None


def case_columns(decide: frozenset[str], approve_refunds: frozenset[str]) -> list[Column]:
    """`decide`: roles that may approve or reject cases; `approve_refunds`: roles that approve large refunds."""

    def case(name: str) -> Callable[[Source], Value]:
        return _attr(_case_of, name)

    def board(name: str) -> Callable[[Source], Value]:
        return _attr(_board_of, name)

    def rate(name: str) -> Callable[[Source], Value]:
        return _attr(_rate_of, name)

    return [
        Column("case_key", "Case", T, OP, CASE, case("external_id"), Kind.KEY),
        Column("case_order", "Order", T, OP, CASE, case("order_external_id")),
        Column("case_shop", "Shop", T, OP, CASE, case("shop_name")),
        Column("case_platform", "Platform", T, OP, CASE, case("platform")),
        Column("case_type", "Type", EN, OP, CASE, lambda src: TYPE_LABELS[_case_of(src).type]),
        Column("case_status", "Status", EN, OP, CASE, lambda src: _case_of(src).shown_status),
        Column("case_requested_at", "Requested (shop time)", DT, OP, CASE, case("created_at")),
        Column("case_reason", "Buyer's reason", T, OP, CASE, case("reason")),
        Column("case_buyer_words", "Buyer's words", T, PERSONAL, CASE, case("buyer_words")),
        Column("case_items", "Items", T, OP, CASE, case("items")),
        Column("case_currency", "Currency", T, OP, CASE, case("currency")),
        Column("case_refund", "Refund", M, SALES, CASE, case("refund")),
        Column("case_deadline", "Decide by (shop time)", DT, OP, CASE, case("deadline")),
        Column("case_next_step", "Decision due", T, OP, CASE, lambda s: next_step_label(_case_of(s)), Kind.COMPUTED),
        Column("case_decision", "Decision", EN, OP, CASE, _decision, Kind.INPUT, decide,
               description="approve, or reject with one of the platform's reasons; sent once"),
        Column("case_reject_reason", "Reject reason", EN, OP, CASE, _reject_reason, Kind.INPUT, decide,
               description="the platform's own reasons for this case"),
        Column("case_note", "Note", T, PERSONAL, CASE, case("note"), Kind.INPUT, decide),
        Column("case_outcome", "Outcome", T, OP, CASE, case("status_note"), Kind.COMPUTED),
        Column("case_return_tracking", "Return tracking", T, OP, CASE, case("return_tracking")),
        Column("action_key", "Shop / action", T, OP, BOARD, board("key"), Kind.KEY),
        Column("action_shop", "Shop", T, OP, BOARD, board("shop")),
        Column("action", "Action", T, OP, BOARD, board("action"), words=True),
        Column("action_count", "Count", INT, OP, BOARD, _count, Kind.COMPUTED, description="links to its rows"),
        Column("action_case", "Case", T, OP, BOARD, board("case")),
        Column("action_order", "Order", T, OP, BOARD, board("order")),
        Column("action_currency", "Currency", T, OP, BOARD, board("currency")),
        Column("action_refund", "Refund", M, SALES, BOARD, board("refund")),
        Column("action_limit", "Team limit", M, SALES, BOARD, board("limit")),
        Column("action_asked_by", "Approved by", T, OP, BOARD, board("asked_by")),
        Column("action_deadline", "Decide by", DT, OP, BOARD, board("deadline")),
        Column("action_finance", "Finance", EN, OP, BOARD, _finance, Kind.INPUT, approve_refunds,
               description="approve or decline a refund above the team's limit"),
        Column("rate_key", "Row", T, OP, RATE, rate("key"), Kind.KEY),
        Column("rate_month", "Month", T, OP, RATE, rate("month"), Kind.COMPUTED),
        Column("rate_dimension", "By", T, OP, RATE, rate("dimension"), Kind.COMPUTED, words=True),
        Column("rate_value", "SKU / reason", T, OP, RATE, rate("value"), Kind.COMPUTED),
        Column("rate_orders", "Orders", INT, OP, RATE, rate("orders"), Kind.COMPUTED),
        Column("rate_cancellations", "Cancellations", INT, OP, RATE, rate("cancellations"), Kind.COMPUTED),
        Column("rate_returns", "Returns and refunds", INT, OP, RATE, rate("returns"), Kind.COMPUTED),
        Column("rate_cancel", "Cancellation rate", P, OP, RATE, rate("cancel_rate"), Kind.COMPUTED),
        Column("rate_return", "Return rate", P, OP, RATE, rate("return_rate"), Kind.COMPUTED),
    ]  # fmt: skip
