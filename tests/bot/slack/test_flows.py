"""Whole flows through the real app: an election voted through the modal and its result posted to the
body's channel; the ranked form's validation; a motion voted with buttons; a working-group join approved
from the App Home tab."""

from __future__ import annotations

import json
from typing import Any

from tests.fakes.slack_api import Call
from tests.fakes.slack_harness import USERS, SlackHarness, dm_to, pick, recorded, setup_council


def ticks(*handles: str) -> dict[str, Any]:
    """A checkboxes state with ``handles`` ticked."""
    return {
        "pick": {
            "type": "checkboxes",
            "selected_options": [{"text": {"type": "plain_text", "text": h}, "value": h} for h in handles],
        }
    }


async def test_election_voted_through_modal_then_result_posted_to_channel(slack: SlackHarness) -> None:
    await setup_council(slack)
    votes = {
        "alice": ["alice", "chen"],
        "bea": ["chen", "alice"],
        "chen": ["chen"],
        "dana": ["chen", "alice"],
    }
    for voter, ranking in votes.items():
        view = await slack.open_ballot(voter, "vote council-chair")
        inputs = [b["block_id"] for b in view["blocks"] if b["type"] == "input"]
        assert inputs == ["rank_1", "rank_2"]
        sent = await slack.submit(voter, view, {f"rank_{i}": pick(h) for i, h in enumerate(ranking, 1)})
        assert recorded(sent), sent.text
        receipt = await slack.api.wait_for("chat.postMessage", dm_to(voter))
        assert "Ballot recorded in council-chair: " + " &gt; ".join(ranking) in receipt[-1].args["text"]
    shown = await slack.reply_text("sec", "election show council-chair")
    assert "4 ballot(s) cast" in shown
    assert (await slack.reply_text("sec", "election close council-chair")) == "Closed. Elected: Chen Wei."
    posted = await slack.api.wait_for(
        "chat.postMessage",
        lambda c: c.args.get("channel") == "C0COUNCIL" and "Result of" in c.args.get("text", ""),
    )
    assert len(posted) == 1
    message = posted[0].args
    assert "elected Chen Wei (4 ballots, instant-runoff)" in message["text"]
    assert any("```" in b.get("text", {}).get("text", "") for b in message["blocks"])  # the count's rounds
    result = await slack.outbox("election.result", sent=True)
    assert result.attempts == 1 and result.last_error is None


async def test_ranked_modal_refuses_duplicates_and_gaps_in_place(slack: SlackHarness) -> None:
    await slack.reply_text("sec", "election open-voting board-2027 --close +7d")
    view = await slack.open_ballot("alice", "vote board-2027")
    ranks = [b for b in view["blocks"] if b["type"] == "input"]
    assert len(ranks) == 5 and len(ranks[0]["element"]["options"]) == 5
    assert any(b["type"] == "actions" for b in view["blocks"])  # the statements button
    before = await slack.state_counts()
    dup = await slack.submit("alice", view, {"rank_1": pick("chen"), "rank_2": pick("chen")})
    assert dup.json == {
        "response_action": "errors",
        "errors": {"rank_2": "Already chosen as choice 1: pick each candidate once."},
    }
    gap = await slack.submit("alice", view, {"rank_1": pick("chen"), "rank_3": pick("dana")})
    assert gap.json["response_action"] == "errors" and "Choice 2 is empty" in gap.json["errors"]["rank_2"]
    empty = await slack.submit("alice", view, {})
    assert "first choice" in empty.json["errors"]["rank_1"]
    stranger = await slack.submit("alice", view, {"rank_1": pick("mallory")})
    assert "mallory is not a candidate" in stranger.json["errors"]["rank_1"]
    not_rep = await slack.submit("arjun", view, {"rank_1": pick("chen")})
    assert "voting representative" in not_rep.json["errors"]["rank_1"]
    assert await slack.state_counts() == before
    ok = await slack.submit("alice", view, {"rank_1": pick("chen"), "rank_2": pick("dana")})
    assert recorded(ok), ok.text
    assert "chen &gt; dana" in (await slack.api.wait_for("chat.postMessage", dm_to("alice")))[-1].args["text"]
    home = await slack.api.wait_for("views.publish", lambda c: c.args.get("user_id") == USERS["alice"])
    assert "you have voted" in json.dumps(home[-1].args["view"])  # the Home tab is brought up to date


