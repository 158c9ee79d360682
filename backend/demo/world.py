"""The demo's world: every sandbox, the backend and its worker on loopback, seeded like a real seller's team.

Everything goes through the code production runs: the shops are connected by exchanging a TikTok
auth code and a Shopee one, orders arrive by sync and signed webhooks and pushes, the sheets are
written by the real Google clients as a service account, and Discord gets what the notification
sweeps send.

Resuming keeps `instance/demo/`: the SQLite database, the encryption key and a pickle of the TikTok,
Shopee and Sheets sandboxes' state (their worlds are plain dataclasses, so a pickle is cheap and keeps
every order, token and cell exactly as the database last saw them). The Google identity and Discord
fakes hold nothing worth keeping: a new service-account key is written and the Discord channel is
pointed at the new fake. The pickle is written only by a clean stop and removed when a run starts,
so a run that crashed is never resumed against a sandbox that no longer matches its database.
"""

from __future__ import annotations

import hashlib
import logging
import pickle
import secrets
import shlex
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, fields, replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from flask import Flask
from sqlalchemy import select

from backend import create_app, i18n, tasks
from backend import secrets as secret_keys
from backend.cli.worker import run_scheduler
from backend.config import Config
from backend.db import Database
from backend.demo.page import create_page
from backend.demo.traffic import Traffic
from backend.domain.fx import FxRate
from backend.domain.purchase_files import ALIBABA_OFFER_URL
from backend.errors import InvalidInput
from backend.models import NotificationChannel, OpeningStock, Shop, Spreadsheet, Team
from backend.platforms.base import ConsentReturn
from backend.sandbox.discord import DiscordFake, start_discord, webhook_url
from backend.sandbox.server import DeferredApp, RunningServer
from backend.sandbox.server import start as start_server
from backend.sandbox.sheets import GoogleSandboxes, start_google
from backend.sandbox.shopee import ShopeeSandbox
from backend.sandbox.tiktok.world import PLAIN_BUYER_MESSAGES
from backend.sandbox.tiktok_shop import TikTokShopSandbox
from backend.services import bindings, costs, fx, notify, purchases, shops, teams
from backend.services.shops import Platform

if TYPE_CHECKING:
    pass

log = logging.getLogger(__name__)

SEED = 2024
TEAM = "Demo Trading"
WRITER = "orderdeck-demo@orderdeck-sandbox.iam.gserviceaccount.com"
ADDON_AUDIENCE = "orderdeck-demo-addon.apps.googleusercontent.com"
SHEET_TIME_ZONE = "Europe/London"
CHANNEL = "#orders (demo)"
STATE_VERSION = 3  # 2: Shopee's sandbox; 3: sheets keep column properties (a hidden key column), shops their seller
# What the sandboxes' pickle keeps: their worlds; locks, servers, apps and logs are rebuilt.
TIKTOK_STATE = ("rng", "ids", "shops", "access_tokens", "refresh_tokens", "subscriptions", "_events")
SHOPEE_STATE = ("rng", "ids", "shops", "merchants", "main_accounts", "access_tokens", "refresh_tokens", "push_codes")
SHEETS_STATE = ("spreadsheets", "files", "groups")


@dataclass(frozen=True)
class Person:
    role: str
    email: str
    name: str


PEOPLE = (
    Person("admin", "ada@demo-trading.example", "Ada, founder"),
    Person("finance", "felix@demo-trading.example", "Felix, finance"),
    Person("procurement", "priya@demo-trading.example", "Priya, procurement"),
    Person("warehouse", "wang@demo-3pl.example", "Wang, 3PL warehouse"),
    Person("support", "sofia@demo-trading.example", "Sofia, customer service"),
    Person("viewer", "victor@demo-agency.example", "Victor, agency client"),
)
ADMIN = PEOPLE[0]


@dataclass(frozen=True)
class SheetSpec:
    """One audience's spreadsheet: its tabs (title, profile) and how its members are shared in."""

    key: str
    title: str
    audience: str
    tabs: tuple[tuple[str, str], ...]
    member_access: str  # Drive role for the audience's members: writers type into input columns

    def titled(self, translate: i18n.Translate) -> SheetSpec:
        """The spreadsheet and its tabs titled in the team's language ("Demo Trading · 仓库", "打包清单")."""
        team, audience = self.title.rsplit(" · ", 1)
        tabs = tuple((translate(tab), profile) for tab, profile in self.tabs)
        return replace(self, title=f"{team} · {translate(audience)}", tabs=tabs)


