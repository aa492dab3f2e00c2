"""Notices and suggestions as data, written by ``bot/present``: every kind renders in English and French,
the registry refuses a notice that does not match its kind, commands come out in each platform's syntax,
and a row queued by an older version (a finished sentence) is still delivered."""

from __future__ import annotations

import json
import re
import string
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.present import errors as present_errors
from bot.present.notices import VOTE, Action, ResultRef, kinds, render, render_pending
from bot.present.syntax import command
from governance import i18n, notices
from governance.errors import Conflict, NotFound, suggest
from governance.models import OutboxMessage
from governance.notices import KINDS, NoticeError
from governance.services import bodies, motions
from governance.services.common import Context
from governance.tally import count_motion
from tests.factories import outbox_rows, small_roster

ROOT = Path(__file__).resolve().parents[3]
AT = datetime(2026, 3, 2, 17, 0, tzinfo=UTC)
BEFORE = AT - timedelta(days=2)
ELECTION = {"election": "board-2027", "title": "Board 2027"}
MOTION = {"motion": 12, "title": "Adopt the charter"}
BODY = {"body": "safety", "body_name": "Safety WG"}
SERIES = {
    "series": 4,
    "title": "Safety sync",
    "rrule": "FREQ=WEEKLY;BYDAY=TU",
    "time": "16:30",
    "zone": "Europe/Paris",
    "minutes": 45,
    "first": "2026-03-03T16:30",
}
RESULT = count_motion(3, 1, seated=5).to_json()

SAMPLES: dict[str, dict[str, object]] = {
    "audit.checkpoint": {"checkpoint": 7, "subject": "motion:12", "hash": "ab" * 32, "key_id": "k1"},
    "body.orphaned": {**BODY, "person_name": "Ada Acme", "election": None},
    "candidate.nominated": {**ELECTION, "actor_name": "Sam Secretariat"},
    "election.certified": {**ELECTION, "body_name": "Board", "empty": 2},
    "election.exception_decided": {**ELECTION, "granted": True, "reason": "joined late"},
    "election.exception_requested": {**ELECTION, "person": "zoe", "person_name": "Zoe Z", "reason": "new"},
    "election.nominations_closed": {**ELECTION, "standing": ["Chen Wei", "Dana D"], "opens": AT},
    "election.nominations_opened": {**ELECTION, "seats": 3, "closes": AT},
    "election.proxy": {**ELECTION, "delegator": "gil", "delegator_name": "Gil Globex"},
    "election.proxy_voted": {"election": "board-2027", "proxy_name": "Bea B"},
    "election.reminder": {**ELECTION, "closes": AT, "as_of": BEFORE},
    "election.result": {**ELECTION, "elected": ["Chen Wei"], "ballots": 14, "method": "meek", "option": None},
    "election.seats_changed": {**ELECTION, "seats": 2, "before": 3, "body_name": "Board", "close": AT},
    "election.timeline_changed": {**ELECTION, "changes": {"voting_close_at": AT.isoformat()}},
    "election.voting_opened": {**ELECTION, "closes": AT},
    "meeting.cancelled": {"series": 4, "title": "Safety sync", "body_name": "Safety WG"},
    "meeting.reminder": {
        "series": 4,
        "title": "Safety sync",
        "start": AT,
        "zone": "Europe/Paris",
        "as_of": BEFORE,
    },
    "meeting.rescheduled": SERIES,
    "meeting.scheduled": {"body": "safety", **SERIES},
    "membership.approved": {**BODY, "actor_name": "Alice Martin", "reason": None},
    "membership.declined": {**BODY, "actor_name": "Alice Martin", "reason": "Full for now."},
    "membership.removed": {**BODY, "reason": None},
    "membership.requested": {**BODY, "person": "bea", "person_name": "Béatrice Dubois"},
    "membership.seated": {**BODY, "role": "chair"},
    "membership.state": {**BODY, "state": "emeritus", "reason": None, "inactive": False},
    "membership.term_ended": {
        **BODY,
        "election": "sc-2027",
        "title": "SC 2027",
        "ends": AT,
        "emeritus": True,
    },
    "motion.deadline_changed": {**MOTION, "deadline": AT},
    "motion.proposed": {
        **MOTION,
        "body_name": "TOC",
        "deadline": AT,
        "lazy_consensus": False,
        "secret": True,
    },
    "motion.proxy": {**MOTION, "delegator": "gil", "delegator_name": "Gil Globex"},
    "motion.reminder": {**MOTION, "body_name": "TOC", "deadline": AT, "as_of": BEFORE},
    "motion.result": {**MOTION, "outcome": "passed", "settled": False, "result": RESULT},
    "schedule.refused": {
        "task": "election.close",
        "key": "election:3:close",
        "reason": i18n.gettext("No election {slug!r}.", slug="x"),
        "hint": None,
    },
    "term.expiring": {**BODY, "ends": AT, "as_of": BEFORE, "person": None, "person_name": None},
    "wg.review": {**BODY, "count": 21, "days": 30, "names": ["bob", "cy"]},
}


