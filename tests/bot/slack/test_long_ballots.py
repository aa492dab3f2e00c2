"""Long candidate lists in Slack's forms: over 100 candidates, or when static selects would make the form
too big for Slack, each rank is a type-ahead select whose options govbot serves (``block_suggestion``),
the form stays small, and a ballot chosen that way counts; approval over 100 candidates is one type-ahead
multi-select. A form Slack will not open tells the voter why and how to vote, wherever they clicked."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from bot.slack.ballots import VIEW_BUDGET, Standing, suggest, view_bytes
from governance.services import elections, roster
from governance.services.common import Actor
from tests.factories import ANY_METHOD
from tests.fakes.slack_harness import TEAM, USERS, SlackHarness, dm_to, pick, recorded
from tests.fakes.slack_rules import check_options

ORGS = ["acme", "globex", "initech", "univ-lyon", "opendata"]


async def add_candidates(slack: SlackHarness, election: str, count: int, suffix: str = "") -> None:
    """``count`` more people standing in ``election`` (nominations open), ``suffix`` after each name."""
    system = Actor.system("test")
    for i in range(count):
        handle = f"cand{i:03d}"
        name = f"Zed Candidate {i:03d}{suffix}"
        await roster.add_person(slack.ctx, system, handle, name, organisation=ORGS[i % 5])
        await elections.nominate(slack.ctx, await roster.actor_for_handle(slack.ctx, handle), election)


async def suggestion(slack: SlackHarness, user: str, view: dict[str, Any], typed: str) -> list[str]:
    """What the form's select offers after typing ``typed`` (a signed ``block_suggestion``)."""
    sent = await slack.interaction(
        {
            "type": "block_suggestion",
            "user": {"id": USERS[user], "username": user, "team_id": TEAM},
            "container": {"type": "view", "view_id": view["id"]},
            "api_app_id": "A0001",
            "token": "unused",
            "action_id": "pick",
            "block_id": "rank_1",
            "value": typed,
            "team": {"id": TEAM, "domain": "alliance"},
            "view": view,
            "action_ts": f"{time.time():.6f}",
        }
    )
    assert sent.status == 200, sent.text
    assert check_options(sent.json["options"]) is None  # Slack would show them
    return [o["value"] for o in sent.json["options"]]


async def test_over_100_candidates_rank_by_type_ahead_and_the_ballot_counts(slack: SlackHarness) -> None:
    await add_candidates(slack, "board-2027", 120)
    assert "open until" in await slack.reply_text("sec", "election open-voting board-2027 --close +7d")
    view = await slack.open_ballot("alice", "vote board-2027")
    ranks = [b for b in view["blocks"] if b["type"] == "input"]
    assert len(ranks) == 30  # MAX_RANKS; the form says how to rank more by typing
    assert {b["element"]["type"] for b in ranks} == {"external_select"}
    assert "125 candidates" in ranks[0]["element"]["placeholder"]["text"]
    assert len(json.dumps(view)) < 40_000  # no per-rank copy of 125 options
    assert "to rank more" in json.dumps(view["blocks"])

    everyone = await suggestion(slack, "alice", view, "")
    assert len(everyone) == 100  # a select shows at most 100 options
    assert await suggestion(slack, "alice", view, "candidate 10") == [
        f"cand{i:03d}" for i in (10, *range(100, 111))
    ]
    assert await suggestion(slack, "alice", view, "CHEN") == ["chen"]
    assert await suggestion(slack, "alice", view, "nobody by that name") == []

    sent = await slack.submit("alice", view, {"rank_1": pick("cand105"), "rank_2": pick("chen")})
    assert recorded(sent), sent.text
    receipt = await slack.api.wait_for("chat.postMessage", dm_to("alice"))
    assert "cand105 &gt; chen" in receipt[-1].args["text"]
    assert "1 ballot(s) cast" in await slack.reply_text("sec", "election show board-2027")


