"""The local executor: a path runs once at a time, and a path asked for while it runs runs once more."""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

from flask import Flask

from backend.tasks import InlineTasks


class Recorder:
    """Runs task paths; the first run of `/tasks/slow` waits until the test lets it go."""

    def __init__(self) -> None:
        self.started = threading.Event()
        self.go = threading.Event()
        self.lock = threading.Lock()
        self.runs: Counter[str] = Counter()
        self.running: Counter[str] = Counter()
        self.most_at_once: Counter[str] = Counter()

    def __call__(self, path: str) -> dict[str, Any]:
        with self.lock:
            self.runs[path] += 1
            self.running[path] += 1
            self.most_at_once[path] = max(self.most_at_once[path], self.running[path])
            first = self.runs[path] == 1
        if path == "/tasks/slow" and first:
            self.started.set()
            assert self.go.wait(10)
        with self.lock:
            self.running[path] -= 1
        return {"path": path}


def test_a_path_asked_for_while_it_runs_runs_once_more_after_it_and_never_twice_at_once() -> None:
    recorder = Recorder()
    queue = InlineTasks(Flask(__name__), runner=recorder)
    try:
        queue.enqueue("/tasks/slow")
        assert recorder.started.wait(10)
        for _ in range(50):  # a stream of webhooks for the shop whose round is running
            queue.enqueue("/tasks/slow")
        queue.enqueue("/tasks/other")  # another path is not held back by it
        drained = threading.Event()

        def drain() -> None:
            queue.drain(timeout=10)
            drained.set()

        threading.Thread(target=drain).start()
        assert not drained.wait(0.5)  # drain() waits for the running path and the run it still owes
        assert recorder.runs["/tasks/other"] == 1 and recorder.runs["/tasks/slow"] == 1
        recorder.go.set()
        assert drained.wait(10)
    finally:
        recorder.go.set()
        queue.shutdown()
    assert recorder.runs["/tasks/slow"] == 2  # the first run, then one for everything asked for meanwhile
    assert recorder.most_at_once["/tasks/slow"] == 1


def test_a_teams_three_spreadsheets_are_pushed_at_once_not_in_turns() -> None:
    """A round asks for the push of every spreadsheet showing the shop in the one process that ran it: none
    waits for another file's push (which waits on Google for seconds) to end before it starts."""
    together = threading.Barrier(3, timeout=5)

    def push(path: str) -> dict[str, Any]:
        together.wait()  # each push is still running when the last one starts
        return {"path": path}

    queue = InlineTasks(Flask(__name__), runner=push)
    try:
        for binding in (1, 2, 3):
            queue.enqueue(f"/tasks/push-binding/{binding}")
        queue.drain(timeout=10)
    finally:
        queue.shutdown()
    assert not together.broken
