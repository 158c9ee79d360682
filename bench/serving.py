"""Start the backend as a separate process for a benchmark, configured only through its environment."""

from __future__ import annotations

import os
import subprocess
import time
from dataclasses import fields
from pathlib import Path

import httpx

from backend.config import Config

ROOT = Path(__file__).resolve().parent.parent


def environment(config: Config, **extra: str) -> dict[str, str]:
    """This process's environment plus every setting of `config`, as the backend reads them."""
    env = {**os.environ, **extra}
    for f in fields(config):
        value = getattr(config, f.name)
        if f.name != "extra" and value is not None:
            env[f.name] = str(value)
    return env


def start_backend(command: list[str], config: Config, port: int, log: Path, **extra: str) -> subprocess.Popen[bytes]:
    """Run `command` (gunicorn or `flask run`) on 127.0.0.1:`port`; returns once /healthz answers."""
    with log.open("wb") as out:
        server = subprocess.Popen(
            command, cwd=ROOT, env=environment(config, **extra), stdout=out, stderr=subprocess.STDOUT
        )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"{command[0]} exited ({server.returncode}):\n{log.read_text()[-4000:]}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code < 500:
                return server
        except httpx.TransportError:
            time.sleep(0.1)
    server.kill()
    raise RuntimeError(f"{command[0]} did not answer in 120 s:\n{log.read_text()[-4000:]}")
