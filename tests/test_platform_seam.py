"""The platform seam holds: only the registry (and the sandboxes, the demo and tests) imports an adapter.

Services, the API, the CLI and tasks reach a sales channel through backend.platforms.registry and the
protocol in backend/platforms/base.py; an adapter package imported anywhere else fails here, in CI.
"""

from __future__ import annotations

import ast
from pathlib import Path

from backend.platforms import registry

BACKEND = Path(__file__).resolve().parents[1] / "backend"
PLATFORMS = BACKEND / "platforms"
# Who may import an adapter besides the adapter itself (DESIGN.md, "Platforms").
ALLOWED = ("backend/platforms/registry.py", "backend/sandbox/", "backend/demo/")


def adapters() -> set[str]:
    return {p.parent.name for p in PLATFORMS.glob("*/__init__.py")}


def imported_modules(source: str) -> list[tuple[int, str]]:
    """(line, module) for every import, `from backend.platforms import tiktok` counted as the package."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.append((node.lineno, node.module))
            found += [(node.lineno, f"{node.module}.{alias.name}") for alias in node.names]
    return found


def violations(relative: str, source: str, packages: set[str]) -> list[str]:
    """What `relative` (a path under the repository) imports of an adapter it may not."""
    if relative.startswith(ALLOWED):
        return []
    problems = []
    for line, module in imported_modules(source):
        parts = module.split(".")
        if parts[:2] != ["backend", "platforms"] or len(parts) < 3 or parts[2] not in packages:
            continue
        if not relative.startswith(f"backend/platforms/{parts[2]}/"):
            problems.append(f"{relative}:{line} imports {module}")
    return problems


def test_nothing_outside_an_adapter_imports_it() -> None:
    packages = adapters()
    assert packages >= set(registry.names()), "every registered channel is an adapter package"
    problems = []
    for path in sorted(BACKEND.rglob("*.py")):
        relative = path.relative_to(BACKEND.parent).as_posix()
        problems += violations(relative, path.read_text(encoding="utf-8"), packages)
    assert not problems, "reach adapters through backend.platforms.registry:\n" + "\n".join(problems)


def test_the_rule_catches_every_spelling_of_an_adapter_import() -> None:
    packages = {"tiktok", "shopee"}
    spellings = (
        "import backend.platforms.tiktok.client",
        "from backend.platforms.shopee import errors",
        "from backend.platforms import tiktok",
        "from backend.platforms.tiktok.webhooks import signature",
    )
    for source in spellings:
        assert violations("backend/services/sync.py", source, packages), source
    neutral = "from backend.platforms import registry\nfrom backend.platforms.base import ShopClient"
    assert not violations("backend/services/sync.py", neutral, packages)
    assert not violations("backend/platforms/tiktok/client.py", spellings[0], packages)
    assert not violations("backend/platforms/registry.py", spellings[1], packages)
    assert not violations("backend/sandbox/shopee/app.py", spellings[1], packages)
    assert violations("backend/platforms/shopee/client.py", spellings[0], packages), "one adapter into another"
