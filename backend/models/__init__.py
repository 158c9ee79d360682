"""SQLAlchemy models, one module per aggregate; import from here."""

from backend.models.addon import GoogleOAuthState
from backend.models.base import Base, utcnow
from backend.models.fee_rules import FeeRule
from backend.models.finance import FeeLine, FxRate, SkuCost
from backend.models.limits import LimitOverride, SheetsUsage
from backend.models.notify import Notification, NotificationChannel, NotificationSettings
from backend.models.order import Order, OrderEvent, OrderInput, OrderLine, Package, order_packages
from backend.models.sheet_state import EVERYTHING, STOCK, SheetChange, SheetSnapshot
from backend.models.sheets import BindChallenge, ColumnProfile, SheetBinding, Spreadsheet, shows_shop
from backend.models.shop import ConsentState, Shop, ShopStatus
from backend.models.stock import OrderReview, StockLevel
from backend.models.team import GoogleConnection, Invitation, Member, Team
from backend.models.work import FailedItem, Lease, RateWindow, SyncRun, WebhookEvent
from backend.models.workflow import AuditEntry, ExceptionCase

__all__ = [
    "EVERYTHING",
    "STOCK",
    "AuditEntry",
    "Base",
    "BindChallenge",
    "ColumnProfile",
    "ConsentState",
    "ExceptionCase",
    "FailedItem",
    "FeeLine",
    "FeeRule",
    "FxRate",
    "GoogleConnection",
    "GoogleOAuthState",
    "Invitation",
    "Lease",
    "LimitOverride",
    "Member",
    "Notification",
    "NotificationChannel",
    "NotificationSettings",
    "Order",
    "OrderEvent",
    "OrderInput",
    "OrderLine",
    "OrderReview",
    "Package",
    "RateWindow",
    "SheetBinding",
    "SheetChange",
    "SheetSnapshot",
    "SheetsUsage",
    "Shop",
    "ShopStatus",
    "SkuCost",
    "Spreadsheet",
    "StockLevel",
    "SyncRun",
    "Team",
    "WebhookEvent",
    "order_packages",
    "shows_shop",
    "utcnow",
]
