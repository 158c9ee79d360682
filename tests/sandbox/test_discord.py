"""The Discord webhook fake answers like Discord: limits, error bodies, rate limits, outages."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from backend.sandbox.discord import DiscordFake, Webhook, start_discord, webhook_url
from backend.sandbox.google_identity import FakeClock
from backend.sandbox.server import RunningServer


@pytest.fixture(scope="module")
def clock() -> FakeClock:
    return FakeClock(1_800_000_000.0)


@pytest.fixture(scope="module")
def running(clock: FakeClock) -> Iterator[tuple[DiscordFake, RunningServer]]:
    fake, server = start_discord(DiscordFake(limit=5, window=2.0, clock=clock.now))
    yield fake, server
    server.stop()


@pytest.fixture
def discord(running: tuple[DiscordFake, RunningServer]) -> tuple[DiscordFake, RunningServer]:
    running[0].reset()
    return running


@pytest.fixture
def hook(discord: tuple[DiscordFake, RunningServer]) -> Webhook:
    return discord[0].create_webhook()


def post(discord: tuple[DiscordFake, RunningServer], hook: Webhook, body: Any, **params: str) -> httpx.Response:
    return httpx.post(webhook_url(discord[1], hook), json=body, params=params)


def test_a_valid_message_is_accepted_logged_and_returned_with_wait(
    discord: tuple[DiscordFake, RunningServer], hook: Webhook
) -> None:
    body = {"content": "hi", "embeds": [{"title": "T-4h", "fields": [{"name": "Shop", "value": "Acme"}]}]}
    assert post(discord, hook, body).status_code == 204
    answer = post(discord, hook, body, wait="true")
    assert answer.status_code == 200
    message = answer.json()
    assert message["webhook_id"] == hook.id and message["embeds"][0]["type"] == "rich"
    assert message["author"]["bot"] is True and message["content"] == "hi"
    assert discord[0].messages(hook.id) == [body, body]


def too_long(limit: int) -> dict[str, Any]:
    return {"_errors": [{"code": "BASE_TYPE_MAX_LENGTH", "message": f"Must be {limit} or fewer in length."}]}


REQUIRED = {"_errors": [{"code": "BASE_TYPE_REQUIRED", "message": "This field is required"}]}
TOO_BIG = {"_errors": [{"code": "MAX_EMBED_SIZE_EXCEEDED", "message": "Embed size exceeds maximum size of 6000"}]}


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({"content": "x" * 2001}, {"content": too_long(2000)}),
        ({"embeds": [{"title": "t" * 257}]}, {"embeds": {"0": {"title": too_long(256)}}}),
        ({"embeds": [{"description": "d" * 4097}]}, {"embeds": {"0": {"description": too_long(4096)}}}),
        ({"embeds": [{"title": "t"}] * 11}, {"embeds": too_long(10)}),
        ({"embeds": [{"fields": [{"name": "n", "value": "v"}] * 26}]}, {"embeds": {"0": {"fields": too_long(25)}}}),
        (
            {"embeds": [{"fields": [{"name": "n" * 257, "value": ""}]}]},
            {"embeds": {"0": {"fields": {"0": {"name": too_long(256), "value": REQUIRED}}}}},
        ),
        (
            {"embeds": [{"fields": [{"name": "n", "value": "v" * 1025}]}]},
            {"embeds": {"0": {"fields": {"0": {"value": too_long(1024)}}}}},
        ),
        ({"embeds": [{"footer": {"text": "f" * 2049}}]}, {"embeds": {"0": {"footer": {"text": too_long(2048)}}}}),
        ({"embeds": [{"author": {"name": "a" * 257}}]}, {"embeds": {"0": {"author": {"name": too_long(256)}}}}),
        ({"embeds": [{"description": "d" * 4000}, {"description": "d" * 2001}]}, {"embeds": TOO_BIG}),
    ],
)
def test_payloads_past_discords_limits_get_invalid_form_body(
    discord: tuple[DiscordFake, RunningServer], hook: Webhook, body: dict[str, Any], errors: dict[str, Any]
) -> None:
    answer = post(discord, hook, body)
    assert answer.status_code == 400
    assert answer.json() == {"code": 50035, "message": "Invalid Form Body", "errors": errors}
    assert discord[0].messages() == []


def test_an_empty_message_and_bad_json_are_refused(discord: tuple[DiscordFake, RunningServer], hook: Webhook) -> None:
    assert post(discord, hook, {"username": "OrderDeck"}).json() == {
        "code": 50006,
        "message": "Cannot send an empty message",
    }
    raw = httpx.post(webhook_url(discord[1], hook), content=b"{nope", headers={"Content-Type": "application/json"})
    assert (raw.status_code, raw.json()["code"]) == (400, 50109)


def test_unknown_webhook_and_wrong_token(discord: tuple[DiscordFake, RunningServer], hook: Webhook) -> None:
    answer = httpx.post(f"{discord[1].url}/api/webhooks/123/abc", json={"content": "x"})
    assert (answer.status_code, answer.json()) == (404, {"code": 10015, "message": "Unknown Webhook"})
    answer = httpx.post(f"{discord[1].url}/api/webhooks/{hook.id}/wrong", json={"content": "x"})
    assert (answer.status_code, answer.json()["code"]) == (401, 50027)


def test_flooding_gets_429_with_retry_after_until_the_bucket_resets(
    discord: tuple[DiscordFake, RunningServer], hook: Webhook, clock: FakeClock
) -> None:
    answers = [post(discord, hook, {"content": str(i)}) for i in range(5)]
    assert [a.headers["X-RateLimit-Remaining"] for a in answers] == ["4", "3", "2", "1", "0"]
    assert answers[0].headers["X-RateLimit-Limit"] == "5" and answers[0].headers["X-RateLimit-Bucket"]
    clock.advance(0.5)
    limited = post(discord, hook, {"content": "6"})
    assert limited.status_code == 429
    assert limited.json() == {"message": "You are being rate limited.", "retry_after": 1.5, "global": False}
    assert limited.headers["Retry-After"] == "2" and limited.headers["X-RateLimit-Reset-After"] == "1.500"
    other = discord[0].create_webhook("other")
    assert post(discord, other, {"content": "own bucket"}).status_code == 204
    clock.advance(1.5)
    assert post(discord, hook, {"content": "6"}).status_code == 204
    assert len(discord[0].messages(hook.id)) == 6


def test_an_outage_answers_503_and_keeps_nothing(discord: tuple[DiscordFake, RunningServer], hook: Webhook) -> None:
    discord[0].outage = True
    assert post(discord, hook, {"content": "x"}).status_code == 503
    discord[0].outage = False
    assert post(discord, hook, {"content": "x"}).status_code == 204
    assert discord[0].messages() == [{"content": "x"}]