SHEETS = (
    SheetSpec(
        "warehouse", "Demo Trading · Warehouse", "warehouse",
        (("SLA watch", "sla_watch"), ("Pack list", "pack_list"), ("Shipments", "shipments"),
         ("Carriers", "carrier_scorecard")), "writer",
    ),
    SheetSpec(
        "finance", "Demo Trading · Finance", "finance",
        (("Profit ledger", "profit_ledger"), ("SKU costs", "sku_costs"), ("Rates", "fx_rates"),
         ("By month", "profit_by_month"), ("By shop", "profit_by_shop"), ("Pending actions", "pending_actions")),
        "writer",
    ),
    SheetSpec(
        "customer_service", "Demo Trading · Customer service", "support",
        (("Customer service", "customer_service"), ("After-sales", "after_sales"),
         ("Return rates", "after_sales_rates")), "writer",
    ),
    SheetSpec("agency", "Demo Trading · Agency client", "viewer", (("Orders", "agency_view"),), "reader"),
    SheetSpec(
        "procurement", "Demo Trading · Procurement", "procurement",
        (("Stock", "stock"), ("Purchases", "purchase_orders"), ("Consolidations", "consolidations")), "writer",
    ),
)  # fmt: skip
SHOPS = (("Demo US", "US", 180), ("Demo UK", "GB", 120))
SELLER = "Demo Trading Ltd"  # the TikTok seller account that owns both shops (it signs the consent page)
SHOPEE_SHOP = ("Demo MY", "MY", 100)  # on Shopee: the desk shows both channels
COST_SHARE = Decimal("0.38")  # unit cost as a share of the list price: margins a seller would recognise
# Bought in CNY, sold in USD, GBP and MYR: euro reference rates the demo publishes on working days, as the ECB does.
PER_EURO = {"USD": Decimal("1.0850"), "GBP": Decimal("0.8431"), "MYR": Decimal("4.9510"), "CNY": Decimal("7.8125")}
REPORTING = "USD"


@dataclass
class StatePaths:
    """Where a demo keeps what a second run may resume."""

    root: Path

    @property
    def database(self) -> Path:
        return self.root / "demo.db"

    @property
    def sandboxes(self) -> Path:
        return self.root / "sandboxes.pickle"

    @property
    def key(self) -> Path:
        return self.root / "encryption.key"

    @property
    def service_account(self) -> Path:
        return self.root / "service-account.json"

    @property
    def cli_env(self) -> Path:
        """`export` lines pointing `flask --app backend …` at this run's database and sandboxes."""
        return self.root / "cli.env"

    def resumable(self) -> bool:
        return self.database.exists() and self.sandboxes.exists()

    def exists(self) -> bool:
        return self.database.exists()

    def clear(self) -> None:
        for path in (self.database, self.sandboxes, self.key, self.service_account, self.cli_env):
            path.unlink(missing_ok=True)
        for suffix in ("-wal", "-shm", "-journal"):
            self.database.with_name(self.database.name + suffix).unlink(missing_ok=True)


