"""After-sales services against the sandboxes: the case sync (idempotent, by position, reasons fetched once
per step), a shop without the after-sales permission, Shopee's read-only part, deadline alerts, templates
filled from the case, and the aftersales commands."""

from __future__ import annotations

from datetime import time, timedelta

from sqlalchemy import select, update

from backend import runtime
from backend.catalog import exception_templates
from backend.domain.after_sales import REAUTHORIZE
from backend.models import AfterSaleCase, CaseEvent, ExceptionCase, Notification, Order, Shop, Team, utcnow
from backend.platforms.base import ConsentReturn
from backend.platforms.http import RetryPolicy
from backend.sandbox.tiktok.records import SCOPES
from backend.services import notify, shop_round
from backend.services import shops as shops_service
from backend.services import sync as order_sync
from backend.services.after_sales import alerts, sync
from backend.services.after_sales.views import case_views
from backend.services.shops import Platform
from backend.services.workflow import raise_from_dropdown
from tests.conftest import Live

DISCORD = "http://127.0.0.1:9/api/webhooks/1/token"


def platform(live: Live) -> Platform:
    with live.app.app_context():
        return Platform(runtime.config(), runtime.secret_box(), retry=RetryPolicy(sleep=lambda _s: None))


def connected(live: Live, orders: int = 60) -> int:
    """A TikTok shop connected and its orders synced (cases link to them)."""
    [shop_id] = live.connect_shop(orders=orders)
    order_sync.sync_shop(live.db, platform(live), shop_id)
    return shop_id


def sandbox_order(live: Live, *statuses: str) -> str:
    shop = next(iter(live.sandbox.shops.values()))
    now = live.sandbox.now()
    taken = {c.order_id for c in shop.cases.values()}
    return next(o for o, order in shop.orders.items() if order.status_at(now) in statuses and o not in taken)


def cases(live: Live) -> dict[str, AfterSaleCase]:
    with live.db.session() as session:
        return {c.external_id: c for c in session.scalars(select(AfterSaleCase))}


def test_the_case_sync_stores_each_case_once_keeps_its_history_and_fetches_reasons_once_per_step(live: Live) -> None:
    shop_id = connected(live)
    key = next(iter(live.sandbox.shops))
    cancel = live.sandbox.request_cancellation(key, sandbox_order(live, "AWAITING_SHIPMENT"), reason="No longer needed")
    ret = live.sandbox.request_return(key, sandbox_order(live, "DELIVERED", "COMPLETED"), text="It broke")

    first = sync.sync_cases(live.db, platform(live), shop_id)
    again = sync.sync_cases(live.db, platform(live), shop_id)

    assert (first.result.new, first.reasons_fetched) == (2, 2)
    assert (again.result.new, again.result.updated, again.reasons_fetched) == (0, 0, 0)
    stored = cases(live)
    assert stored[cancel.case_id].status == "REQUESTED" and stored[cancel.case_id].order_id is not None
    assert stored[ret.case_id].buyer_words == "It broke" and stored[ret.case_id].reject_reasons
    with live.db.session() as session:
        assert session.get_one(Shop, shop_id).after_sales_watermark is not None

    live.sandbox.advance(2 * 24 * 3600 + 60)  # TikTok decides both for the seller
    later = sync.sync_cases(live.db, platform(live), shop_id)
    assert later.result.updated == 2
    with live.db.session() as session:
        history = session.scalars(
            select(CaseEvent.to_status).join(AfterSaleCase).where(AfterSaleCase.external_id == cancel.case_id)
        ).all()
    assert history[0] == "REQUESTED" and history[-1] in ("APPROVED", "COMPLETED")


def test_a_shop_without_the_after_sales_permission_says_so_and_everything_else_keeps_working(live: Live) -> None:
    shop = live.sandbox.add_shop("Old consent US", "US", orders=30)
    code = live.sandbox.issue_auth_code([shop.shop_id], scopes=[s for s in SCOPES if "return_refund" not in s])
    with live.app.app_context():
        [connected] = shops_service.connect(live.db, platform(live), live.team_id, ConsentReturn(code), name="tiktok")
    assert connected.after_sales_problem is not None and connected.after_sales_problem.startswith(REAUTHORIZE)

    with live.db.session() as session:  # as if TikTok had not said what it granted: the call tells
        session.execute(update(Shop).values(after_sales_problem=None))
    report = shop_round.run(live.db, platform(live), connected.id, settle=False)

    assert report.sync is not None and report.sync.result.new == 30  # the orders synced
    assert report.after_sales is not None and report.after_sales.blocked.startswith(REAUTHORIZE)
    with live.app.app_context():
        status = live.app.test_cli_runner().invoke(args=["shop", "status", "--team", "Acme Trading"])
    assert status.exit_code == 0 and "ok (reauthorization needed for after-sales" in status.output


def test_shopee_returns_are_cases_only_accepted_from_the_sheet(two_channels: Live) -> None:
    live = two_channels
    assert live.shopee is not None
    shop_id = live.connect_shopee_shop(orders=60)
    world = next(iter(live.shopee.shops.values()))
    now = live.shopee.now()
    ret = next(r for r in world.returns.values())
    ret.create_time, ret.plan = now - 60, [(now - 60, "REQUESTED"), (now + 86_400, "ACCEPTED")]

    report = sync.sync_cases(live.db, platform(live), shop_id)

    assert report.result.new == len(world.returns) and not report.blocked
    with live.db.session() as session:
        views = {v.external_id: v for v in case_views(session, [session.get_one(Shop, shop_id)], None, utcnow())}
    waiting = views[ret.return_sn]
    assert (waiting.platform, waiting.allowed, waiting.reasons) == ("Shopee", ("approve",), ())
    assert waiting.status_note.startswith("only approve from here:") and "Seller Centre" in waiting.status_note


