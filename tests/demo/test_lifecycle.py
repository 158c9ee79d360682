"""`flask demo` stops every thread and server it started, keeps its state, and a second run resumes it.

Apart from tests/demo/test_demo.py so that no other demo world runs in this process meanwhile.
"""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from backend.demo import world as demo
from backend.errors import InvalidInput
from backend.models import Shop
from tests.demo.test_demo import WANG, tab


def _world_threads() -> set[threading.Thread]:
    names = ("demo-", "tiktok-sandbox", "shopee-sandbox", "sandbox:", "orderdeck-task")
    return {t for t in threading.enumerate() if t.name.startswith(names)}


def test_stop_leaves_no_thread_or_port_and_a_second_run_resumes(tmp_path: Path) -> None:
    before = _world_threads()
    first = demo.start(tmp_path, page_port=0, traffic_every=0.2)
    servers = [first.page_server, first.backend_server, first.tiktok_server, first.shopee_server,
               first.discord_server, first.google.sheets_server, first.google.identity_server]  # fmt: skip
    spreadsheets = dict(first.spreadsheets)
    time.sleep(1)  # a few traffic steps
    first.stop()
    assert _world_threads() - before == set(), "threads left running"
    for server in servers:
        assert server is not None
        with pytest.raises(OSError):
            socket.create_connection(("127.0.0.1", server.port), timeout=1).close()

    second = demo.start(tmp_path, resume=True, page_port=None, traffic_every=None)
    try:
        assert second.spreadsheets == spreadsheets
        with second.db.session() as session:
            assert session.scalar(select(func.count()).select_from(Shop)) == 3
        assert len(tab(second, "warehouse", WANG)) > 20
        shop_ids = set(second.tiktok.shops) | {str(s) for s in second.shopee.shops}
        with second.db.session() as session:
            assert set(session.scalars(select(Shop.external_id))) == shop_ids
    finally:
        second.stop()
    with pytest.raises(InvalidInput):
        demo.start(tmp_path / "never-ran", resume=True)
