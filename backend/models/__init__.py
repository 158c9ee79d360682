"""SQLAlchemy models, one module per aggregate; import from here."""

from backend.models.addon import GoogleOAuthState
from backend.models.after_sales import AfterSaleCase, CaseEvent, CaseInput
from backend.models.base import Base, utcnow
from backend.models.fee_rules import FeeRule
from backend.models.finance import FeeLine, FxRate, SkuCost
from backend.models.fulfilment import OrderTracking, PackageShipping, ShopLogistics, Wave
from backend.models.limits import LimitOverride, SheetsUsage
from backend.models.notify import Notification, NotificationChannel, NotificationSettings
from backend.models.order import Order, OrderEvent, OrderInput, OrderLine, Package, order_packages
from backend.models.purchasing import (
    Consolidation,
    OpeningStock,
    PurchaseLine,
    PurchaseOrder,
    SupplierItemSku,
)
from backend.models.sheet_state import EVERYTHING, STOCK, SheetChange, SheetSnapshot, StockChange
from backend.models.sheets import BindChallenge, ColumnProfile, SheetBinding, Spreadsheet, shows_shop
from backend.models.shop import ConsentState, Shop, ShopStatus
from backend.models.stock import OrderReview, StockLevel
from backend.models.team import GoogleConnection, Invitation, Member, Team
from backend.models.work import FailedItem, Lease, RateWindow, SyncRun, WebhookEvent
from backend.models.workflow import AuditEntry, ExceptionCase

__all__ = [
    "EVERYTHING",
    "STOCK",
    "AfterSaleCase",
    "AuditEntry",
    "Base",
    "BindChallenge",
    "CaseEvent",
    "CaseInput",
    "ColumnProfile",
    "ConsentState",
    "Consolidation",
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
    "OpeningStock",
    "Order",
    "OrderEvent",
    "OrderInput",
    "OrderLine",
    "OrderReview",
    "OrderTracking",
    "Package",
    "PackageShipping",
    "PurchaseLine",
    "PurchaseOrder",
    "RateWindow",
    "SheetBinding",
    "SheetChange",
    "SheetSnapshot",
    "SheetsUsage",
    "Shop",
    "ShopLogistics",
    "ShopStatus",
    "SkuCost",
    "Spreadsheet",
    "StockChange",
    "StockLevel",
    "SupplierItemSku",
    "SyncRun",
    "Team",
    "Wave",
    "WebhookEvent",
    "order_packages",
    "shows_shop",
    "utcnow",
]
