"""The command grammar: every registered command answers, on success and on failure, on both backends.

Two tables drive most of this file: ``SCENARIO`` walks the sample alliance through every command that
succeeds, and ``FAILURES`` gives each command at least one way to fail, with the words the reply must
say. A command added to the grammar without a line in both tables fails ``test_every_command_is_tested``.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot import commands
from bot.commands import REGISTRY, dispatch, find, parse_when, tokenize
from governance import signing
from governance.clock import ManualClock
from governance.errors import InvalidInput
from governance.services import elections, roster
from governance.services.common import Context
from tests.factories import snapshot
from tests.fakes.console import Say

INTERNAL = "Something went wrong on our side"

# (who, command line, words the reply must contain), in order: each builds on the ones before.
SCENARIO: list[tuple[str, str, str]] = [
    ("sec", "help", "Commands"),
    ("sec", "help election create", "election create <slug> [--body <body>]"),
    ("sec", "whoami", "You are Sam Secretariat (@sec), admin"),
    ("sec", "roster orgs", "5 organisation(s)"),
    ("sec", 'roster org add newco "New Co" --tier general', "Added New Co (newco, general)"),
    ("sec", "roster org set newco --active no", "inactive"),
    ("sec", "roster org set newco --active yes --name 'NewCo Labs'", "Updated NewCo Labs"),
    ("sec", "roster people", "9 people"),
    (
        "sec",
        'roster person add zoe "Zoe Adams" --org newco --email zoe@example.org',
        "Added Zoe Adams (@zoe)",
    ),
    ("sec", 'roster person set zoe --name "Zoë Adams"', "Updated Zoë Adams (@zoe)"),
    ("sec", "roster rep newco zoe", "@zoe now casts newco's vote"),
    ("sec", "roster link zoe slack T0123 U0456", "Linked that slack account to @zoe"),
    ("sec", "roster unlink zoe slack T0123 U0456", "Unlinked that slack account from @zoe"),
    ("sec", "roster link zoe slack T0123 U0456", "Linked that slack account to @zoe"),
    ("sec", "roster roles discord G1", "No discord roles are mapped in G1"),
    (
        "sec",
        "roster role discord G1 R1 admin --name Secretariat",
        "role Secretariat (R1) in G1 now means govbot admin",
    ),
    ("sec", "roster role discord G1 R2 chair --name 'WG chairs'", "now means govbot chair"),
    ("sec", "roster roles discord G1", "Secretariat  R1  admin"),
    ("sec", "roster role discord G1 R2 none", "Removed the mapping of discord role WG chairs (R2) in G1"),
    ("sec", "roster import {csv}", "1 people added"),
    ("sec", "body list", "3 bodies"),
    (
        "sec",
        'body create tc "Tooling Committee" --kind committee',
        "Created Tooling Committee (tc, committee)",
    ),
    ("sec", "body seat tc zoe", "@zoe is now member of tc"),
    ("sec", "body show tc", "Tooling Committee: 1 member(s)"),
    ("sec", "body state tc zoe emeritus --reason 'On leave'", "@zoe is now emeritus in tc"),
    ("sec", "body state tc zoe active", "@zoe is now active in tc"),
    ("sec", "body seat tc zoe --role chair", "@zoe is now chair of tc"),  # a last chair could not go emeritus
    ("sec", "policy tc", "Tooling Committee is governed by policy alliance"),
    ("sec", "wg list", "1 working group(s)"),
    ("sec", 'wg create docs "Docs WG" --chair zoe --charter https://example.org/docs', "chaired by @zoe"),
    ("yuki", "wg join docs", "waiting for a chair's approval"),
    ("alice", "wg join docs", "waiting for a chair's approval"),
    ("bea", "wg join docs", "waiting for a chair's approval"),
    ("zoe", "wg pending docs", "3 pending request(s) to join Docs WG"),
    ("zoe", "wg approve docs yuki", "@yuki is now a member of docs"),
    ("zoe", 'wg deny docs alice --reason "not this year"', "Declined @alice's request to join docs"),
    ("zoe", "wg approve docs bea", "@bea is now a member of docs"),
    ("zoe", "wg remove docs bea --reason inactive", "Removed @bea from docs"),
    ("zoe", "wg members docs", "Docs WG: 2 member(s)"),
    ("yuki", "wg leave docs", "You left docs"),
    ("sec", "election list", "1 election(s)"),
    (
        "sec",
        'election create tc-chair --body tc --seats 1 --method irv --title "TC chair"',
        "Created TC chair",
    ),
    ("sec", "election open-nominations tc-chair --close +3d", "Nominations for TC chair are open until"),
    ("alice", "election nominate board-2027 bea", "Nominated @bea in board-2027; they must accept"),
    ("bea", 'election accept board-2027 --statement "Open weights."', "You are standing in board-2027"),
    ("bea", 'election statement board-2027 "Open models, open governance."', "Statement saved"),
    ("alice", "election nominate board-2027 carlos", "they must accept"),
    ("carlos", "election decline board-2027", "You declined the nomination in board-2027"),
    ("alice", "election nominate board-2027", "@alice is standing in board-2027"),
    ("alice", "election withdraw board-2027", "Candidacy withdrawn"),
    ("sec", "election show board-2027", "phase nominating"),
    ("sec", "election monitor add board-2027 zoe {monitor_key}", "zoe now monitors board-2027"),
    ("zoe", "election monitor status board-2027", "voter(s) so far"),
    ("sec", "election open-voting board-2027 --close +7d", "Voting in Board of Directors 2027 is open until"),
    ("alice", "election voters board-2027", "people may vote"),
    ("yuki", 'election exception board-2027 --reason "Acme asked me to vote"', "is recorded"),
    ("sec", 'election exception-deny board-2027 yuki --reason "Acme votes through alice"', "is denied"),
    ("farid", 'election exception board-2027 --reason "Globex shares its vote"', "is recorded"),
    ("sec", 'election exception-grant board-2027 farid --reason "agreed by the board"', "may vote"),
    ("bea", "todo", "1 thing awaits you"),  # the board ballot, open and not cast yet
    ("alice", "vote board-2027 chen arjun dana", "Ballot recorded in board-2027: chen > arjun > dana"),
    ("alice", "/gov vote board-2027 chen dana", "Ballot replaced your earlier ballot"),
    ("bea", "vote board-2027 bea farid", "Ballot recorded"),
    ("carlos", "vote board-2027 chen dana", "Ballot recorded"),
    ("dana", "vote board-2027 dana emma", "Ballot recorded"),
    ("emma", "vote board-2027 emma dana arjun", "Ballot recorded"),
    ("sec", "election close board-2027", "Closed. Elected:"),
    ("sec", "election result board-2027", "Elected:"),
    ("zoe", "election monitor checkpoint board-2027", "[attached: checkpoint-board-2027.json"),
    ("zoe", "election monitor cosign board-2027 {signature}", "Co-signature recorded"),
    ("sec", "election certify board-2027", "is certified"),
    (
        "alice",
        'motion propose toc "Adopt the model licence" --text "As drafted." --deadline +7d',
        "Motion M1",
    ),
    ("sec", "motion list", "1 motion(s)"),
    ("bea", "motion vote 1 yes", "Your vote on M1 recorded: yes"),
    ("chen", "motion proxy 1 bea", "Proxy named on M1: @bea may vote for you"),
    ("chen", "motion vote M1 no", "recorded: no"),
    ("bea", "motion vote 1 no", "Your vote on M1 changed to no"),
    ("sec", "motion show 1", "M1 Adopt the model licence"),
    ("sec", "motion close 1", "Motion"),
    ("alice", 'motion propose toc "Rename the committee"', "Motion M2"),
    ("alice", "motion withdraw 2", "Motion M2 withdrawn"),
    ("sec", "audit verify election:board-2027", "OK:"),
    ("sec", "audit verify roster", "OK:"),
    ("sec", "audit verify all", "every anchored head in place"),
    ("sec", "audit export board-2027", "[attached: govbot-audit-election-board-2027.zip"),
    ("sec", "audit export M1 --format csv", "Audit export of motion:1 (csv)"),
    ("bea", "receipt board-2027 {receipt}", "It is in the published ballot list of board-2027"),
    # scheduling
    ("sec", "schedule show election:board-2027", "scheduled item(s) for election:board-2027"),
    ("sec", "election create e3 --body tc --seats 1", "e3"),
    ("sec", "election timeline e3 --nominations-open +1d --voting-close +20d", "New dates for e3"),
    ("alice", 'motion propose toc "Move me"', "Motion M3"),
    ("sec", "motion deadline 3 +10d", "M3 now closes"),
    ("sec", 'wg schedule safety "weekly mon" 09:00 Europe/Paris', "every Monday at 09:00 Europe/Paris"),
    ("sec", "wg meetings safety", "1 meeting series"),
    ("sec", 'wg reschedule safety 1 "weekly thu" 11:00 Europe/Paris', "every Thursday at 11:00"),
    ("sec", "wg unschedule safety 1", "Cancelled"),
    ("yuki", "wg join docs", "waiting for a chair's approval"),
    ("zoe", "wg approve docs yuki", "@yuki is now a member of docs"),
    ("zoe", "wg review docs --days 0", "1 member(s) of Docs WG inactive for 0 days"),
    (
        "zoe",
        "wg review-confirm docs yuki --days 0",
        "Now emeritus for inactivity (kept on the list, without a vote): yuki",
    ),
    ("zoe", "wg members docs", "Yuki Tanaka (emeritus since "),
    # election proxies (asf: proxies allowed)
    ("sec", 'body create members "Members meeting" --kind committee --policy asf', "Created Members meeting"),
    ("sec", "election create m1 --body members --seats 1", "m1"),
    ("sec", "election open-nominations m1", "Nominations for"),
    ("chen", "election nominate m1", "@chen is standing in m1"),
    ("sec", "election open-voting m1 --close +7d", "is open until"),  # asf: at least 7 days
    ("emma", "election proxy m1 farid", "Proxy named in m1: @farid may cast your ballot"),
    ("farid", "vote m1 chen --proxy-for emma", "Ballot cast for @emma in m1 as their proxy: chen"),
    ("emma", "vote m1 chen", "Ballot replaced your earlier ballot in m1"),
]

# Run before the failure cases: a pending join request, a second election in voting, an open motion.
# Run on the sample alliance without its board election: board-2027 here fills 2 of the board's 3 staggered
# seats, so that e2 can fill the third.
FAILURE_SETUP: list[tuple[str, str]] = [
    ("sec", "election create board-2027 --body board --seats 2"),
    ("sec", "election open-nominations board-2027"),
    ("chen", "election nominate board-2027"),
    ("dana", "election nominate board-2027"),
    ("alice", "wg join safety"),
    ("sec", "election create e2 --body board --seats 1"),
    ("sec", "election open-nominations e2"),
    ("chen", "election nominate e2"),
    ("dana", "election nominate e2"),
    ("sec", "election open-voting e2 --close +7d"),
    ("alice", 'motion propose toc "Setup motion"'),
    ("sec", "roster link alice slack T0123 U0456"),
]

# (who, command line, words the failure reply must contain). Each must fail, say so, and write nothing.
FAILURES: list[tuple[str, str, str]] = [
    # the grammar itself
    ("sec", "frobnicate", "Unknown command 'frobnicate'"),
    ("sec", "election frobnicate", "`election frobnicate` is not a command"),
    ("sec", "roster", "is not a command"),
    ("sec", "election show board-2027 --colour red", "has no option --colour"),
    ("sec", "election create x --body", "--body needs a value"),
    ("sec", 'election show "board-2027', "Could not read the command"),
    ("sec", "election show", "Missing <election>"),
    ("sec", "election show board-2027 extra", "Unexpected 'extra'"),
    ("sec", "help nonsense", "No help for 'nonsense'"),
    ("sec", "whoami please", "Unexpected 'please'"),
    ("sec", "todo now", "Unexpected 'now'"),
    # roster
    ("sec", "roster orgs --tier x", "has no option --tier"),
    ("alice", 'roster org add newco "New Co"', "secretariat"),
    ("sec", 'roster org add acme "Acme Again"', "acme"),
    ("sec", "roster org add", "Missing <slug>"),
    ("sec", "roster org set nowhere --name X", "No organisation 'nowhere'"),
    ("sec", "roster org set acme --active maybe", "--active takes yes or no"),
    ("sec", "roster people --org nowhere", "No organisation 'nowhere'"),
    ("bea", "roster person add zed Zed", "secretariat"),
    ("sec", "roster person add 'Bad Handle!' Zed", "Bad Handle!"),
    ("sec", "roster person set ghost --name X", "No person with handle 'ghost'"),
    ("sec", "roster person set bob --admin perhaps", "--admin takes yes or no"),
    ("sec", "roster rep acme ghost", "No person with handle 'ghost'"),
    ("alice", "roster rep acme arjun", "secretariat"),
    ("sec", "roster link alice myspace T1 U1", "Unknown platform 'myspace'"),
    ("sec", "roster import /nonexistent/members.csv", "No file"),
    ("sec", "roster unlink alice slack T9 U9", "not linked to anyone"),
    ("sec", "roster unlink ghost slack T9 U9", "No person with handle 'ghost'"),
    ("sec", "roster unlink bea slack T0123 U0456", "linked to @alice, not @bea"),
    ("alice", "roster unlink alice slack T0123 U0456", "secretariat"),
    ("alice", "roster role discord G1 R1 admin", "secretariat"),
    ("sec", "roster role discord G1 R1 boss", "Unknown govbot role 'boss'"),
    ("sec", "roster role slack T1 S1 admin", "cannot be mapped"),
    ("sec", "roster role discord G1 R9 chair", "no role mapped to admin yet"),
    ("sec", "roster role discord G1 R9 none", "not mapped"),
    ("sec", "roster roles discord", "Missing <workspace>"),
    ("sec", "roster import /", "No file"),
    ("sec", "roster import " + "x" * 300, "No file"),
    ("sec", "roster import {binary}", "is not a UTF-8 text file"),
    ("sec", "roster person add zed Zed --admin=no", "--admin takes no value"),
    ("sec", "roster org add x X --tier general --tier premier", "--tier is given twice"),
    ("sec", "election create x --body --seats 3", "--body needs a value"),
    ("sec", "roster import {bad_csv}", "line 3"),
    # bodies and working groups
    ("sec", "body list extra", "Unexpected 'extra'"),
    ("sec", 'body create x "X"', "Say which kind of body"),
    ("alice", 'body create x "X" --kind committee', "secretariat"),
    ("sec", "body show nowhere", "No body or working group 'nowhere'"),
    ("sec", "body seat toc alice --role king", "Unknown role 'king'"),
    ("sec", "body seat toc ghost", "No person with handle 'ghost'"),
    ("sec", "wg list --x", "has no option --x"),
    ("sec", 'wg create docs "Docs"', "at least one chair"),
    ("alice", 'wg create docs "Docs" --chair alice', "secretariat"),
    ("alice", "wg join nowhere", "No body or working group 'nowhere'"),
    ("bea", "wg approve safety alice", "chair"),
    ("dana", "wg approve safety ghost", "No person with handle 'ghost'"),
    ("bea", "wg deny safety alice", "chair"),
    ("bea", "wg leave safety", "not a member of AI Safety Working Group"),
    ("bea", "wg remove safety dana", "chair"),
    ("sec", "wg members nowhere", "No body or working group 'nowhere'"),
    ("bea", "wg pending safety", "chair"),
    ("alice", "body state toc bea suspended", "Only the secretariat (an admin) may set member states"),
    ("sec", "body state toc bea retired", "Unknown member state 'retired'"),
    ("sec", "body state toc arjun suspended", "Arjun Rao is not a member of Technical Oversight Committee"),
    ("sec", "policy nowhere", "No body or working group 'nowhere'"),
    # elections
    ("sec", "election list --body nowhere", "No body or working group 'nowhere'"),
    ("sec", "election create x --body board --seats three", "--seats takes a whole number"),
    ("alice", "election create x --body board", "secretariat"),
    ("sec", "election create x", "--body <body>"),
    (
        "sec",
        "election create x --body board --voting-close tomorrow",
        "'tomorrow' is not a time I understand",
    ),
    ("sec", "election create x --body board --voting-close 2020-01-01", "in the past"),
    ("sec", "election create x --body board --method dice", "Unknown counting method 'dice'"),
    ("sec", "election create x --body toc --method plurality --seats 4", "plurality may not be chosen"),
    ("alice", 'motion propose toc "Quick" --kind charter --deadline +1m', "at least 7 days"),
    ("sec", "election create board-2027 --body board", "already exists"),
    (
        "sec",
        "election create x --body board --seats 4",
        "No seat of Board of Directors is free by 2026-02-02: the seats free by then go to board-2027 and e2",
    ),
    ("sec", "election create x --body nowhere", "No body or working group 'nowhere'"),
    ("sec", "election show nowhere", "No election 'nowhere'"),
    ("sec", "election open-nominations board-2027", "can only open from draft"),
    ("sec", "election open-nominations x --close soon", "'soon' is not a time I understand"),
    ("sec", "election nominate board-2027 ghost", "No person with handle 'ghost'"),
    ("alice", "election nominate board-2027 chen", "already a candidate"),
    ("alice", "election nominate e2 alice", "not open"),
    ("alice", "election accept board-2027", "not a candidate"),
    ("alice", "election decline board-2027", "not a candidate"),
    ("alice", 'election statement board-2027 "Vote for me"', "not a candidate"),
    ("chen", "election statement board-2027", "Missing <text>"),
    ("alice", "election withdraw board-2027", "not standing in board-2027"),
    ("alice", "election open-voting board-2027", "secretariat"),
    ("sec", "election open-voting board-2027 --close +0x", "'+0x' is not a time I understand"),
    ("alice", "election voters nowhere", "No election 'nowhere'"),
    ("alice", "election exception board-2027 --reason x", "no exception is needed"),
    ("alice", "election exception-grant board-2027 bea --reason x", "secretariat"),
    ("sec", "election exception-deny board-2027 bea --reason x", "has not asked"),
    ("alice", "vote board-2027 chen", "not open for voting"),
    ("arjun", "vote e2 chen", "not the designated voting representative"),
    ("alice", "vote e2 chen chen", "chen ranked more than once"),
    ("alice", "vote e2 zed", "zed is not a candidate"),
    ("alice", "vote e2 chen=dana", "cannot rank candidates equally"),
    ("alice", "vote e2", "Missing <choice>"),
    ("alice", 'vote e2 "chen', "Close every quote you open"),
    ("alice", "vote nowhere chen", "No election 'nowhere'"),
    ("alice", "election close e2", "secretariat"),
    ("sec", "election close board-2027", "only an election in voting can be closed"),
    ("sec", "election result board-2027", "has no result yet"),
    ("sec", "election certify board-2027", "only a closed election can be certified"),
    # motions
    ("sec", "motion list --body nowhere", "No body or working group 'nowhere'"),
    ("arjun", 'motion propose toc "X"', "Only members of Technical Oversight Committee"),
    ("alice", 'motion propose toc "X" --kind weird', "Unknown kind of motion 'weird'"),
    ("alice", 'motion propose toc "X" --secret', "are voted by roll call: every vote is public"),
    ("alice", 'motion propose toc "X" --deadline +5y', "'+5y' is not a time I understand"),
    ("alice", 'motion propose nowhere "X"', "No body or working group 'nowhere'"),
    ("bea", "motion vote 99 yes", "99"),
    ("bea", "motion vote 1 maybe", "'maybe' is not a vote on a motion"),
    ("arjun", "motion vote 1 yes", "not a voting member"),
    ("sec", "motion show 99", "99"),
    ("bea", "motion close 1", "1"),
    ("bea", "motion withdraw 1", "Only the proposer or the secretariat"),
    ("bea", "motion proxy 1 bea", "You cannot name yourself as your own proxy"),
    ("arjun", "motion proxy 1 bea", "not a voting member"),
    ("alice", "election proxy e2 bea", "Under alliance, votes on e2 cannot be given to a proxy"),
    ("bea", "vote e2 chen --proxy-for alice", "Under alliance, votes on e2 cannot be given to a proxy"),
    # audit
    ("sec", "audit verify election:nowhere", "No audit events in stream 'election:nowhere'"),
    ("alice", "audit export board-2027", "Only the secretariat (an admin) exports audit bundles"),
    ("sec", "audit export M1 --format blt", "A motion has no blt export"),
    ("bea", "receipt nowhere ABCDE-FGHJK", "No election 'nowhere'"),
    ("bea", "receipt board-2027 AAAAA-AAAAA", "No ballot of board-2027 has receipt AAAAA-AAAAA"),
    (
        "alice",
        f"election monitor add e2 bea {'ab' * 32}",
        "Only the secretariat (an admin) names election monitors",
    ),
    ("sec", "election monitor status nowhere", "No election 'nowhere'"),
    ("sec", "election monitor checkpoint e2", "has no close checkpoint yet"),
    ("bea", "election monitor cosign e2 abcd", "You are not a monitor of e2"),
    # scheduling
    ("sec", "election timeline e2 --voting-open +3d", "is already open"),
    ("sec", "motion deadline 1 +5y", "'+5y' is not a time I understand"),
    ("sec", "schedule show board-2027", "names no election or motion"),
    ("sec", 'wg schedule safety "weekly funday" 09:00 UTC', "'funday' is not a day of the week"),
    ("sec", 'wg reschedule safety 9 "weekly mon" 09:00 UTC', "has no meeting series 9"),
    ("sec", "wg unschedule safety x", "'x' is not a meeting series number"),
    ("sec", "wg meetings safety --ics 3", "has no active meeting series 3"),
    ("bea", "wg review safety", "chair"),
    ("dana", "wg review-confirm safety alice", "not on the inactive list"),
]


def _command_of(line: str) -> str | None:
    try:
        spec, _ = find(tokenize(line))
    except InvalidInput:
        return None
    return " ".join(spec.path) if spec else None


def test_every_command_is_tested() -> None:
    registered = {" ".join(s.path) for s in REGISTRY}
    succeeded = {_command_of(line) for _, line, _ in SCENARIO}
    failed = {_command_of(line) for _, line, _ in FAILURES}
    assert registered - succeeded == set(), "commands without a success case in SCENARIO"
    assert registered - failed == set(), "commands without a failure case in FAILURES"


def test_registry_is_well_formed() -> None:
    paths = [s.path for s in REGISTRY]
    assert len(paths) == len(set(paths)), "a command path is registered twice"
    for spec in REGISTRY:
        assert spec.summary, spec.path
        for example in spec.examples:
            assert example.startswith(" ".join(spec.path)), (spec.path, example)


async def test_scenario_runs_every_command(say: Say, seeded: Context, tmp_path: Path) -> None:
    csv = tmp_path / "members.csv"
    csv.write_text("handle,name,organisation\nyuki,Yuki Tanaka,acme\n", encoding="utf-8")
    receipt = ""  # the latest receipt a vote returned, for `receipt ... {receipt}`
    monitor, signature = signing.derived_key(b"scenario monitor"), ""  # zoe's key and co-signature
    for handle, line, expected in SCENARIO:
        line = line.format(
            csv=csv, receipt=receipt, monitor_key=signing.public_hex(monitor), signature=signature
        )
        reply = await say(handle, line)
        assert reply.ok, f"{handle}> {line}\n{reply.to_text()}"
        assert expected in reply.to_text(), f"{handle}> {line}\n{reply.to_text()}"
        found = re.search(r"Your receipt: ([A-Z0-9]{5}-[A-Z0-9]{5})", reply.text)
        receipt = found.group(1) if found else receipt
        if reply.attachments and reply.attachments[0].filename.startswith("checkpoint-"):
            signature = signing.sign(monitor, json.loads(reply.attachments[0].data)["body"].encode())
    result = await elections.result(seeded, "board-2027")
    assert result.ballots == 5


@pytest.mark.parametrize("seeded", [False], indirect=True)
async def test_failures_say_what_and_write_nothing(say: Say, seeded: Context, tmp_path: Path) -> None:
    bad_csv = tmp_path / "bad.csv"
    bad_csv.write_text("handle,name,organisation\nyuki,Yuki Tanaka,acme\n,No Handle,acme\n", encoding="utf-8")
    binary = tmp_path / "roster.xlsx"
    binary.write_bytes(b"PK\x03\x04\xff\xfe\x00binary")
    for handle, line in FAILURE_SETUP:
        reply = await say(handle, line)
        assert reply.ok, f"{handle}> {line}\n{reply.to_text()}"
    problems = []
    for handle, line, expected in FAILURES:
        line = line.format(bad_csv=bad_csv, binary=binary)
        before = await snapshot(seeded)
        reply = await say(handle, line)
        after = await snapshot(seeded)
        text = reply.to_text()
        if reply.ok or expected not in text or INTERNAL in text or before != after or not reply.text.strip():
            problems.append(f"{handle}> {line}\n  ok={reply.ok} wrote={before != after}\n  {text}")
    assert not problems, "\n".join(problems)


async def test_failure_replies_are_ephemeral_with_a_hint(say: Say) -> None:
    reply = await say("alice", "vote board-2027 zed")
    assert not reply.ok and reply.ephemeral
    unknown = await say("alice", "frobnicate")
    assert unknown.hint and "help" in unknown.hint


async def test_empty_line_and_gov_prefix(say: Say) -> None:
    assert "Commands" in (await say("alice", "")).text
    assert "Commands" in (await say("alice", "/gov")).text
    assert (await say("alice", "gov whoami")).text.startswith("You are Alice Martin")
    assert (await say("alice", "WHOAMI")).ok


async def test_options_take_inline_values_even_empty(say: Say, seeded: Context) -> None:
    reply = await say("sec", "roster org add newco --tier=academic 'New Co'")
    assert reply.ok and "academic" in reply.text
    renamed = await say("sec", "roster person set bea --name=Bea")
    assert renamed.ok and "Updated Bea (@bea)" in renamed.text


async def test_an_embedded_nul_is_refused_not_crashing(say: Say) -> None:
    reply = await say("sec", "roster import 'a\x00b'")
    assert not reply.ok and INTERNAL not in reply.text


async def test_smart_quotes_group_words(say: Say) -> None:
    reply = await say("sec", "roster org add newco “New Co”")
    assert reply.ok, reply.to_text()
    assert "Added New Co" in reply.text


async def test_help_for_a_group_lists_its_commands(say: Say) -> None:
    reply = await say("alice", "help wg")
    assert reply.ok and reply.block
    assert "wg join <wg>" in reply.block and "wg approve <wg> <handle>" in reply.block


async def test_times_are_read_and_shown_in_the_readers_zone(say: Say, seeded: Context) -> None:
    reply = await say("sec", 'election open-voting board-2027 --close "2026-02-01 18:00"', tz="Europe/Paris")
    assert reply.ok, reply.to_text()
    assert "2026-02-01 18:00 CET" in reply.text
    view = await elections.show(seeded, "board-2027")
    assert view.election.voting_close_at == datetime(2026, 2, 1, 17, 0, tzinfo=UTC)
    shown = await say("alice", "election show board-2027", tz="America/New_York")
    assert "2026-02-01 12:00 EST" in shown.text


async def test_internal_errors_are_reported_with_a_reference(
    say: Say, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def boom(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("database on fire")

    monkeypatch.setattr(roster, "get_person", boom)
    reply = await say("alice", "whoami")
    assert not reply.ok
    assert INTERNAL in reply.text and "reference" in reply.text and "fire" not in reply.to_text()


# ---------------------------------------------------------------- parse_when

NOW = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
PARIS = ZoneInfo("Europe/Paris")


@pytest.mark.parametrize(
    ("text", "tz", "expected"),
    [
        ("2026-12-01 17:00", PARIS, datetime(2026, 12, 1, 16, 0, tzinfo=UTC)),  # CET, UTC+1
        ("2026-07-01T17:00", PARIS, datetime(2026, 7, 1, 15, 0, tzinfo=UTC)),  # CEST, UTC+2
        ("2026-12-01", PARIS, datetime(2026, 12, 1, 22, 59, tzinfo=UTC)),  # a date means its last minute
        ("2026-12-01", ZoneInfo("UTC"), datetime(2026, 12, 1, 23, 59, tzinfo=UTC)),
        ("2026-12-01 17:00", ZoneInfo("Asia/Kolkata"), datetime(2026, 12, 1, 11, 30, tzinfo=UTC)),
        ("  2026-12-01 17:00 ", ZoneInfo("UTC"), datetime(2026, 12, 1, 17, 0, tzinfo=UTC)),
        ("+7d", PARIS, NOW + timedelta(days=7)),
        ("+36h", PARIS, NOW + timedelta(hours=36)),
        ("+90m", PARIS, NOW + timedelta(minutes=90)),
        ("+10d", ZoneInfo("UTC"), NOW + timedelta(days=10)),
    ],
)
def test_parse_when(text: str, tz: ZoneInfo, expected: datetime) -> None:
    parsed = parse_when(text, tz, NOW)
    assert parsed == expected
    assert parsed.utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "tomorrow",
        "+7y",
        "+d",
        "+",
        "7d",
        "2026-13-01",
        "2026-12-01 25:00",
        "01/12/2026",
        "+-3d",
        "+1.5h",
        "+٣d",
    ],
)
def test_parse_when_refuses_with_a_hint(text: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_when(text, PARIS, NOW)
    assert caught.value.hint and "+7d" in caught.value.hint


def test_parse_when_huge_offset_is_refused_not_crashing() -> None:
    for text in ("+99999999999d", "+9999999d", "+3000000d", "0001-01-01 00:00"):
        with pytest.raises(InvalidInput):
            parse_when(text, PARIS, NOW)
    with pytest.raises(InvalidInput):
        parse_when("9999-12-31", ZoneInfo("America/New_York"), NOW)


# ---------------------------------------------------------------- fuzzing

WORDS = sorted(
    {w for s in REGISTRY for w in s.path}
    | {a.strip("<>[].") for s in REGISTRY for a in s.args}
    | {f"--{o}" for s in REGISTRY for o in s.options}
    | {
        "board-2027",
        "toc",
        "safety",
        "alice",
        "chen",
        "dana",
        "1",
        "M1",
        "yes",
        "+7d",
        "acme",
        "election:board-2027",
        "--",
        "-",
        "=",
        "'",
        '"',
        "“",
        "/gov",
        "@alice",
        "alice=chen",
    }
)
TOKENS = st.one_of(
    st.sampled_from(WORDS),
    st.text(max_size=12),
    st.from_regex(r"--[a-z-]{1,12}(=[a-z0-9+]{0,6})?", fullmatch=True),
)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    handle=st.sampled_from(["sec", "alice", "arjun"]),
    tokens=st.lists(TOKENS, max_size=8),
    joiner=st.sampled_from([" ", "  ", "\t"]),
)
async def test_dispatch_never_raises_on_arbitrary_text(
    say: Say, handle: str, tokens: list[str], joiner: str
) -> None:
    reply = await say(handle, joiner.join(tokens))
    assert reply.text.strip()
    assert INTERNAL not in reply.text, (tokens, reply.to_text())


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(max_size=60))
async def test_dispatch_never_raises_on_random_characters(say: Say, text: str) -> None:
    reply = await say("sec", text)
    assert INTERNAL not in reply.text, (text, reply.to_text())


async def test_clock_drives_deadlines(say: Say, clock: ManualClock) -> None:
    assert (await say("sec", "election open-voting board-2027 --close +7d")).ok
    clock.advance(timedelta(days=8))
    late = await say("alice", "vote board-2027 chen")
    assert not late.ok and "closed" in late.text


def test_commands_module_exports_the_grammar() -> None:
    assert commands.REGISTRY is REGISTRY
    assert callable(dispatch)


async def test_roster_import_runs_only_from_the_console(
    seeded: Context, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    csv = tmp_path / "members.csv"
    csv.write_text("handle,name,organisation\nyuki,Yuki Tanaka,acme\n", encoding="utf-8")
    sec = await roster.actor_for_handle(seeded, "sec")
    opened: list[object] = []
    original = Path.read_text

    def spy(self: Path, *args: object, **kwargs: object) -> str:
        opened.append(self)
        return original(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Path, "read_text", spy)
    before = await snapshot(seeded)
    for platform in ("slack", "discord"):
        reply = await dispatch(seeded, sec, f"roster import {csv}", platform=platform)
        assert not reply.ok and reply.ephemeral
        assert f"cannot run from {platform}" in reply.text and "govbot console" in (reply.hint or "")
    alice = await roster.actor_for_handle(seeded, "alice")
    refused = await dispatch(seeded, alice, f"roster import {csv}")  # the console, but not an admin
    assert not refused.ok and "secretariat" in refused.to_text()
    assert opened == [] and await snapshot(seeded) == before  # the file was never read
    done = await dispatch(seeded, sec, f"roster import {csv}", platform="console")
    assert done.ok and "1 people added" in done.text and opened == [csv]


async def test_error_details_are_shown_as_bullets(say: Say, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    rows = "".join(f"Bad Handle {i},Someone\n" for i in range(60))
    bad.write_text("handle,name\nok,Fine\n,Nameless\n" + rows, encoding="utf-8")
    reply = await say("sec", f"roster import {bad}")
    assert not reply.ok and reply.text.startswith(
        "The roster was not imported: 61 problems, the first line 3"
    )
    assert len(reply.details) == 61 and reply.block is not None
    lines = reply.block.splitlines()
    assert lines[0].startswith("• line 3: ") and lines[1].startswith("• line 4: 'Bad Handle 0'")
    assert len(lines) == 51 and lines[-1] == "… and 11 more"
    assert "• line 3: " in reply.to_text()
    plain = await say("sec", "roster person add ghost")
    assert not plain.ok and plain.block is None and plain.details == ()
