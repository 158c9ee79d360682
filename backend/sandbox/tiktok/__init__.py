"""Parts of the TikTok Shop sandbox; the object to drive is `backend.sandbox.tiktok_shop.TikTokShopSandbox`."""
