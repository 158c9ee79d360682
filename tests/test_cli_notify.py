"""`notify channel add|list|test|remove`: Discord channels set up from the command line, tested against the
local Discord sandbox."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask.testing import FlaskCliRunner
from sqlalchemy.orm import Session

from backend.sandbox.discord import DiscordFake, start_discord, webhook_url
from backend.sandbox.server import RunningServer
from tests import factories


@pytest.fixture(scope="module")
def discord() -> Iterator[tuple[DiscordFake, RunningServer]]:
    fake, server = start_discord()
    yield fake, server
    server.stop()


def test_an_operator_adds_tests_lists_and_removes_a_channel(
    runner: FlaskCliRunner, session: Session, discord: tuple[DiscordFake, RunningServer]
) -> None:
    factories.team(session, "Acme")
    session.commit()
    fake, server = discord
    hook = fake.create_webhook()
    url = webhook_url(server, hook)
    added = runner.invoke(args=["notify", "channel", "add", "--team", "Acme", "--kind", "sla", "--kind", "digest",
                                "--name", "warehouse", url])  # fmt: skip
    assert added.exit_code == 0, added.output
    assert added.output.startswith("channel ") and "digest,sla" in added.output and hook.token not in added.output
    channel_id = added.output.split()[1]

    tested = runner.invoke(args=["notify", "channel", "test", "--team", "Acme", channel_id])
    assert tested.exit_code == 0, tested.output
    assert fake.messages(hook.id)[0]["embeds"][0]["title"] == "OrderDeck is connected to warehouse"

    listed = runner.invoke(args=["notify", "channel", "list", "--team", "Acme"])
    assert listed.output.startswith(f"{channel_id}\twarehouse\tdigest,sla\t") and "\ton\n" in listed.output

    del fake.webhooks[hook.id]
    refused = runner.invoke(args=["notify", "channel", "test", "--team", "Acme", channel_id])
    assert refused.exit_code != 0 and "Unknown Webhook" in refused.output
    assert (
        "OFF: Discord refused the webhook" in runner.invoke(args=["notify", "channel", "list", "--team", "Acme"]).output
    )

    removed = runner.invoke(args=["notify", "channel", "remove", "--team", "Acme", channel_id])
    assert removed.exit_code == 0 and "removed" in removed.output
    assert "has no Discord channel" in runner.invoke(args=["notify", "channel", "list", "--team", "Acme"]).output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["add", "--team", "Acme", "https://evil.example/api/webhooks/1/x"], "https://discord.com/api/webhooks/"),
        (
            ["add", "--team", "Acme", "--kind", "gossip", "https://discord.com/api/webhooks/1/x"],
            "'gossip' is not one of",
        ),
        (["add", "--team", "Nobody", "https://discord.com/api/webhooks/1/x"], "no team named 'Nobody'"),
        (["remove", "--team", "Acme", "99"], "no Discord channel 99 in Acme"),
        (["test", "--team", "Acme", "99"], "no Discord channel 99 in Acme"),
    ],
)
def test_bad_input_is_one_line_and_a_non_zero_exit(
    runner: FlaskCliRunner, session: Session, args: list[str], message: str
) -> None:
    factories.team(session, "Acme")
    session.commit()
    result = runner.invoke(args=["notify", "channel", *args])
    assert result.exit_code != 0 and message in result.output