@dataclass
class World:
    """Everything the demo runs; `stop()` ends every thread and server it started."""

    people: ClassVar[tuple[Person, ...]] = PEOPLE
    sheet_specs: ClassVar[tuple[SheetSpec, ...]] = SHEETS

    paths: StatePaths
    app: Flask
    tiktok: TikTokShopSandbox
    shopee: ShopeeSandbox
    google: GoogleSandboxes
    discord: DiscordFake
    tiktok_server: RunningServer
    shopee_server: RunningServer
    discord_server: RunningServer
    backend_server: RunningServer
    resumed: bool
    spreadsheets: dict[str, str] = field(default_factory=dict)  # SheetSpec.key → spreadsheet id
    seed_language: str = i18n.DEFAULT  # the team's language when seeded fresh (a resumed team keeps its own)
    page_server: RunningServer | None = None
    traffic: Traffic | None = None
    _stop: threading.Event = field(default_factory=threading.Event)
    _worker: threading.Thread | None = None
    _stopped: bool = False

    @property
    def db(self) -> Database:
        database: Database = self.app.extensions["orderdeck.db"]
        return database

    @property
    def config(self) -> Config:
        settings: Config = self.app.extensions["orderdeck.config"]
        return settings

    @property
    def platform(self) -> Platform:
        return Platform(self.config, self.app.extensions["orderdeck.secrets"])

    @property
    def backend_url(self) -> str:
        return self.backend_server.url

    @property
    def url(self) -> str:
        """The demo page (or the backend when no page runs)."""
        return (self.page_server or self.backend_server).url

    def person(self, email: str) -> Person:
        return next(p for p in PEOPLE if p.email == email)

    @property
    def language(self) -> str:
        """The demo team's language: its sheets, sidebar, Discord and the page itself speak it."""
        with self.db.session() as session:
            return session.scalar(select(Team.language).where(Team.name == TEAM)) or i18n.DEFAULT

    def sheet_list(self) -> list[tuple[str, str]]:
        """(key, title) of each spreadsheet the page offers: the seeded five, then any the team created since."""
        translate = i18n.tab_titler(self.language)
        seeded = [(s.key, s.titled(translate).title.split(" · ")[-1]) for s in SHEETS]
        with self.db.session() as session:
            made = session.execute(select(Spreadsheet.google_id, Spreadsheet.title).order_by(Spreadsheet.id))
            later = [
                (google_id, title or google_id)
                for google_id, title in made
                if google_id not in self.spreadsheets.values()
            ]
        return seeded + later

    def run_tasks(self, *paths: str) -> None:
        """Run task paths the way the worker does and wait for them and everything they fan out."""
        queue = self.app.extensions["orderdeck.tasks"]
        for path in paths:
            with self.app.app_context():
                tasks.enqueue(path)
            queue.drain(timeout=120)

    def shop_ids(self) -> list[int]:
        with self.db.session() as session:
            return list(session.scalars(select(Shop.id).order_by(Shop.id)))

    def catch_up(self) -> None:
        """Sync every shop now (whatever its interval says), then push every dirty tab."""
        self.run_tasks(*(f"/tasks/sync-shop/{shop_id}" for shop_id in self.shop_ids()))
        self.run_tasks("/tasks/push-due")

    def start_worker(self) -> None:
        def work() -> None:
            with self.app.app_context():
                run_scheduler(self._stop)

        self._worker = threading.Thread(target=work, name="demo-worker", daemon=True)
        self._worker.start()

    def stop(self) -> None:
        """Stop traffic, page, worker and tasks, keep the sandboxes' state, then stop every server."""
        if self._stopped:
            return
        self._stopped = True
        self._stop.set()
        if self.traffic is not None:
            self.traffic.stop()
        self.tiktok.stop_webhook_pump()
        self.shopee.stop_push_pump()
        if self.page_server is not None:
            self.page_server.stop()
        if self._worker is not None:
            self._worker.join(timeout=10)
        queue = self.app.extensions["orderdeck.tasks"]
        queue.drain(timeout=60)
        queue.shutdown()
        _in_parallel(
            self.backend_server.stop,
            self.tiktok_server.stop,
            self.shopee_server.stop,
            self.discord_server.stop,
            self.google.stop,
        )
        save_sandboxes(self)
        self.db.dispose()


def write_cli_env(path: Path, config: Config) -> None:
    """Every setting that differs from the default, as shell exports: `. instance/demo/cli.env` in another
    terminal, and `flask --app backend shop status --team "Demo Trading"` talks to this demo's sandboxes."""
    defaults = Config()
    lines = [
        f"export {f.name}={shlex.quote(str(getattr(config, f.name)))}"
        for f in fields(Config)
        if f.name not in ("extra", "TESTING", "GAE_ENV") and getattr(config, f.name) != getattr(defaults, f.name)
    ]
    header = "# flask --app backend … against the running demo (its ports change every run)"
    path.write_text("\n".join([header, *lines]) + "\n", encoding="utf-8")