def stored(kind: str) -> dict[str, object]:
    """The sample's parameters as ``notify`` stores them (JSON and back)."""
    return json.loads(json.dumps(notices.encode(kind, SAMPLES[kind])))


def test_every_kind_is_described_once_and_rendered() -> None:
    assert kinds() == set(KINDS) == set(SAMPLES)


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_each_kind_reads_in_english_and_in_french(kind: str) -> None:
    english = render(kind, stored(kind), locale="en", platform="console")
    french = render(kind, stored(kind), locale="fr", platform="console")
    for text in (english.text, french.text):
        assert text and not [f for _, f, _, _ in string.Formatter().parse(text) if f], text  # all filled
    assert english.text != french.text, english.text
    assert english.actions == french.actions and english.result == french.result


def test_wordings_and_actions_of_the_notices_that_open_a_ballot() -> None:
    opened = render("election.voting_opened", stored("election.voting_opened"), locale="en", platform="slack")
    assert opened.text == (
        "Voting is open in Board 2027 until 2026-03-02 17:00 UTC: "
        "`/gov vote board-2027 <first> <second> ...`."
    )
    ballot = ("vote", "board-2027", "<first>", "<second>", "...")
    assert opened.action(VOTE) == Action(VOTE, "election:board-2027", ballot)
    reminder = render("motion.reminder", stored("motion.reminder"), locale="fr", platform="discord")
    assert reminder.text == (
        "Rappel : le vote sur la motion M12 (Adopt the charter) soumise à TOC se clôt le "
        "2026-03-02 17:00 UTC (dans 2 jours) et vous n'avez pas encore voté : "
        "`/motion vote 12 yes|no|abstain`."
    )
    assert [a.target for a in reminder.actions if a.name == VOTE] == ["motion:12"]
    paris = render("election.reminder", stored("election.reminder"), locale="en", platform="console",
                   tz=ZoneInfo("Europe/Paris"))  # fmt: skip
    assert "closes 2026-03-02 18:00 CET (in 2 days)" in paris.text
    result = render("motion.result", stored("motion.result"), locale="fr", platform="console")
    assert result.result == ResultRef("motion", "12") and result.actions == ()
    assert result.text.startswith("Motion M12 (Adopt the charter) adoptée : ")
    assert RESULT["reason"] not in result.text  # the stored reason is told in French too
    english = render("motion.result", stored("motion.result"), locale="en", platform="console")
    assert english.text == f"Motion M12 (Adopt the charter) passed: {RESULT['reason']}"


def test_a_notice_that_does_not_match_its_kind_is_refused_when_queued() -> None:
    good = dict(SAMPLES["membership.seated"])
    with pytest.raises(NoticeError, match="unknown notice kind 'test'"):
        notices.encode("test", {})
    with pytest.raises(NoticeError, match=r"missing parameters \['role'\]"):
        notices.encode("membership.seated", {k: v for k, v in good.items() if k != "role"})
    with pytest.raises(NoticeError, match=r"unexpected \['text'\]"):
        notices.encode("membership.seated", {**good, "text": "You are now chair."})
    with pytest.raises(NoticeError, match="'ends' must be datetime"):
        notices.encode("membership.term_ended", {**SAMPLES["membership.term_ended"], "ends": "2026-03-02"})
    with pytest.raises(NoticeError, match="'reason' may not be None"):
        notices.encode(
            "election.exception_decided", {**SAMPLES["election.exception_decided"], "reason": None}
        )


