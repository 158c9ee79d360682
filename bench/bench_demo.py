"""The demo's peak memory over ten minutes of use, the page polled as a browser would (issue 19).

A child process runs the whole demo as `flask --app backend demo` does (`backend.demo.world.start`:
the sandboxes, the backend and its worker, live TikTok traffic, the demo page), in a temporary state
directory so a demo of your own in instance/demo is left alone. This process plays the browser: every
3 s (the page's own refresh) it loads each spreadsheet's grid as its audience sees it, the sidebar
and the Discord feed. At the end it reads the child's peak resident memory (VmHWM).

Target (issue 19): under 400 MB over ten minutes (420 MB was measured before).

    .venv/bin/python bench/bench_demo.py [--quick]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # runnable as a plain script

import httpx

from bench.bench_load import free_port

MINUTES, QUICK_MINUTES = 10.0, 0.5
POLL_EVERY = 3.0  # the demo page's refresh (backend/demo/page.py)
READY_TIMEOUT = 300


def _child(state_dir: str, port: int) -> None:
    """Run the demo until stdin closes; say where its page is and what to poll, once ready."""
    from backend.demo import world as demo  # noqa: PLC0415 - the child's own import

    world = demo.start(Path(state_dir), page_port=port)
    audience = {spec.key: spec.audience for spec in world.sheet_specs}
    people = {p.role: p.email for p in world.people}
    print(json.dumps({"url": world.url, "sheets": {k: people.get(r, "") for k, r in audience.items()}}), flush=True)
    sys.stdin.read()  # the parent closes it to stop the demo
    world.stop()


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmHWM for process {pid}")


def run(quick: bool = False) -> dict[str, object]:
    minutes = QUICK_MINUTES if quick else MINUTES
    with tempfile.TemporaryDirectory(prefix="orderdeck-demo-") as state:
        child = subprocess.Popen(
            [sys.executable, __file__, "--child", state, str(free_port())],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        try:
            started = time.monotonic()
            assert child.stdout is not None
            ready = json.loads(child.stdout.readline() or "{}")
            if not ready:
                raise RuntimeError("the demo did not start")
            ready_s = time.monotonic() - started
            polls = 0
            deadline = time.monotonic() + minutes * 60
            with httpx.Client(base_url=ready["url"], timeout=60) as page:
                page.get("/").raise_for_status()
                while time.monotonic() < deadline:
                    for key, email in ready["sheets"].items():
                        page.get(f"/grid/{key}", params={"as": email}).raise_for_status()
                        page.get("/sidebar", params={"as": email, "sheet": key}).raise_for_status()
                    page.get("/discord").raise_for_status()
                    polls += 1
                    time.sleep(POLL_EVERY)
            peak = peak_rss_mb(child.pid)
        finally:
            if child.stdin:
                child.stdin.close()
            try:
                child.wait(timeout=120)
            except subprocess.TimeoutExpired:  # a stop slowed by a busy machine: the figures are already taken
                child.kill()
                child.wait()
    return {
        "minutes": minutes,
        "ready_s": round(ready_s, 1),
        "page_polls": polls,
        "peak_rss_mb": round(peak),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_MINUTES} minutes instead of {MINUTES}")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args.child[0], int(args.child[1]))
        return
    print(json.dumps(run(quick=args.quick), indent=2))


if __name__ == "__main__":
    main()