def _in_parallel(*stops: Callable[[], None]) -> None:
    """Each server's shutdown waits out its poll interval: wait for all of them at once."""
    threads = [threading.Thread(target=stop) for stop in stops]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def save_sandboxes(world: World) -> None:
    state = {
        "version": STATE_VERSION,
        "tiktok": {name: getattr(world.tiktok, name) for name in TIKTOK_STATE},
        "tiktok_clock_offset": world.tiktok.clock.offset,
        "shopee": {name: getattr(world.shopee, name) for name in SHOPEE_STATE},
        "shopee_clock_offset": world.shopee.clock.offset,
        "sheets": {name: getattr(world.google.sheets, name) for name in SHEETS_STATE},
        "spreadsheets": world.spreadsheets,
    }
    partial = world.paths.sandboxes.with_suffix(".partial")
    with world.tiktok.lock, world.shopee.lock, world.google.sheets.lock:
        partial.write_bytes(pickle.dumps(state, protocol=pickle.HIGHEST_PROTOCOL))
    partial.replace(world.paths.sandboxes)


def _load_sandboxes(
    paths: StatePaths, tiktok: TikTokShopSandbox, shopee: ShopeeSandbox, google: GoogleSandboxes
) -> dict[str, str]:
    """Restore the sandboxes' worlds; the pickle is removed so only a clean stop writes a new one."""
    state = pickle.loads(paths.sandboxes.read_bytes())  # noqa: S301 - our own file under instance/
    paths.sandboxes.unlink()
    if state.get("version") != STATE_VERSION:
        raise InvalidInput("the saved demo is from another version of the demo: start it with --fresh")
    for name, value in state["tiktok"].items():
        setattr(tiktok, name, value)
    tiktok.clock.offset = state["tiktok_clock_offset"]
    for name, value in state["shopee"].items():
        setattr(shopee, name, value)
    shopee.clock.offset = state["shopee_clock_offset"]
    for name, value in state["sheets"].items():
        setattr(google.sheets, name, value)
    spreadsheets: dict[str, str] = state["spreadsheets"]
    return spreadsheets


def _channel_settings(
    tiktok: tuple[TikTokShopSandbox, RunningServer], shopee: tuple[ShopeeSandbox, RunningServer]
) -> dict[str, str]:
    """Both sales channels pointed at their sandboxes."""
    (tiktok_sandbox, tiktok_server), (shopee_sandbox, shopee_server) = tiktok, shopee
    return {
        "TIKTOK_APP_KEY": tiktok_sandbox.app_key,
        "TIKTOK_APP_SECRET": tiktok_sandbox.app_secret,
        "TIKTOK_SERVICE_ID": "demo",
        "TIKTOK_API_BASE": tiktok_server.url,
        "TIKTOK_AUTH_BASE": tiktok_server.url,
        "TIKTOK_AUTHORIZE_URL": f"{tiktok_server.url}/open/authorize?service_id={{service_id}}",
        "SHOPEE_PARTNER_ID": shopee_sandbox.partner_id,
        "SHOPEE_PARTNER_KEY": shopee_sandbox.partner_key,
        "SHOPEE_API_BASE": shopee_server.url,
    }


def _config(paths: StatePaths, channels: dict[str, str], google: GoogleSandboxes, backend_url: str) -> Config:
    oauth_client = "orderdeck-demo-web.apps.googleusercontent.com"
    oauth_secret = secrets.token_urlsafe(24)
    google.identity.register_client(oauth_client, oauth_secret, [f"{backend_url}/oauth/google/callback"])
    key_file = google.identity.write_service_account_key(paths.service_account, WRITER)
    return Config(
        DATABASE_URL=f"sqlite:///{paths.database}",
        ORDERDECK_ENCRYPTION_KEY=secret_keys.local_key(paths.root),
        GOOGLE_APPLICATION_CREDENTIALS=str(key_file),
        ADDON_AUDIENCE=ADDON_AUDIENCE,
        PUBLIC_BASE_URL=backend_url,
        GOOGLE_OAUTH_CLIENT_ID=oauth_client,
        GOOGLE_OAUTH_CLIENT_SECRET=oauth_secret,
        TASKS_BACKEND="inline",
        TASKS_SECRET=secrets.token_urlsafe(24),
    ).with_overrides(**channels, **google.settings())


