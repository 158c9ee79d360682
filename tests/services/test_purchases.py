"""`purchases import` from the command line: 1688's buyer order export (.xlsx) and OrderDeck's template, bad
rows named by line number, values typed in the tab kept on a re-import, and remembered supplier item SKUs.

The 1688 workbook is built here with the 49 headers, in order, that gromy92/nuono-next-backend checks real
exports against (src/main/java/com/nuono/next/procurement/aliorder/Ali1688HistoricalOrderExcelHeaderContract.java);
no real exported file was found in a public repository to commit (searched 2026-12-07: code and pages corpora
for 订单导出 / 订单编号 / 卖家公司名 / 货品总价(元) files, .xlsx/.csv files in 1688-named repositories), so the rows
are typical values, with the order columns of a multi-item order left blank below its first item as Excel's
merged cells read."""

from __future__ import annotations

import csv
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from flask.testing import FlaskCliRunner
from openpyxl import Workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.models import PurchaseLine, PurchaseOrder, Team
from backend.services import purchases
from tests import factories

D = Decimal
TEAM = "Acme Trading"
BUYER = "buyer@acme.test"
HEADERS_1688 = [
    "订单编号",
    "买家公司名",
    "买家会员名",
    "卖家公司名",
    "卖家会员名",
    "货品总价(元)",
    "运费(元)",
    "涨价或折扣(元)",
    "实付款(元)",
    "订单状态",
    "订单创建时间",
    "订单付款时间",
    "发货方",
    "收货人姓名",
    "收货地址",
    "邮编",
    "联系电话",
    "联系手机",
    "货品标题",
    "单价(元)",
    "数量",
    "单位",
    "货号",
    "型号",
    "Offer ID",
    "SKU ID",
    "物料编号",
    "单品货号",
    "货品种类",
    "买家留言",
    "物流公司",
    "运单号",
    "发票：购货单位名称",
    "发票：纳税人识别号",
    "发票：地址、电话",
    "发票：开户行及账号",
    "发票收取地址",
    "关联编号",
    "代理商姓名",
    "代理商联系方式",
    "是否代发订单",
    "代发服务商id",
    "微商订单号",
    "下单批次号",
    "下游渠道",
    "下游订单号",
    "下单公司主体",
    "发起人登录名",
    "是否发起免密支付(1:淘货源诚e赊免密支付2:批量下单免密支付)",
]


def export_1688(path: Path) -> Path:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(HEADERS_1688)

    def row(**cells: object) -> None:
        sheet.append([cells.get(h) for h in HEADERS_1688])

    paid = datetime(2026, 3, 1, 10, 12)
    row(**{"订单编号": "3399001", "卖家公司名": "义乌市杯具有限公司", "货品总价(元)": 250, "运费(元)": 12,
           "涨价或折扣(元)": "-2.00", "实付款(元)": 260, "订单状态": "等待买家确认收货", "订单创建时间": paid,
           "订单付款时间": paid, "货品标题": "陶瓷马克杯 350ml", "单价(元)": 15, "数量": 10, "型号": "白色",
           "Offer ID": "612345678901", "物流公司": "中通快递", "运单号": "ZT7788"})  # fmt: skip
    row(**{"货品标题": "马克杯盖", "单价(元)": 5, "数量": 20, "型号": "", "Offer ID": "612345678902"})
    row(**{"订单编号": "3399002", "卖家公司名": "Another", "订单状态": "等待买家付款", "订单创建时间": paid,
           "货品标题": "水壶", "单价(元)": 40, "数量": 5, "Offer ID": "699"})  # fmt: skip
    row(**{"货品标题": "水壶盖", "单价(元)": 4, "数量": 5, "Offer ID": "700"})
    row(**{"订单编号": "3399003", "卖家公司名": "Third", "订单状态": "交易成功", "订单创建时间": paid,
           "订单付款时间": paid, "货品标题": "杯垫", "单价(元)": 2, "数量": 0, "Offer ID": "701"})  # fmt: skip
    book.save(path)
    return path


def acme(session: Session) -> Team:
    team = factories.team(session, TEAM)
    factories.member(session, team, BUYER, "procurement")
    shop = factories.shop(session, team)
    factories.order(session, shop, skus=(("MUG", 1, D("9")), ("LID", 1, D("3"))))
    session.commit()
    return team


def stored(session: Session) -> dict[str, tuple[object, ...]]:
    rows = session.execute(
        select(PurchaseOrder, PurchaseLine).join(PurchaseLine).order_by(PurchaseOrder.id, PurchaseLine.line_no)
    )
    return {
        f"{o.platform}:{o.supplier_order_no}/{ln.line_no}": (ln.seller_sku, ln.item_spec, ln.quantity_ordered,
                                                             ln.unit_price, ln.status)
        for o, ln in rows
    }  # fmt: skip