def test_a_case_nearing_its_deadline_reaches_discord_once_per_tier_and_quiet_hours_hold_all_but_the_last(
    live: Live,
) -> None:
    [shop_id] = live.connect_shop(orders=40)
    key = next(iter(live.sandbox.shops))
    case = live.sandbox.request_cancellation(key, sandbox_order(live, "AWAITING_SHIPMENT"))
    sync.sync_cases(live.db, platform(live), shop_id)
    with live.app.app_context(), live.db.session() as session:
        team = session.get_one(Team, live.team_id)
        notify.add_channel(session, runtime.secret_box(), team, name="cs", url=DISCORD, kinds=["after_sales"],
                           actor="founder@acme.test", allow_loopback=True)  # fmt: skip
        row = session.scalars(select(AfterSaleCase).where(AfterSaleCase.external_id == case.case_id)).one()
        deadline = row.deadline_at
    assert deadline is not None

    def sweep(hours_before: float) -> int:
        with live.db.session() as session:
            return alerts.deadline_sweep(session, now=deadline - timedelta(hours=hours_before))

    assert sweep(30) == 0 and sweep(20) == 1 and sweep(19) == 0  # T-24h, once
    with live.db.session() as session:
        notify.configure(session, session.get_one(Team, live.team_id), quiet_start=time(0, 0), quiet_end=time(23, 59))
    assert sweep(10) == 0  # T-12h waits for the end of the quiet hours
    assert sweep(3) == 1  # T-4h never does
    with live.db.session() as session:
        titles = [n.payload["embeds"][0]["title"] for n in session.scalars(select(Notification))]
    assert [t.split(":")[0] for t in titles] == ["T-24h", "T-4h"] and case.case_id in titles[0]


def test_the_cancellation_template_raised_from_the_dropdown_starts_from_the_case(live: Live) -> None:
    shop_id = connected(live)
    key = next(iter(live.sandbox.shops))
    order_id = sandbox_order(live, "AWAITING_SHIPMENT")
    live.sandbox.request_cancellation(key, order_id, reason="Ordered twice by mistake")
    sync.sync_cases(live.db, platform(live), shop_id)
    label = exception_templates().get("customer_cancellation").label["en"]
    with live.db.session() as session:
        order = session.scalars(select(Order).where(Order.external_id == order_id)).one()
        case = raise_from_dropdown(session, session.get_one(Team, live.team_id), order.id, label,
                                   actor="founder@acme.test")  # fmt: skip
        fields = dict(case.fields)
        refund = session.scalars(select(AfterSaleCase.refund_total)).one()
    assert refund is not None  # in cents, as the form takes it (PostgreSQL reads it back with 4 places)
    assert fields == {"reason": "ordered_by_mistake", "already_shipped": False, "refund_amount": f"{refund:.2f}"}
    with live.db.session() as session:
        assert session.scalar(select(ExceptionCase.template_key)) == "customer_cancellation"


def test_the_aftersales_commands_set_limits_cancel_an_order_and_show_a_history(live: Live) -> None:
    shop_id = connected(live)
    order_id = sandbox_order(live, "AWAITING_SHIPMENT")
    runner = live.app.test_cli_runner()
    with live.app.app_context():
        limit = runner.invoke(args=["aftersales", "refund-limit", "--team", "Acme Trading", "usd", "150"])
        typo = runner.invoke(args=["aftersales", "refund-limit", "--team", "Acme Trading", "USD", "lots"])
        cancel = runner.invoke(
            args=["aftersales", "cancel", order_id, "--shop", str(shop_id), "--reason", "Out of stock"]
        )
        synced = runner.invoke(args=["sync"])
        cancels = live.sandbox.counters.by_path.get("/return_refund/202309/cancellations", 0)
        again = runner.invoke(
            args=["aftersales", "cancel", order_id, "--shop", str(shop_id), "--reason", "Out of stock"]
        )
    assert limit.exit_code == 0 and "USD 150" in limit.output
    assert typo.exit_code == 1 and "is not an amount" in typo.output
    assert cancel.exit_code == 0 and "now CANCELLED" in cancel.output, cancel.output
    assert "after-sales cases" in synced.output
    assert again.exit_code == 1 and "will not cancel" in again.output and "nothing was sent" in again.output
    assert live.sandbox.counters.by_path["/return_refund/202309/cancellations"] == cancels == 1
    with live.db.session() as session:
        assert session.get_one(Team, live.team_id).refund_limits == {"USD": "150"}
        case_id = session.scalars(select(AfterSaleCase.external_id)).one()
        assert session.scalars(select(Order.status).where(Order.external_id == order_id)).one() == "CANCELLED"
    with live.app.app_context():
        shown = runner.invoke(args=["aftersales", "show", case_id, "--team", "Acme Trading"])
    assert shown.exit_code == 0 and "CANCELLATION_REQUEST_SUCCESS" not in shown.output  # no records for cancellations
    assert "status:  → APPROVED" in shown.output or "status:  → COMPLETED" in shown.output, shown.output
