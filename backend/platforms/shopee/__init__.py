"""Shopee Open Platform v2 adapter (reached only through backend.platforms.registry)."""