def test_a_1688_export_imports_paid_orders_item_by_item_and_names_the_rest(
    runner: FlaskCliRunner, session: Session, tmp_path: Path
) -> None:
    team = acme(session)

    result = runner.invoke(args=["purchases", "import", str(export_1688(tmp_path / "订单.xlsx")), "--team", TEAM])

    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == (
        "1688 layout: 2 new, 0 changed, 0 unchanged purchase lines; 2 without a seller SKU "
        "(type it in the purchase_orders tab); 3 line(s) refused"
    )
    assert result.stderr.splitlines() == [
        "line 4: order 3399002 is not paid yet (等待买家付款): not imported",
        "line 5: not imported: its order 3399002 is not paid yet (等待买家付款)",
        "line 6: 数量 (quantity) must be a whole number above 0 (got '0')",
    ]
    assert stored(session) == {
        "1688:3399001/1": (None, "白色", 10, D("15"), "shipped"),
        "1688:3399001/2": (None, "", 20, D("5"), "shipped"),
    }
    order = session.scalars(select(PurchaseOrder)).one()
    assert (order.currency, order.domestic_shipping, order.adjustment, order.paid_on) == (
        "CNY", D("12"), D("-2"), date(2026, 3, 1)
    )  # fmt: skip
    assert (order.domestic_carrier, order.domestic_tracking) == ("中通快递", "ZT7788")

    # Procurement maps the mug in the tab; the next order of the same item and spec comes in mapped.
    edit = purchases.edit_line(session, team, BUYER, "1688:3399001/1", {"po_sku": "MUG", "po_qty_ordered": 9})
    assert edit.refused is None
    session.commit()
    again = tmp_path / "again.csv"
    again.write_text(
        "platform,supplier_order_no,item_link,item_spec,quantity_ordered,unit_price,currency\n"
        "1688,3399009,https://detail.1688.com/offer/612345678901.html,白色,30,14.5,CNY\n",
        encoding="utf-8",
    )
    assert runner.invoke(args=["purchases", "import", str(export_1688(tmp_path / "again.xlsx")), "--team", TEAM])
    assert runner.invoke(args=["purchases", "import", str(again), "--team", TEAM]).exit_code == 0
    session.expire_all()
    found = stored(session)
    assert found["1688:3399001/1"] == ("MUG", "白色", 9, D("15"), "shipped")  # typed values stay
    assert found["1688:3399009/1"] == ("MUG", "白色", 30, D("14.5"), "ordered")  # the item's remembered SKU


def test_the_export_saved_as_csv_in_gbk_or_with_a_bom_and_the_older_tracking_column_imports_alike(
    runner: FlaskCliRunner, session: Session, tmp_path: Path
) -> None:
    """Excel in a Chinese locale saves CSV in GBK and writes dates as "2026/3/1 10:12"; older exports put carrier
    and number in one 物流公司运单号 cell (jiangtaozy/pdd-management-api, handle/upload-1688-order-file.go)."""
    acme(session)
    older = [h for h in HEADERS_1688 if h not in ("物流公司", "运单号")] + ["物流公司运单号"]
    first = {"订单编号": "3399001", "卖家公司名": "义乌市杯具有限公司", "运费(元)": "12", "订单状态": "已收货",
             "订单创建时间": "2026/3/1 10:12", "订单付款时间": "2026/3/1 10:12", "货品标题": "陶瓷马克杯 350ml",
             "单价(元)": "15", "数量": "10", "型号": "白色", "Offer ID": "612345678901",
             "物流公司运单号": "中通快递:ZT7788"}  # fmt: skip
    second = {"货品标题": "马克杯盖", "单价(元)": "5", "数量": "20", "Offer ID": "612345678902"}
    table = [older] + [[row.get(h, "") for h in older] for row in (first, second)]
    for encoding in ("gb18030", "utf-8-sig"):
        path = tmp_path / f"订单导出-{encoding}.csv"
        with path.open("w", encoding=encoding, newline="") as out:
            csv.writer(out).writerows(table)
        result = runner.invoke(args=["purchases", "import", str(path), "--team", TEAM])
        assert result.exit_code == 0 and result.stderr == "", result.output
        assert result.stdout.startswith("1688 layout: ")

    assert stored(session) == {
        "1688:3399001/1": (None, "白色", 10, D("15"), "at_forwarder"),
        "1688:3399001/2": (None, "", 20, D("5"), "at_forwarder"),
    }
    order = session.scalars(select(PurchaseOrder)).one()
    assert (order.paid_on, order.domestic_shipping) == (date(2026, 3, 1), D("12"))
    assert (order.domestic_carrier, order.domestic_tracking) == ("中通快递", "ZT7788")


def test_the_template_remembers_skus_and_nothing_imported_exits_non_zero(
    runner: FlaskCliRunner, session: Session, tmp_path: Path
) -> None:
    team = acme(session)
    first = tmp_path / "first.csv"
    first.write_text("platform,supplier_order_no,item_link,item_spec,seller_sku,quantity_ordered,unit_price,currency\n"
                     "taobao,T1,https://item.taobao.com/item.htm?id=5,红,,4,12.5,CNY\n", encoding="utf-8")  # fmt: skip
    assert runner.invoke(args=["purchases", "import", str(first), "--team", TEAM]).exit_code == 0
    assert purchases.edit_line(session, team, BUYER, "taobao:T1/1", {"po_sku": "LID"}).refused is None
    session.commit()
    second = tmp_path / "second.csv"
    second.write_bytes(first.read_text(encoding="utf-8").replace("T1", "T2").encode("gb18030"))

    result = runner.invoke(args=["purchases", "import", str(second), "--team", TEAM])

    assert "0 without a seller SKU" in result.stdout
    session.expire_all()
    assert stored(session)["taobao:T2/1"][0] == "LID"

    bad = tmp_path / "bad.csv"
    bad.write_text("platform,supplier_order_no,quantity_ordered\nshopee,X,2\n", encoding="utf-8")
    refused = runner.invoke(args=["purchases", "import", str(bad), "--team", TEAM])
    assert refused.exit_code != 0
    assert refused.stderr.splitlines() == [
        "line 2: platform 'shopee' must be one of taobao, 1688, other",
        "Error: no purchase lines imported from bad.csv",
    ]
    unknown = runner.invoke(args=["purchases", "import", str(bad), "--team", "Nobody"])
    assert unknown.exit_code != 0 and len(unknown.stderr.strip().splitlines()) == 1