async def test_candidate_statements_are_readable_from_the_modal(slack: SlackHarness) -> None:
    await slack.reply_text("chen", "election statement board-2027 'Open weights, open governance.'")
    await slack.reply_text("sec", "election open-voting board-2027 --close +7d")
    view = await slack.open_ballot("alice", "vote board-2027")
    await slack.block_action("alice", "gov_statements", "board-2027", view=view)
    pushed = (await slack.api.wait_for("views.push"))[-1].args["view"]
    text = json.dumps(pushed["blocks"])
    assert "Open weights, open governance." in text and "Dana Kowalski" in text


async def test_approval_ballot_uses_checkboxes(slack: SlackHarness) -> None:
    await setup_council(slack, method="approval")
    view = await slack.open_ballot("bea", "vote council-chair")
    boxes = [b for b in view["blocks"] if b["type"] == "input"]
    assert [b["element"]["type"] for b in boxes] == ["checkboxes"]
    sent = await slack.submit("bea", view, {"approve_0": ticks("alice", "chen")})
    assert recorded(sent), sent.text
    dm = (await slack.api.wait_for("chat.postMessage", dm_to("bea")))[-1].args["text"]
    assert "alice &gt; chen" not in dm
    assert "1 ballot(s) cast" in await slack.reply_text("sec", "election show council-chair")


async def test_vote_on_a_closed_election_is_refused_privately(slack: SlackHarness) -> None:
    body = await slack.reply("alice", "vote board-2027")
    assert "not open for voting" in body["text"]
    assert not slack.api.calls_to("views.open")


async def test_motion_voted_with_buttons(slack: SlackHarness) -> None:
    proposed = await slack.reply_text("alice", 'motion propose toc "Adopt the model licence" --deadline +7d')
    assert proposed.startswith("Motion M1 is open")
    for voter, choice in (("bea", "yes"), ("chen", "no"), ("dana", "yes")):
        view = await slack.open_ballot(voter, "motion vote 1")
        buttons = [e["action_id"] for b in view["blocks"] if b["type"] == "actions" for e in b["elements"]]
        assert buttons == ["gov_motion_vote_yes", "gov_motion_vote_no", "gov_motion_vote_abstain"]
        sent = await slack.block_action(
            voter, f"gov_motion_vote_{choice}", "1", view=view, block_id="motion_vote"
        )
        assert sent.status == 200
        update = await slack.api.wait_for("views.update", lambda c, v=view: c.args.get("view_id") == v["id"])
        assert f"recorded: {choice}" in json.dumps(update[-1].args["view"])
        await slack.api.wait_for("chat.postMessage", dm_to(voter))
    again = await slack.block_action(
        "bea", "gov_motion_vote_no", "1", view={"id": "V0AGAIN", "type": "modal"}
    )
    assert again.status == 200
    await slack.api.wait_for("views.update", lambda c: c.args.get("view_id") == "V0AGAIN")
    assert "changed to no" in json.dumps(slack.api.calls_to("views.update")[-1].args["view"])
    shown = await slack.reply_text("sec", "motion show 1")
    assert "3 voted" in shown
    closed = await slack.reply_text("sec", "motion close 1")
    assert closed.startswith("Motion did not pass") or closed.startswith("Motion passed")
    refused = await slack.block_action(
        "dana", "gov_motion_vote_yes", "1", view={"id": "V0LATE", "type": "modal"}
    )
    assert refused.status == 200
    await slack.api.wait_for("views.update", lambda c: c.args.get("view_id") == "V0LATE")
    assert "no longer taken" in json.dumps(slack.api.calls_to("views.update")[-1].args["view"])