async def test_a_notice_stored_by_a_service_holds_ids_and_no_prose(ctx: Context) -> None:
    who = await small_roster(ctx)
    await bodies.create_body(ctx, who["sec"], "safety", "AI Safety WG", "wg", chairs=["alice"])
    motion = await motions.propose(ctx, who["alice"], "safety", "Adopt the guide")
    await motions.vote(ctx, who["alice"], motion.id or 0, "yes")
    await motions.close(ctx, who["sec"], motion.id or 0)
    rows = {m.kind: m for m in await outbox_rows(ctx)}
    assert {"motion.proposed", "motion.result"} <= set(rows)
    for row in rows.values():
        assert row.text is None
        assert set(json.loads(row.payload)) == set(KINDS[row.kind].params)
    assert json.loads(rows["motion.result"].payload)["motion"] == motion.id  # charts are found by id
    assert json.loads(rows["motion.proposed"].payload)["motion"] == motion.id


def test_a_row_queued_by_an_older_version_is_still_delivered() -> None:
    english = "Your term on Safety WG ends 2026-03-02 (2 days from now). Ask the secretariat about it."
    with i18n.using_locale("en"):
        source = i18n.stored(i18n.gettext("You were removed from {body}.", body="Safety WG"))
    old = OutboxMessage(
        created_at=AT, kind="membership.removed", person_id=1, text="You were removed from Safety WG.",
        payload=json.dumps({"i18n": source}),
    )  # fmt: skip
    assert render_pending(old, locale="fr", platform="slack").text == "Vous avez été retiré de Safety WG."
    plain = OutboxMessage(created_at=AT, kind="term.expiring", person_id=1, text=english, payload="{}")
    assert render_pending(plain, locale="fr", platform="slack").text == english  # as queued
    voting = OutboxMessage(
        created_at=AT, kind="election.voting_opened", body_id=1, text="Voting is open in Board.",
        payload='{"election": "board-2027"}',
    )  # fmt: skip
    shown = render_pending(voting, locale="en", platform="discord")
    assert shown.text == "Voting is open in Board." and shown.action(VOTE) == Action(
        VOTE, "election:board-2027"
    )


def test_commands_are_written_in_each_platforms_syntax() -> None:
    words = ("body", "seat", "tsc", "<handle>", "--role", "chair")
    assert command(words, "console") == "`body seat tsc <handle> --role chair`"
    assert command(words, "slack") == "`/gov body seat tsc <handle> --role chair`"
    assert command(words, "discord") == "`/body seat tsc <handle> --role chair`"
    refused = Conflict("You are the last chair.", suggest=suggest("hand_over", words, rule="last-chair"))
    assert present_errors.hint(refused, "slack", "en") == (
        "Hand over first: seat a successor with `/gov body seat tsc <handle> --role chair` (the secretariat "
        "may), then try again (rule 'last-chair')."
    )
    missing = NotFound(
        "No body 'x'.", "Check the spelling.", suggest=suggest("see_bodies", "body list", "wg list")
    )
    assert present_errors.hint(missing, "discord", "fr") == (
        "Check the spelling. Consultez `/body list` (ou `/wg list`)."
    )
    assert (
        present_errors.hint(missing, "teams", "en") == "Check the spelling. See `body list` (or `wg list`)."
    )
    assert str(missing) == "No body 'x'. Check the spelling. [body list; wg list]"
    assert present_errors.hint(NotFound("No body 'x'."), "slack") is None


def test_every_suggestion_a_service_makes_has_its_sentence() -> None:
    used = set()
    for path in (ROOT / "governance").rglob("*.py"):
        used |= set(re.findall(r'suggest\(\s*"(\w+)"', path.read_text(encoding="utf-8")))
    assert used and used <= set(present_errors.SENTENCES), used - set(present_errors.SENTENCES)


def test_no_command_syntax_is_left_in_a_notice_or_hint_of_the_services() -> None:
    """Commands in backticks are the presentation's: none remains in a message of ``governance/services``."""
    offenders = []
    for path in (ROOT / "governance" / "services").rglob("*.py"):
        for line in path.read_text(encoding="utf-8").splitlines():
            if re.search(r'^\s*(_\(|N_\(|ngettext\()?\s*"[^"]*`[a-z]', line):
                offenders.append(f"{path.name}: {line.strip()}")
    assert offenders == []