@pytest.mark.parametrize("slack", [False], indirect=True)
async def test_approval_over_100_candidates_is_one_type_ahead_multi_select(slack: SlackHarness) -> None:
    # a board whose charter lets an admin choose approval voting (the alliance's counts by Meek STV)
    await slack.reply_text("sec", f'body create big "Big board" --kind board --policy {ANY_METHOD}')
    created = await slack.reply_text("sec", "election create big-approval --body big --method approval")
    assert created.startswith("Created"), created
    await slack.reply_text("sec", "election open-nominations big-approval")
    await add_candidates(slack, "big-approval", 101)
    assert "open until" in await slack.reply_text("sec", "election open-voting big-approval --close +7d")
    view = await slack.open_ballot("bea", "vote big-approval")
    inputs = [b for b in view["blocks"] if b["type"] == "input"]
    assert [(b["block_id"], b["element"]["type"]) for b in inputs] == [("approve_0", "multi_external_select")]
    chosen = {
        "pick": {
            "type": "multi_external_select",
            "selected_options": [
                {"text": {"type": "plain_text", "text": h}, "value": h} for h in ("cand000", "cand100")
            ],
        }
    }
    sent = await slack.submit("bea", view, {"approve_0": chosen})
    assert recorded(sent), sent.text
    assert "1 ballot(s) cast" in await slack.reply_text("sec", "election show big-approval")


def test_suggest_matches_every_word_ignoring_case_and_accents() -> None:
    people = [
        Standing("bea", "Béatrice Dubois", None),
        Standing("bob", "Bob Beaumont", None),
        Standing("zoe", "Zoé Martin", None),
    ]
    assert [o["value"] for o in suggest(people, "bea")] == ["bea", "bob"]  # names starting with it first
    assert [o["value"] for o in suggest(people, "ZOE mar")] == ["zoe"]
    assert [o["value"] for o in suggest(people, "")] == ["bea", "bob", "zoe"]
    assert len(suggest(people * 50, "", limit=100)) == 100


@pytest.mark.parametrize("count", [5, 60, 99, 200])
async def test_a_ranked_form_opens_in_slack_and_counts_at_any_size(slack: SlackHarness, count: int) -> None:
    shown = await elections.show(slack.ctx, "board-2027")
    standing = len([c for c, _p in shown.candidates if c.status == "accepted"])
    # names as long as real ones ("First Last, Organisation"): 99 such made a 400 kB form before
    await add_candidates(slack, "board-2027", count - standing, suffix=", Open Research Institute")
    assert "open until" in await slack.reply_text("sec", "election open-voting board-2027 --close +7d")
    view = await slack.open_ballot("alice", "vote board-2027")  # the strict fake took it (else no view)
    assert view_bytes(view) < 250_000
    ranks = [b for b in view["blocks"] if b["type"] == "input"]
    kinds = {b["element"]["type"] for b in ranks}
    assert len(ranks) == min(count, 30)
    if count == 5:
        assert kinds == {"static_select"}
        assert len(ranks[0]["element"]["options"]) == 5
    else:  # 60 names like these in 30 static selects pass the budget: every rank is type-ahead
        assert kinds == {"external_select"}
        assert view_bytes(view) < VIEW_BUDGET / 10
        assert await suggestion(slack, "alice", view, f"candidate {count - 10:03d}") == [
            f"cand{count - 10:03d}"
        ]
    last = f"cand{count - standing - 1:03d}" if count > standing else "emma"
    sent = await slack.submit("alice", view, {"rank_1": pick(last), "rank_2": pick("chen")})
    assert recorded(sent), sent.text
    receipt = await slack.api.wait_for("chat.postMessage", dm_to("alice"))
    assert f"{last} &gt; chen" in receipt[-1].args["text"]
    assert "1 ballot(s) cast" in await slack.reply_text("sec", "election show board-2027")


def refused_once(slack: SlackHarness, error: str) -> None:
    """Slack refused exactly one views.open, with ``error`` (cleared: the test meant it)."""
    assert [(m, e) for m, e, _why in slack.api.refusals] == [("views.open", error)]
    slack.api.refusals.clear()