async def test_wg_join_approved_from_the_app_home(slack: SlackHarness) -> None:
    waiting = await slack.reply_text("bea", "wg join safety")
    assert "waiting for a chair's approval" in waiting
    dm = await slack.api.wait_for(
        "chat.postMessage",
        lambda c: (
            c.args.get("channel") == "D0DANA" and "asks to join AI Safety Working Group" in c.args["text"]
        ),
    )
    assert len(dm) == 1
    opened = await slack.api.wait_for("conversations.open", lambda c: c.args.get("users") == "U0DANA")
    assert opened
    await slack.event(
        {
            "type": "app_home_opened",
            "user": "U0DANA",
            "channel": "D0DANA",
            "tab": "home",
            "event_ts": "1700000000.000001",
        }
    )
    home = (await slack.api.wait_for("views.publish", lambda c: c.args.get("user_id") == "U0DANA"))[-1]
    approve = [
        e
        for b in home.args["view"]["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] == "gov_wg_approve"
    ]
    assert len(approve) == 1
    home_view = {**home.args["view"], "id": "V0HOME"}
    sent = await slack.block_action("dana", "gov_wg_approve", approve[0]["value"], view=home_view)
    assert sent.status == 200
    await slack.api.wait_for(
        "views.publish", lambda c: "@bea is now a member of safety" in json.dumps(c.args.get("view"))
    )
    told = await slack.api.wait_for(
        "chat.postMessage",
        lambda c: c.args.get("channel") == "D0BEA" and "approved your request to join" in c.args["text"],
    )
    assert len(told) == 1
    members = await slack.reply("dana", "wg members safety")
    assert "2 member(s)" in members["text"] and "Béatrice Dubois" in json.dumps(
        members["blocks"], ensure_ascii=False
    )


async def test_app_home_lists_open_ballots_with_a_vote_button(slack: SlackHarness) -> None:
    await slack.reply_text("sec", "election open-voting board-2027 --close +7d")
    await slack.event(
        {
            "type": "app_home_opened",
            "user": USERS["alice"],
            "channel": "D0ALICE",
            "tab": "home",
            "event_ts": "1700000000.000002",
        }
    )
    home = (await slack.api.wait_for("views.publish"))[-1].args["view"]
    assert home["type"] == "home"
    buttons = [b["accessory"] for b in home["blocks"] if "accessory" in b]
    assert buttons[0]["value"] == "election:board-2027"
    assert "not voted yet" in json.dumps(home["blocks"])
    await slack.block_action("alice", "gov_open_ballot", "election:board-2027", view={**home, "id": "V0H"})
    opened = await slack.api.wait_for("views.open")
    assert opened[-1].args["view"]["callback_id"] == "gov_ballot"
    # arjun is not his organisation's voting representative: the board ballot is not his to cast
    await slack.event(
        {
            "type": "app_home_opened",
            "user": USERS["arjun"],
            "channel": "D0ARJUN",
            "tab": "home",
            "event_ts": "1700000000.000004",
        }
    )
    his = (await slack.api.wait_for("views.publish", lambda c: c.args.get("user_id") == USERS["arjun"]))[-1]
    assert "board-2027" not in json.dumps(his.args["view"]) and "Nothing to vote on" in json.dumps(his.args)


async def test_unlinked_user_home_explains_linking(slack: SlackHarness) -> None:
    await slack.event(
        {
            "type": "app_home_opened",
            "user": "U0NOBODY",
            "channel": "D0X",
            "tab": "home",
            "event_ts": "1700000000.000003",
        }
    )
    home: Call = (await slack.api.wait_for("views.publish"))[-1]
    assert "slack T0001 U0NOBODY" in json.dumps(home.args["view"])


async def home_of(slack: SlackHarness, handle: str, n: int) -> str:
    """The Home tab Slack would show ``handle`` now, as JSON text."""
    await slack.event(
        {
            "type": "app_home_opened",
            "user": USERS[handle],
            "channel": f"D0{handle.upper()}",
            "tab": "home",
            "event_ts": f"1700000100.{n:06d}",
        }
    )
    calls = await slack.api.wait_for("views.publish", lambda c: c.args.get("user_id") == USERS[handle])
    return json.dumps(calls[-1].args["view"], ensure_ascii=False)


async def test_app_home_shows_what_the_dashboard_holds(slack: SlackHarness) -> None:
    """Motions to vote on (for the body's members only), a nomination waiting for an answer and the next
    meeting of one's working group, all from the same use case as `todo`."""
    proposed = await slack.reply_text("alice", 'motion propose toc "Adopt the style guide"')
    assert "M1" in proposed
    await slack.reply_text("alice", "election nominate board-2027 bea")
    await slack.reply_text("dana", 'wg schedule safety "weekly mon" 09:00 Europe/Paris')
    chen = await home_of(slack, "chen", 1)
    assert "M1: Adopt the style guide" in chen and "motion:1" in chen
    arjun = await home_of(slack, "arjun", 2)
    assert "motion:1" not in arjun and "Nothing to vote on right now." in arjun
    bea = await home_of(slack, "bea", 3)
    assert "Nominations waiting for your answer" in bea and "/gov election accept board-2027" in bea
    assert "Nominations waiting" not in chen  # chen nominated himself: accepted already
    dana = await home_of(slack, "dana", 4)
    assert "Next meeting of *AI Safety Working Group*" in dana
    todo = await slack.reply("bea", "todo")
    shown = json.dumps(todo, ensure_ascii=False)
    assert todo["text"].startswith("2 things await you") and "M1: Adopt the style guide" in shown
    assert "election accept|decline board-2027" in shown
