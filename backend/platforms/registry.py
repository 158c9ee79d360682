"""The one door to the sales channels: Shop.platform → its adapter.

Like redash's query-runner registry, this is the only module that imports adapter packages; services,
the API, the CLI and tasks ask it for a Channel (backend.platforms.base) and see nothing else, which
tests/test_platform_seam.py enforces. A new channel is one line here (docs/adding-a-channel.md).
"""

from __future__ import annotations

from backend.errors import NotFound
from backend.platforms.base import Channel
from backend.platforms.shopee.adapter import ShopeeChannel
from backend.platforms.tiktok.adapter import TikTokChannel

CHANNELS: dict[str, Channel] = {channel.name: channel for channel in (TikTokChannel(), ShopeeChannel())}
DEFAULT = "tiktok"


def channel(platform: str) -> Channel:
    """The adapter for a Shop.platform value; NotFound names the channels there are."""
    found = CHANNELS.get(platform)
    if found is None:
        raise NotFound(f"no sales channel {platform!r}; OrderDeck knows {', '.join(sorted(CHANNELS))}")
    return found


def names() -> tuple[str, ...]:
    return tuple(CHANNELS)
