"""A local Shopee Open Platform v2 for tests, benchmarks and the demo (see sandbox.ShopeeSandbox)."""

from backend.sandbox.shopee.sandbox import ShopeeSandbox

__all__ = ["ShopeeSandbox"]
