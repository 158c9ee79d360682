"""Run every benchmark in bench/ and print one table, with the machine it ran on (`make bench`).

Each `bench/bench_*.py` module with a `run() -> dict[str, object]` runs in its own child process
(so one benchmark's memory and threads never colour another's figures). Nested results become one
row per leaf: benchmark, figure (the keys joined by " / "), value, unit (read from the key's suffix:
`_per_s` → "<what>/s", `_ms`, `_s`, `_mb`, `_bytes`, `_per_1000`), and beside it the figure's
target, its value before issue 19 and, for a Sheets push, the same figure of the two peers measured in
this run (bench/targets.py). Each benchmark also gets a row with the machine's load average (1 minute)
as it started and ended: on a shared machine, read its timings with that in mind.

    .venv/bin/python bench/run_all.py [--quick] [--only sync,webhooks] [--postgres URL]

--quick passes quick=True to the benchmarks whose run() accepts it (smaller sizes, a smoke check)
and skips the others. --postgres (or DATABASE_URL) is handed to every benchmark as DATABASE_URL.
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import json
import os
import platform
import sqlite3
import subprocess
import sys
import tempfile
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))
sys.path.insert(0, str(BENCH_DIR.parent))  # runnable as a plain script

from sqlalchemy import create_engine, text  # noqa: E402 - after the path set-up, like the benchmarks
from sqlalchemy.engine import make_url  # noqa: E402

from bench.targets import NONE, peer_figures, target_and_before  # noqa: E402

UNITS = (("_per_s", "/s"), ("_per_1000", "per 1,000"), ("_ms", "ms"), ("_mb", "MB"), ("_bytes", "bytes"))
SKIPPED = "skipped"


@dataclass(frozen=True)
class Row:
    benchmark: str
    figure: str
    value: str
    unit: str
    target: str = NONE
    before: str = NONE
    peers: str = NONE


def benchmarks() -> list[str]:
    """Short names of bench/bench_*.py (`bench_sync.py` → `sync`)."""
    return sorted(p.stem.removeprefix("bench_") for p in BENCH_DIR.glob("bench_*.py"))


def unit_of(key: str) -> str:
    for suffix, unit in UNITS:
        if key.endswith(suffix):
            what = key.removesuffix(suffix).rsplit("_", 1)[-1]
            return f"{what}/s" if unit == "/s" else unit
    return "s" if key == "seconds" or key.endswith("_s") else ""


def rows(benchmark: str, result: object, path: tuple[str, ...] = ()) -> list[Row]:
    """One row per leaf of a (nested) result dict."""
    if isinstance(result, dict):
        return [r for key, value in result.items() for r in rows(benchmark, value, (*path, str(key)))]
    unit = unit_of(path[-1]) if path and isinstance(result, int | float) and not isinstance(result, bool) else ""
    figure = " / ".join(path)
    return [Row(benchmark, figure, str(result), unit, *target_and_before(benchmark, figure))]


def _run_one(name: str, quick: bool, out: Path) -> None:
    """In the child: import bench_<name>, call run(), write its result as JSON to `out`."""
    module = importlib.import_module(f"bench_{name}")
    run = getattr(module, "run", None)
    if run is None:
        result: object = SKIPPED + ": no run()"
    elif quick and "quick" not in inspect.signature(run).parameters:
        result = SKIPPED + ": no quick mode"
    else:
        result = run(quick=True) if quick else run()
    out.write_text(json.dumps(result, default=str))


def with_peers(rows_: list[Row]) -> list[Row]:
    """Each row beside the same figure of its peers in the same run (bench/targets.py says which)."""
    values = {(r.benchmark, r.figure): r.value for r in rows_}
    out = []
    for r in rows_:
        found = [(label, values.get((r.benchmark, figure))) for label, figure in peer_figures(r.benchmark, r.figure)]
        shown = ", ".join(f"{label} {value}" for label, value in found if value is not None)
        out.append(replace(r, peers=shown or NONE))
    return out


def load_average() -> str:
    return f"{os.getloadavg()[0]:.1f}"


def collect(name: str, quick: bool, env: dict[str, str]) -> list[Row]:
    load = load_average()
    collected = _collect(name, quick, env)
    return [*collected, Row(name, "load average (1 min) at start / end", f"{load} / {load_average()}", "")]


def _collect(name: str, quick: bool, env: dict[str, str]) -> list[Row]:
    with tempfile.TemporaryDirectory(prefix="orderdeck-bench-") as scratch:
        out = Path(scratch) / "result.json"
        command = [sys.executable, __file__, "--child", name, "--out", str(out), *(["--quick"] if quick else [])]
        done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
        if done.returncode != 0 or not out.exists():
            last = (done.stderr.strip().splitlines() or ["no output"])[-1][:100]  # the whole of it is on stderr
            print(f"bench_{name} failed:\n{done.stderr[-4000:]}", file=sys.stderr)
            return [Row(name, "error", last, "")]
        return rows(name, json.loads(out.read_text()))


def _memory_gb() -> str:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            return f"{int(line.split()[1]) / 1024 / 1024:.1f} GB"
    return "unknown"


def _cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def _postgres_version(url: str | None) -> str:
    if not url or make_url(url).get_backend_name() != "postgresql":
        return "not used (no DATABASE_URL / --postgres)"
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return str(conn.scalar(text("SHOW server_version")))
    finally:
        engine.dispose()


def machine(postgres: str | None) -> list[tuple[str, str]]:
    return [
        ("date", datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")),
        ("cpu", _cpu_model()),
        ("cores", str(os.cpu_count())),
        ("ram", _memory_gb()),
        ("os", platform.platform()),
        ("python", platform.python_version()),
        ("sqlite", sqlite3.sqlite_version),
        ("postgresql", _postgres_version(postgres)),
    ]


COLUMNS = ("benchmark", "figure", "value", "unit", "target", "before", "peers")


def table(rows_: list[Row]) -> str:
    """A Markdown table (readable in a terminal, pasteable into README.md)."""
    header = Row(*COLUMNS)
    cells = [header, *rows_]
    widths = [max(len(getattr(r, f)) for r in cells) for f in COLUMNS]

    def line(r: Row) -> str:
        values = [getattr(r, f) for f in COLUMNS]
        padded = [v.rjust(w) if i == 2 else v.ljust(w) for i, (v, w) in enumerate(zip(values, widths, strict=True))]
        return "| " + " | ".join(padded) + " |"

    rule = "|" + "|".join("-" * (w + 2) if i != 2 else "-" * (w + 1) + ":" for i, w in enumerate(widths)) + "|"
    return "\n".join([line(header), rule, *(line(r) for r in rows_)])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes where a benchmark offers them")
    parser.add_argument("--only", help="comma-separated benchmark names, e.g. sync,webhooks")
    parser.add_argument("--postgres", metavar="URL", help="PostgreSQL server for the benchmarks (else DATABASE_URL)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _run_one(args.child, args.quick, args.out)
        return
    names = benchmarks()
    if args.only:
        wanted = [n.strip().removeprefix("bench_") for n in args.only.split(",") if n.strip()]
        if unknown := sorted(set(wanted) - set(names)):
            parser.error(f"no benchmark {', '.join(unknown)} (have: {', '.join(names)})")
        names = [n for n in names if n in wanted]
    env = dict(os.environ)
    if args.postgres:
        env["DATABASE_URL"] = args.postgres
    collected: list[Row] = []
    for name in names:
        print(f"running bench_{name} …", file=sys.stderr, flush=True)
        collected += collect(name, args.quick, env)
    print("\n".join(f"{key}: {value}" for key, value in machine(env.get("DATABASE_URL"))))
    print()
    print(table(with_peers(collected)))
    if any(r.figure == "error" for r in collected):
        sys.exit(1)


if __name__ == "__main__":
    main()