def start(
    state_dir: Path,
    *,
    resume: bool = False,
    seed: int = SEED,
    page_port: int | None = 0,
    traffic_every: float | None = 3.0,
    language: str = i18n.DEFAULT,
) -> World:
    """Start (and seed, or resume) the whole demo; `page_port=None` runs no page, `traffic_every=None` no traffic.

    Raises InvalidInput when `resume` is asked for but the saved state cannot be resumed.
    """
    i18n.check_language(language)
    paths = StatePaths(state_dir)
    paths.root.mkdir(parents=True, exist_ok=True)
    if resume and not paths.resumable():
        raise InvalidInput(f"nothing to resume in {paths.root} (the last run did not stop cleanly, or never ran)")
    if not resume:
        paths.clear()
    sandbox = TikTokShopSandbox(seed=seed, buyer_messages=PLAIN_BUYER_MESSAGES)
    tiktok_server = sandbox.start()
    shopee = ShopeeSandbox(seed=seed)
    shopee_server = shopee.start()
    google = start_google()
    discord, discord_server = start_discord()
    deferred = DeferredApp()
    backend_server = start_server(deferred)
    try:
        spreadsheets = _load_sandboxes(paths, sandbox, shopee, google) if resume else {}
        channels = _channel_settings((sandbox, tiktok_server), (shopee, shopee_server))
        app = create_app(_config(paths, channels, google, backend_server.url))
        app.extensions["orderdeck.db"].migrate()
        deferred.app = app
    except BaseException:
        _in_parallel(backend_server.stop, tiktok_server.stop, shopee_server.stop, discord_server.stop, google.stop)
        raise
    sandbox.redirect_url = f"{backend_server.url}/oauth/tiktok/callback"
    write_cli_env(paths.cli_env, app.extensions["orderdeck.config"])
    world = World(paths, app, sandbox, shopee, google, discord, tiktok_server, shopee_server, discord_server,
                  backend_server, resume, spreadsheets, language)  # fmt: skip
    try:
        _prepare(world)
        _add_users(google)
        sandbox.start_webhook_pump()
        shopee.start_push_pump()
        world.start_worker()
        if traffic_every is not None:
            world.traffic = Traffic(world, seed=seed)
            world.traffic.start(traffic_every)
        if page_port is not None:
            world.page_server = start_server(create_page(world), page_port)
    except BaseException:
        world.stop()
        raise
    return world


def _prepare(world: World) -> None:
    """Seed a fresh world, or reconnect a resumed one to the new servers; then sync and push."""
    discord_hook = webhook_url(world.discord_server, world.discord.create_webhook("OrderDeck", "orders"))
    if world.resumed:
        _reconnect(world, discord_hook)
        world.catch_up()
        return
    _seed(world, discord_hook)
    # Orders first, then the sheets: each tab's first push holds every shop's rows in the profile's order.
    world.run_tasks(*(f"/tasks/sync-shop/{shop_id}" for shop_id in world.shop_ids()))
    _buy(world)
    _bind_sheets(world)
    world.run_tasks("/tasks/push-due")


def _add_users(google: GoogleSandboxes) -> None:
    """Sign-in identities for the sidebar; `sub` is derived from the email so it is the same every run."""
    for person in PEOPLE:
        user = google.identity.add_user(person.email, person.name)
        user.sub = str(int(hashlib.sha256(person.email.encode()).hexdigest()[:16], 16))


def _connect_shops(world: World, team_id: int) -> None:
    """The seller's consents, as the platforms redirect them: one TikTok auth code covering both TikTok
    shops, and a Shopee shop account's code with its shop id."""
    shop_ids = [s.shop_id for s in world.tiktok.shops.values() if s.seller == SELLER]
    code = world.tiktok.issue_auth_code(shop_ids, seller_name=SELLER)
    [shopee_shop] = world.shopee.shops
    shopee = ConsentReturn(world.shopee.authorize_shop(shopee_shop), shop_id=str(shopee_shop))
    with world.app.app_context():
        shops.connect(world.db, world.platform, team_id, ConsentReturn(code), name="tiktok", actor=ADMIN.email)
        shops.connect(world.db, world.platform, team_id, shopee, name="shopee", actor=ADMIN.email)


def _in_cny(amount: Decimal, currency: str) -> Decimal:
    return (amount * PER_EURO["CNY"] / PER_EURO[currency]).quantize(Decimal("0.01"))


