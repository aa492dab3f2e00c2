"""Result charts on Slack: when an election or a motion is decided, its result notice goes to the body's
channel and its chart follows as a PNG shared in the same channel (external upload flow) with alt text;
a refused chart upload is logged and the notice is neither lost nor posted twice."""

from __future__ import annotations

import pytest

from tests.fakes.slack_api import Call
from tests.fakes.slack_harness import SlackHarness, pick, recorded, setup_council

PNG = b"\x89PNG\r\n\x1a\n"


def in_council(call: Call) -> bool:
    return call.args.get("channel") == "C0COUNCIL" and "Result of" in call.args.get("text", "")


async def vote_council(slack: SlackHarness) -> None:
    await setup_council(slack)
    for voter, ranking in {"alice": ["alice", "chen"], "bea": ["chen"], "dana": ["chen", "alice"]}.items():
        view = await slack.open_ballot(voter, "vote council-chair")
        sent = await slack.submit(voter, view, {f"rank_{i}": pick(h) for i, h in enumerate(ranking, 1)})
        assert recorded(sent), sent.text


async def test_election_result_is_followed_by_its_chart_in_the_channel(slack: SlackHarness) -> None:
    await vote_council(slack)
    assert "Elected: Chen Wei" in await slack.reply_text("sec", "election close council-chair")
    posted = await slack.api.wait_for("chat.postMessage", in_council)
    await slack.api.wait_for("files.completeUploadExternal", timeout=30)
    [(channel, title, data)] = slack.api.shared_files()  # IRV decided in one round: one bar chart
    assert (channel, title) == ("C0COUNCIL", "council-chair-tally.png") and data.startswith(PNG)
    asked = slack.api.calls_to("files.getUploadURLExternal")[-1].args
    assert "Chen Wei" in str(asked.get("alt_txt"))  # the alt text names the outcome for screen readers
    # the notice comes first, and once
    names = [c.method for c in slack.api.calls]
    assert names.index("chat.postMessage") < names.index("files.getUploadURLExternal")
    assert len(posted) == 1


async def test_motion_result_is_followed_by_its_chart(slack: SlackHarness) -> None:
    await slack.reply_text(
        "sec", 'body create council "Council" --kind committee --channel <#C0COUNCIL|council>'
    )
    for handle in ("alice", "bea", "chen", "dana"):
        await slack.reply_text("sec", f"body seat council {handle}")
    proposed = await slack.reply_text("alice", 'motion propose council "Adopt the charter" --deadline +7d')
    assert proposed.startswith("Motion M1 is open"), proposed
    for voter in ("alice", "bea", "chen"):
        assert "recorded" in await slack.reply_text(voter, "motion vote 1 yes")
    closed = await slack.reply_text("sec", "motion close 1")
    assert closed.startswith("Motion passed"), closed
    await slack.api.wait_for("files.completeUploadExternal", timeout=30)
    [(channel, title, data)] = slack.api.shared_files()
    assert channel == "C0COUNCIL" and title.startswith("motion-1-") and data.startswith(PNG)


async def test_a_refused_chart_upload_leaves_the_result_delivered_once(
    slack: SlackHarness, caplog: pytest.LogCaptureFixture
) -> None:
    await vote_council(slack)
    slack.api.fail("files.getUploadURLExternal", "ratelimited_forever")
    await slack.reply_text("sec", "election close council-chair")
    row = await slack.outbox("election.result", sent=True)
    await slack.api.wait_for("files.getUploadURLExternal:ratelimited_forever", timeout=30)
    for _ in range(3):
        await slack.runtime.delivery.deliver_due()
    assert len(slack.api.calls_to("chat.postMessage", in_council)) == 1
    assert row.attempts == 1 and slack.api.shared_files() == []