async def test_a_form_slack_will_not_open_from_the_home_tab_says_why_there(slack: SlackHarness) -> None:
    assert "open until" in await slack.reply_text("sec", "election open-voting board-2027 --close +7d")
    before = await slack.state_counts()
    trigger = slack.api.trigger()
    slack.api.age(trigger, 4)  # govbot was slow: the click's trigger is over 3 s old
    home = {"type": "home", "id": "VHOME", "blocks": []}
    sent = await slack.block_action(
        "alice", "gov_open_ballot", "election:board-2027", view=home, trigger=trigger
    )
    assert sent.status == 200
    published = await slack.api.wait_for("views.publish", lambda c: c.args.get("user_id") == USERS["alice"])
    shown = json.dumps(published[-1].args["view"]["blocks"])
    assert "Slack would not open the ballot form: it took too long to get ready." in shown
    assert "Vote by typing `/gov vote board-2027" in shown
    refused_once(slack, "expired_trigger_id")
    assert await slack.state_counts() == before


async def test_a_form_slack_will_not_open_from_a_dm_button_answers_in_the_conversation(
    slack: SlackHarness,
) -> None:
    assert "open until" in await slack.reply_text("sec", "election open-voting board-2027 --close +7d")
    trigger = slack.api.trigger()
    first = await slack.block_action("bea", "gov_open_ballot", "election:board-2027", trigger=trigger)
    assert first.status == 200
    await slack.api.wait_for("views.open")
    before = len(slack.api.calls_to("response_url"))
    again = await slack.block_action("bea", "gov_open_ballot", "election:board-2027", trigger=trigger)
    assert again.status == 200  # the same trigger twice: Slack refuses the second exchange
    answered = await slack.api.wait_for("response_url", count=before + 1)
    text = answered[-1].args["text"]
    assert "Slack would not open the ballot form" in text and "Try again in a moment." in text
    assert answered[-1].args["response_type"] == "ephemeral"
    refused_once(slack, "exchanged_trigger_id")


async def test_a_form_slack_refuses_from_a_command_is_explained_in_french(slack: SlackHarness) -> None:
    assert "open until" in await slack.reply_text("sec", "election open-voting board-2027 --close +7d")
    slack.api.locales[USERS["dana"]] = "fr-FR"
    slack.api.fail("views.open", "view_too_large")
    before = len(slack.api.calls_to("response_url"))
    sent = await slack.command("dana", "vote board-2027")
    assert sent.status == 200
    answered = await slack.api.wait_for("response_url", count=before + 1)
    text = answered[-1].args["text"]
    assert "Slack n'a pas pu ouvrir le formulaire de vote." in text, text
    assert "/gov vote board-2027" in text


async def test_a_motion_of_4000_characters_is_shown_whole_in_its_form(slack: SlackHarness) -> None:
    words = " ".join(f"clause{i:03d} R&D <!channel>" for i in range(170))[:3999] + "Z"
    assert len(words) == 4000
    proposed = await slack.reply_text(
        "alice", f'motion propose toc "Adopt the long licence" --text "{words}"'
    )
    assert proposed.startswith("Motion M1 is open"), proposed
    view = await slack.open_ballot("bea", "motion vote 1")  # the strict fake took it: no section over 3,000
    texts = [b["text"]["text"] for b in view["blocks"][1:] if b["type"] == "section"]
    assert len(texts) == 2 and all(len(t) <= 3000 for t in texts)
    shown = " ".join(texts)
    assert shown == words.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    assert "<!channel>" not in json.dumps(view)


async def test_an_unlinked_person_clicking_vote_on_their_home_tab_is_told_how_to_get_linked(
    slack: SlackHarness,
) -> None:
    home = {"type": "home", "id": "VHOME", "blocks": []}
    sent = await slack.block_action("U0STRANGER", "gov_open_ballot", "election:board-2027", view=home)
    assert sent.status == 200
    published = await slack.api.wait_for("views.publish", lambda c: c.args.get("user_id") == "U0STRANGER")
    assert "not linked" in json.dumps(published[-1].args["view"]["blocks"])
    assert slack.api.calls_to("views.open") == []
