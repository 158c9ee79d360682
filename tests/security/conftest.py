"""Attack tests: two teams with everything a team has, real identity tokens, and the Google sandboxes."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.config import TEST_ENCRYPTION_KEY, config_for_tests
from backend.models import ExceptionCase, Invitation, Order, Shop, SkuCost, Team
from backend.sandbox.sheets import GoogleSandboxes
from backend.secrets import SecretBox
from backend.services import bindings, invitations, notify, workflow
from backend.services.addon import Caller
from backend.services.views import order_views
from tests import factories
from tests.api.conftest import addon_app, call  # noqa: F401 - fixtures shared with the add-on tests

ROLES = ("admin", "finance", "procurement", "warehouse", "support", "viewer")


@dataclass
class Side:
    """One team as an attacker or a victim sees it: its people, ids and the values only it may know."""

    team: Team
    people: dict[str, str]  # role → email
    shop: Shop
    orders: list[Order]
    spreadsheet: str
    tab: str
    profile: str
    case: ExceptionCase
    channel: int  # a Discord channel of this team (its webhook token is one of the secrets)
    secrets: set[str] = field(default_factory=set)  # values no other team may ever receive
    invitation: int = 0  # a pending invitation of this team (to `newhire@domain`, as warehouse)
    invite_link: str = ""

    def email(self, role: str) -> str:
        return self.people[role]


def build_side(session: Session, name: str, domain: str, seed: int) -> Side:
    people = {role: f"{role}@{domain}" for role in ROLES}
    team = factories.team(session, name, admin=people["admin"])
    for role, email in people.items():
        if role != "admin":
            factories.member(session, team, email, role)
    shop = factories.shop(session, team, name=f"{name} Flagship")
    orders = [
        factories.order(
            session,
            shop,
            skus=((f"{name.upper()}-SKU", 2, Decimal(f"{seed}{seed}.{seed}1")),),
            fees=(("revenue", Decimal(f"{seed}{seed}{seed}.{seed}3")), ("platform", Decimal(f"{seed}.{seed}7"))),
            recipient_name=f"{name} Recipient {n}",
            recipient_phone=f"+66 8{seed} 555 01{n}{seed}",
            recipient_address=f"{n} {name} Secret Lane",
            buyer_message=f"{name} buyer note {n}",
        )
        for n in range(2)
    ]
    factories.sku_cost(session, team, f"{name.upper()}-SKU", Decimal(f"{seed}.{seed}9"))
    spreadsheet = f"{name.lower()}Sheet{seed:04d}000000"
    bindings.bind(session, team, spreadsheet, f"{name} orders", "customer_service")
    profile = f"{name.lower()}_custom"
    bindings.define_profile(
        session,
        team,
        {"key": profile, "audience_role": "finance", "grain": "order", "columns": ["order_id", "total_amount"]},
        people["admin"],
    )
    case = workflow.raise_exception(
        session,
        team,
        "shipping_delay",
        actor=people["admin"],
        order_id=orders[0].id,
        fields={"cause": "customs", "new_ship_date": "2030-01-02", "note": f"{name} case note"},
    )
    channel_token = f"{name}-discord-token-{seed}"
    channel = notify.add_channel(
        session,
        SecretBox(TEST_ENCRYPTION_KEY),
        team,
        name=f"{name} alerts",
        url=f"https://discord.com/api/webhooks/{seed}00000000000000/{channel_token}",
        actor=people["admin"],
    )
    side = Side(team, people, shop, orders, spreadsheet, f"{name} orders", profile, case, channel.id)
    admin = Caller(email=people["admin"], team_id=team.id, team_name=team.name, role="admin")
    invited = invitations.invite(session, admin, config_for_tests("sqlite://"), f"newhire@{domain}", "warehouse")
    side.invite_link = invited["url"]
    side.invitation = session.scalars(select(Invitation.id).where(Invitation.team_id == team.id)).one()
    side.secrets = {
        team.name,
        shop.name,
        shop.external_id,
        spreadsheet,
        profile,
        *(o.external_id for o in orders),
        *(text for o in orders for text in (o.recipient_name, o.buyer_message) if text),
        f"{name} case note",
        channel_token,
        *(e for r, e in people.items() if r != "admin"),
        f"newhire@{domain}",
        side.invite_link.rsplit("/", 1)[1],
    }
    return side


@pytest.fixture
def sides(session: Session) -> tuple[Side, Side]:
    """Team A ("Acme", the caller) and team B ("Rival", the victim), committed."""
    a = build_side(session, "Acme", "acme.example", 3)
    b = build_side(session, "Rival", "rival.example", 7)
    session.commit()
    return a, b


def money_texts(amount: Decimal | None) -> set[str]:
    """How an amount can appear in a cell or a JSON body: exact, as a float, grouped, two decimals.

    An absent amount (an unknown cost, no profit yet) has no text to leak.
    """
    if amount is None or abs(amount) < 1:
        return set()
    amount = abs(amount)
    return {str(amount), str(amount.normalize()), repr(float(amount)), f"{amount:,.2f}", f"{amount:.2f}"}


def forbidden_values(session: Session, team_id: int) -> dict[str, set[str]]:
    """From the database: every sales, cost and personal value of the team's orders, by class."""
    shops = list(session.scalars(select(Shop).where(Shop.team_id == team_id)))
    orders = list(session.scalars(select(Order).where(Order.shop_id.in_([s.id for s in shops]))))
    views = order_views(session, shops, None)
    sales: set[str] = set()
    cost: set[str] = set()
    personal: set[str] = set()
    for order in orders:
        for amount in (order.subtotal, order.total_amount, *(line.sale_price for line in order.lines)):
            sales |= money_texts(amount)
        personal |= {v for v in (order.recipient_name, order.recipient_phone, order.recipient_address) if v}
    for view in views:
        ledger = view.ledger
        if ledger is not None:
            sales |= money_texts(ledger.revenue)
            for amount in (*ledger.pools.values(), ledger.fees_total, ledger.cogs, ledger.net_profit):
                cost |= money_texts(amount)
    for unit in session.scalars(select(SkuCost.unit_cost).where(SkuCost.team_id == team_id)):
        cost |= money_texts(unit)
    return {"sales": sales, "cost": cost, "personal": personal}


def every_cell(sandboxes: GoogleSandboxes, file_id: str, as_user: str) -> set[str]:
    """Every cell of every tab as `as_user` reads it: displayed, unformatted and as entered."""
    found: set[str] = set()
    for sheet in sandboxes.sheets.spreadsheets[file_id].sheets:
        for option in ("FORMATTED_VALUE", "UNFORMATTED_VALUE", "FORMULA"):
            for row in sandboxes.sheets.values(file_id, f"'{sheet.title}'", as_user=as_user, render_option=option):
                found |= {str(v) for v in row}
    return found


def leaks(found: Iterable[str], forbidden: Iterable[str]) -> set[str]:
    """Forbidden values that occur in any of `found`, within a text but never inside a longer number:
    "฿1,555.54" and "1555.540" show 1555.54, a date cell's serial number 46363.375 does not show 3.37."""
    texts = list(found)
    return {
        value for value in forbidden if any(re.search(rf"(?<!\d){re.escape(value)}0*(?!\d)", text) for text in texts)
    }
