"""A wave's labels: merging 50 label PDFs into one (pypdf), and the whole open of a wave link's documents.

`merge_50` merges 50 one-page labels as the TikTok sandbox serves them (the median of five merges);
`fetch_and_merge_50` is what opening a wave link costs against the sandbox over HTTP: 50 fresh
shipping_documents calls, 50 downloads from the 24-hour URLs, one merge. Target: merge under 2 s.
"""

from __future__ import annotations

import io
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # runnable as a plain script

from pypdf import PdfReader

from backend.platforms.fulfilment import Document, DocumentKind, Handover, HandoverMethod
from backend.platforms.http import RetryPolicy
from backend.platforms.tiktok.adapter import TikTokShop
from backend.platforms.tiktok.client import TikTokClient
from backend.platforms.tiktok.oauth import TikTokAuthClient
from backend.platforms.tokens import RotatingTokens
from backend.sandbox import documents
from backend.sandbox.tiktok_shop import TikTokShopSandbox
from backend.services.labels import merge

WAVE = 50


def _merge_once(parts: list[Document]) -> float:
    started = time.perf_counter()
    merged = merge(parts)
    elapsed = time.perf_counter() - started
    assert len(PdfReader(io.BytesIO(merged.content)).pages) == len(parts)
    return elapsed


def run(quick: bool = False) -> dict[str, object]:
    size = 10 if quick else WAVE
    labels = [
        Document(documents.pdf(["TikTok Shipping - USPS", f"Tracking 1Z{n:016d}", f"Package 11{n:016d}",
                                "Ship to: Jordan Buyer", "1 Market Street, Unit 1, Los Angeles"]), "application/pdf")
        for n in range(size)
    ]  # fmt: skip
    results: dict[str, object] = {"labels": size}
    results[f"merge_{size}_s"] = round(statistics.median(_merge_once(labels) for _ in range(5)), 4)

    sandbox = TikTokShopSandbox(seed=5)
    shop = sandbox.add_shop("Bench US", "US", orders=0)
    server = sandbox.start()
    try:
        auth = TikTokAuthClient(sandbox.app_key, sandbox.app_secret, base_url=server.url, retry=RetryPolicy())
        tokens = RotatingTokens(auth, auth.exchange_code(sandbox.issue_auth_code([shop.shop_id])))
        client = TikTokClient(sandbox.app_key, sandbox.app_secret, tokens, base_url=server.url)
        api = TikTokShop(client, shop.cipher)
        orders = sandbox.add_ready_orders(shop.shop_id, size)
        wave = [(o.order_id, o.package_ids()[0]) for o in orders]
        api.ship_packages([(package, Handover(HandoverMethod.DROP_OFF)) for _, package in wave])
        started = time.perf_counter()
        fetched = [
            api.shipping_document(order, package, kind=DocumentKind.LABEL, size="A6", format="PDF")
            for order, package in wave
        ]
        merged = merge(fetched)
        results[f"fetch_and_merge_{size}_s"] = round(time.perf_counter() - started, 3)
        results["merged_pages"] = len(PdfReader(io.BytesIO(merged.content)).pages)
        results["merged_bytes"] = len(merged.content)
        client.close()
        auth.close()
    finally:
        server.stop()
    return results


def main() -> None:
    r = run()
    print(
        f"Merging {r['labels']} labels: {r[f'merge_{WAVE}_s']} s (target < 2 s); opening a wave link against the "
        f"sandbox (fetch {WAVE} fresh documents + merge): {r[f'fetch_and_merge_{WAVE}_s']} s, "
        f"{r['merged_pages']} pages, {r['merged_bytes']} bytes"
    )


if __name__ == "__main__":
    main()