def _euro_rates(start: date) -> list[FxRate]:
    """Working-day euro rates from `start` to today, drifting a little, so weekends take Friday's."""
    today = datetime.now(UTC).date()
    days = [start + timedelta(days=n) for n in range((today - start).days + 1)]
    return [
        FxRate(day, "EUR", code, rate + Decimal("0.0004") * (n % 9))
        for n, day in enumerate(d for d in days if d.weekday() < 5)
        for code, rate in PER_EURO.items()
    ]


def _seed(world: World, discord_hook: str) -> None:
    box = world.app.extensions["orderdeck.secrets"]
    with world.app.app_context(), world.db.session() as session:
        team = teams.create_team(session, TEAM, ADMIN.email, world.seed_language)
        for person in PEOPLE[1:]:
            teams.add_member(session, team, person.email, person.role, actor=ADMIN.email)
        notify.add_channel(session, box, team, name=CHANNEL, url=discord_hook, actor=ADMIN.email, allow_loopback=True)
        team_id = team.id
    for name, region, orders in SHOPS:
        shop = world.tiktok.add_shop(name, region, orders=orders, seller=SELLER)
        world.tiktok.add_returns(shop.shop_id, orders // 15)  # buyers' refund and return requests, some still open
    name, region, orders = SHOPEE_SHOP
    world.shopee.add_shop(name, region, orders=orders)
    _connect_shops(world, team_id)
    since = datetime.now(UTC).date() - timedelta(days=90)
    prices = [
        (sku.seller_sku, sku.price, shop.market.currency)
        for shop in world.tiktok.shops.values()
        for sku in shop.catalog
    ] + [(m.model_sku, m.price, shop.market.currency) for shop in world.shopee.shops.values() for m in shop.models]
    rows = [costs.CostRow(sku, _in_cny(price * COST_SHARE, currency), "CNY", since) for sku, price, currency in prices]
    with world.app.app_context(), world.db.session() as session:
        team = teams.team_by_name(session, TEAM)
        costs.upsert_costs(session, team, rows, actor=PEOPLE[1].email)
        fx.upsert_rates(session, team, _euro_rates(since - timedelta(days=10)), source="ecb:demo")
        teams.set_reporting_currency(session, team, REPORTING, actor=ADMIN.email)


# A month of buying: (platform, supplier, supplier order, SKU, quantity, share of the sale price paid, shipment).
# DEMO-SEA-01 arrived with freight, duty and the forwarder's fee; DEMO-AIR-02 is still on its way.
PURCHASES = (
    ("1688", "Yiwu Demo Homeware Co.", "4012345678901", "612345678901", "S", "US-P01-S", 60, Decimal("0.30"),
     "DEMO-SEA-01"),
    ("1688", "Yiwu Demo Homeware Co.", "4012345678901", "612345678901", "L", "US-P01-L", 40, Decimal("0.30"),
     "DEMO-SEA-01"),
    ("taobao", "Demo Flagship Store", "T3300001", "", "S", "US-P02-S", 30, Decimal("0.32"), "DEMO-SEA-01"),
    ("1688", "Shenzhen Demo Packaging", "4012345678955", "612345670055", "S", "GB-P01-S", 50, Decimal("0.28"),
     "DEMO-AIR-02"),
)  # fmt: skip
PURCHASE_HEADER = (
    "platform,supplier,supplier_order_no,item_link,item_spec,seller_sku,quantity_ordered,unit_price,currency,"
    "domestic_shipping,paid_on"
)
OPENING_COUNT = 4  # what Priya counted on each shelf the day she started buying through OrderDeck


def _buy(world: World) -> None:
    """Priya's purchases, imported as OrderDeck's template, then put into two consolidations as she would in
    the tabs: one arrived 20 days ago (landed costs, FIFO layers), one due in 9 days (stock on its way)."""
    today = datetime.now(UTC).date()
    prices = {sku.seller_sku: sku.price for shop in world.tiktok.shops.values() for sku in shop.catalog}
    currencies = {sku.seller_sku: shop.market.currency for shop in world.tiktok.shops.values() for sku in shop.catalog}
    lines = [PURCHASE_HEADER] + [
        f"{platform},{supplier},{order},{ALIBABA_OFFER_URL.format(offer) if offer else ''},{spec},{sku},{units},"
        f"{_in_cny(prices[sku] * share, currencies[sku])},CNY,12,{today - timedelta(days=30)}"
        for platform, supplier, order, offer, spec, sku, units, share, _ in PURCHASES
    ]
    buyer = next(p.email for p in PEOPLE if p.role == "procurement")
    shipments = {
        "DEMO-SEA-01": {"cons_forwarder": "Demo Forwarding (Yiwu)", "cons_weight": 46, "cons_volumetric": 52,
                        "cons_freight": 980, "cons_duties": 640, "cons_fees": 150, "cons_currency": "CNY",
                        "cons_paid_on": str(today - timedelta(days=24)), "cons_status": "arrived",
                        "cons_arrived_on": str(today - timedelta(days=20))},
        "DEMO-AIR-02": {"cons_forwarder": "Demo Forwarding (Shenzhen)", "cons_weight": 12, "cons_freight": 420,
                        "cons_currency": "CNY", "cons_paid_on": str(today - timedelta(days=2)),
                        "cons_status": "shipped", "cons_expected_on": str(today + timedelta(days=9))},
    }  # fmt: skip
    with world.app.app_context(), world.db.session() as session:
        team = teams.team_by_name(session, TEAM)
        imported = purchases.import_purchases(session, team, "\n".join(lines).encode(), file_name="demo.csv",
                                              actor=buyer)  # fmt: skip
        if imported.problems:
            raise InvalidInput(f"demo purchases: {imported.problems}")
        # Bought a month ago: each SKU went live with OrderDeck then, a few units on the shelf at the typed cost;
        # what sold past those took the purchase's landed cost once it arrived.
        for opening in session.scalars(select(OpeningStock).where(OpeningStock.team_id == team.id)):
            opening.as_of, opening.quantity = today - timedelta(days=30), OPENING_COUNT
        numbers: Counter[str] = Counter()
        for platform, _, order, *_, shipment in PURCHASES:
            numbers[order] += 1
            key = f"{platform}:{order}/{numbers[order]}"
            edit = purchases.edit_line(session, team, buyer, key, {"po_consolidation": shipment})
            if edit.refused:
                raise InvalidInput(f"demo purchase {key}: {edit.refused}")
        for name, typed in shipments.items():
            edit = purchases.edit_consolidation(session, team, buyer, name, typed)
            if edit.refused:
                raise InvalidInput(f"demo consolidation {name}: {edit.refused}")


def _bind_sheets(world: World) -> None:
    with world.app.app_context(), world.db.session() as session:
        team = teams.team_by_name(session, TEAM)
        for spec in (s.titled(i18n.tab_titler(team.language)) for s in SHEETS):
            spreadsheet = _create_spreadsheet(world, spec)
            world.spreadsheets[spec.key] = spreadsheet
            for tab, profile in spec.tabs:
                bindings.bind(session, team, spreadsheet, tab, profile, actor=ADMIN.email, title=spec.title)


def _create_spreadsheet(world: World, spec: SheetSpec) -> str:
    """Created by the admin, shared with the writer service account and exactly the audience's members."""
    sheets = world.google.sheets
    created = sheets.create_spreadsheet(ADMIN.email, spec.title, sheets=[t for t, _ in spec.tabs],
                                        time_zone=SHEET_TIME_ZONE)  # fmt: skip
    sheets.share(created.id, "writer", email=WRITER)
    for person in PEOPLE:
        if person.role == spec.audience:
            sheets.share(created.id, spec.member_access, email=person.email)
    return created.id


def _reconnect(world: World, discord_hook: str) -> None:
    """A resumed world's servers have new ports: re-authorize the shops (webhooks follow) and re-point Discord."""
    box = world.app.extensions["orderdeck.secrets"]
    with world.db.session() as session:
        team = teams.team_by_name(session, TEAM)
        team_id = team.id
        channel = session.scalar(
            select(NotificationChannel).where(
                NotificationChannel.team_id == team_id, NotificationChannel.name == CHANNEL
            )
        )
        if channel is not None:
            channel.webhook_url_sealed = box.seal(notify.check_webhook_url(discord_hook, allow_loopback=True))
    _connect_shops(world, team_id)
