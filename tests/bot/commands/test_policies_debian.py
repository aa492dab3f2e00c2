"""Debian's leader election (constitution §5.2.7): "None Of The Above" as the default option on every ballot
and the quorum of §4.2 (3Q, Q half the square root of the electorate when voting opens), through the
services on both backends, on a real Debian election from the shared data, in the audit bundle, the ballot
forms and the policy checks."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import delete, select, update
from sqlmodel import col

from bot.commands import dispatch
from bot.discord import ballots as discord_ballots
from bot.slack import ballots as slack_ballots
from governance import export
from governance.errors import InvalidInput
from governance.models import AuditEvent, Candidate, Election, ElectorateEntry, Membership, Person
from governance.policies import load_policy
from governance.policies.base import DEFAULT_OPTION_KEY, BodyFacts
from governance.policies.explain import explain
from governance.services import bodies, elections, roster
from governance.services.common import Actor, Context
from governance.tally.debian import quorum_figures
from governance.verify import verify_files
from tests.factories import MEMBERS, SYSTEM, events, outbox_rows
from tests.factories import cast_plan as _cast
from tests.factories import dpl_election as _election
from tests.factories import dpl_members as _members
from tests.factories import dpl_secretary as _sec
from tests.fakes.discord_harness import Running, user_id
from tests.fakes.notices import notice_text
from tests.fakes.slack_harness import SlackHarness, dm_to, pick, recorded
from tests.governance.tally.realdata import debian_index, read_toi

DEBIAN_SOURCE = Path(__file__).resolve().parents[3] / "governance" / "policies" / "debian.py"
NOTA = "None Of The Above"
# ------------------------------------------------------------------------------------------ the preset


def test_the_preset_sets_none_of_the_above_and_the_3q_quorum() -> None:
    rules = load_policy("debian").election_rules(BodyFacts("dpl", "DPL", "board"))
    assert (rules.method, rules.seats) == ("debian", 1)
    assert dict(rules.method_params) == {"default_option": NOTA, "quorum": "3Q"}
    assert rules.default_option == NOTA
    text = "\n".join(explain(load_policy("debian"), BodyFacts("dpl", "DPL", "board")))
    assert "Elections to DPL fill 1 seat by Debian (Condorcet), by secret ballot." in text
    assert (
        "Every ballot also offers None Of The Above, ranked like a candidate; it is never elected: if it "
        "wins, no one is." in text
    )
    assert (
        "Quorum: a candidate needs at least 3Q voters ranking them above None Of The Above, Q being half the "
        "square root of the number of people who may vote when voting opens; else they are dropped." in text
    )
    assert "A candidate also needs more voters ranking them above None Of The Above than below it." in text
    doc = load_policy("debian").module.__doc__ or ""
    assert "§5.2.7" in doc and "§4.2" in doc and "§A.6" in doc and "not yet applied" not in doc.lower()


# -------------------------------------------------------------------------- None Of The Above wins


async def test_none_of_the_above_beats_every_candidate_and_no_one_is_elected(ctx: Context) -> None:
    sec = await _sec(ctx)
    who = await _members(ctx, sec, "dpl", "debian", MEMBERS)
    await _election(ctx, sec, "dpl", "dpl-2027", who, ["dev01", "dev02"])
    view = await elections.show(ctx, "dpl-2027")
    assert view.default_option == NOTA
    # the option is typed as its label (quoted), with dashes, or as nota; it may tie with a candidate
    plan = [
        (6, ["dev01", "dev02", "nota"]),
        (7, ["None Of The Above", "dev02", "dev01"]),
        (1, ["none-of-the-above", "dev02=dev01"]),
    ]
    await _cast(ctx, "dpl-2027", who, plan)
    result = await elections.close(ctx, sec, "dpl-2027")

    assert result.elected == []
    assert result.candidates == ["Developer 01", "Developer 02", NOTA]
    # both pass the quorum (6 >= R = 6) and fail the majority (6 above NOTA, 8 below)
    assert result.rounds[0].excluded == []
    assert result.rounds[0].counts == {"Developer 01": 6, "Developer 02": 6}
    assert result.rounds[1].excluded == ["Developer 01", "Developer 02"]
    assert "None Of The Above (the default option) won: no one is elected" in result.notes
    (message,) = [m for m in await outbox_rows(ctx) if m.kind == "election.result"]
    assert notice_text(message) == (
        "Result of Leader dpl-2027: None Of The Above won: no one is elected; the secretariat may re-run the "
        "election (14 ballots, Debian (Condorcet))."
    )
    assert notice_text(message, "fr") == (  # a French reader gets it in French
        "Résultat de Leader dpl-2027 : « Aucun des candidats » l'emporte : personne n'est élu ; le "
        "secrétariat peut organiser un nouveau scrutin (14 bulletins, Debian (Condorcet))."
    )
    closed = [
        json.loads(e.payload) for e in await events(ctx, "election:dpl-2027") if e.kind == "election.closed"
    ]
    assert closed[0]["elected"] == []
    assert closed[0]["count_options"] == {
        "default": 2,
        "default_elects_nobody": True,
        "quorum": "3Q",
        "electorate": MEMBERS,
    }

    certified = await elections.certify(ctx, sec, "dpl-2027")
    assert certified.phase == "certified"
    async with ctx.db.reading() as session:
        statuses = (
            await session.execute(
                select(col(Candidate.status)).where(col(Candidate.election_id) == certified.id)
            )
        ).scalars()
        assert sorted(statuses) == ["not_elected", "not_elected"]
    (done,) = [
        json.loads(e.payload)
        for e in await events(ctx, "election:dpl-2027")
        if e.kind == "election.certified"
    ]
    assert (done["seated"], done["empty_seats"]) == (0, 1)
    (notice,) = [notice_text(m) for m in await outbox_rows(ctx) if m.kind == "election.certified"]
    assert notice == (
        "Leader dpl-2027 is certified: no one was elected, so 1 seat of Debian Project Leader stays empty "
        "until the election is run again."
    )


async def test_every_candidate_dropped_by_the_quorum_elects_no_one(ctx: Context) -> None:
    sec = await _sec(ctx)
    who = await _members(ctx, sec, "dpl", "debian", MEMBERS)
    await _election(ctx, sec, "dpl", "dpl-2027", who, ["dev01", "dev02"])
    await _cast(ctx, "dpl-2027", who, [(5, ["dev01", "dev02"])])  # 5 voters: below R = 6 for both
    result = await elections.close(ctx, sec, "dpl-2027")
    assert result.rounds[0].excluded == ["Developer 01", "Developer 02"]
    assert result.elected == []
    reply = await dispatch(ctx, sec, "election result dpl-2027", tz=ZoneInfo("UTC"))
    assert reply.text == "Elected: nobody."
    assert "Developer 01 dropped: quorum (5 < R = 6 above the default)" in (reply.block or "")


async def test_the_same_ballots_without_none_of_the_above_elect_a_candidate(
    ctx: Context, tmp_path: Path
) -> None:
    """The Debian count without its default option (an operator's copy of the preset): plain Condorcet,
    and the candidate most voters prefer is elected where Debian elects no one."""
    source = DEBIAN_SOURCE.read_text(encoding="utf-8").replace(
        '        method_params=DebianParams(default_option=NONE_OF_THE_ABOVE, quorum="3Q"),\n', ""
    )
    assert "method_params" not in source.split("def election_rules")[1].split("def ")[0]
    path = tmp_path / "debian_without_nota.py"
    path.write_text(source, encoding="utf-8")
    sec = await _sec(ctx)
    outcomes = {}
    for policy, body in (("debian", "dpl"), (str(path), "plain")):
        who = await _members(ctx, sec, body, policy, MEMBERS)
        await _election(ctx, sec, body, f"{body}-e", who, ["dev01", "dev02"])
        plan = [(6, ["dev01", "dev02", "nota"]), (8, ["nota", "dev02", "dev01"])]
        if body == "plain":  # nobody may rank an option the ballot does not offer
            with pytest.raises(InvalidInput) as refused:
                await elections.cast_ballot(ctx, who["dev01"], "plain-e", ["nota"])
            assert refused.value.message == "nota is not a candidate in plain-e."
            assert refused.value.hint == "Candidates: dev01, dev02."
            plan = [(6, ["dev01", "dev02"]), (8, ["dev02", "dev01"])]
        await _cast(ctx, f"{body}-e", who, plan)
        outcomes[body] = (await elections.close(ctx, sec, f"{body}-e")).elected
    assert outcomes == {"dpl": [], "plain": ["Developer 02"]}


# ---------------------------------------------------------------------------------------- the quorum


async def test_a_candidate_too_few_rank_above_none_of_the_above_is_dropped_by_the_quorum(
    ctx: Context,
) -> None:
    sec = await _sec(ctx)
    who = await _members(ctx, sec, "dpl", "debian", MEMBERS + 2)
    # two members who may not vote when voting opens do not count toward the electorate: 16 remain
    await roster.update_person(ctx, SYSTEM, "dev17", status="suspended")
    await bodies.seat(ctx, SYSTEM, "dpl", "dev18", role="observer")
    await _election(ctx, sec, "dpl", "dpl-2027", who, ["dev01", "dev02", "dev03"])
    plan = [(5, ["dev01", "dev02", "nota"]), (4, ["dev01", "nota"]), (1, ["dev03", "dev01"])]
    await _cast(ctx, "dpl-2027", who, plan)
    result = await elections.close(ctx, sec, "dpl-2027")

    assert result.elected == ["Developer 01"]
    quorum, majority, schwartz = result.rounds
    assert quorum.counts == {"Developer 01": 10, "Developer 02": 5, "Developer 03": 1}
    assert quorum.excluded == ["Developer 02", "Developer 03"]  # 5 and 1 voters above NOTA, R = 6
    assert (
        quorum.note
        == "quorum 3Q = 6 (Q = 2, electorate 16): votes ranking each option above None Of The Above"
    )
    assert quorum.extra == {"quorum": "3Q", "electorate": 16, "Q": "2", "R": "6", "votes_needed": 6}
    assert majority.excluded == [] and schwartz.elected == ["Developer 01"]
    assert result.params["electorate"] == 16 and (result.params["Q"], result.params["R"]) == ("2", "6")
    assert "Developer 02 dropped: quorum (5 < R = 6 above the default)" in result.notes
    stored = await elections.result(ctx, "dpl-2027")
    assert stored.rounds[0].excluded == ["Developer 02", "Developer 03"]
    assert json.loads((await elections.show(ctx, "dpl-2027")).election.result or "{}")["params"]["R"] == "6"


async def test_the_electorate_is_fixed_when_voting_opens(ctx: Context) -> None:
    """Debian counts the Developers when voting starts: people who join or leave during the vote do not
    move R. The number is recorded with the voting-opened event and shown by ``election show``."""
    sec = await _sec(ctx)
    who = await _members(ctx, sec, "dpl", "debian", MEMBERS)
    await _election(ctx, sec, "dpl", "dpl-2027", who, ["dev01", "dev02"])
    (opened,) = [e for e in await events(ctx, "election:dpl-2027") if e.kind == "election.voting_opened"]
    assert json.loads(opened.payload)["electorate"] == MEMBERS
    for i in range(17, 27):  # ten members join during the vote (26 would make R = 7.65)
        await roster.add_person(ctx, SYSTEM, f"dev{i}", f"Developer {i}")
        await bodies.seat(ctx, SYSTEM, "dpl", f"dev{i}")
    await roster.update_person(ctx, SYSTEM, "dev16", status="suspended")  # and one may no longer vote
    utc = ZoneInfo("UTC")
    shown = await dispatch(ctx, sec, "election show dpl-2027", tz=utc)
    assert (
        "Quorum base: 16 people could vote when voting opened; later roster changes do not move it."
        in shown.text.splitlines()
    )
    french = await dispatch(ctx, sec, "election show dpl-2027", tz=utc, locale="fr")
    assert (
        "Base du quorum : 16 personnes pouvaient voter à l'ouverture du vote ; les changements ultérieurs de "
        "la liste des membres ne la modifient pas." in french.text.splitlines()
    )
    await _cast(ctx, "dpl-2027", who, [(6, ["dev01", "nota"]), (1, ["dev02", "nota"])])
    result = await elections.close(ctx, sec, "dpl-2027")
    assert (result.params["electorate"], result.params["R"]) == (MEMBERS, "6")
    assert result.rounds[0].excluded == ["Developer 02"]
    assert result.elected == ["Developer 01"]  # 6 voters reach R = 6; with 25 voters R would be 7.5


async def test_an_election_opened_before_the_electorate_was_recorded_counts_it_at_close(ctx: Context) -> None:
    sec = await _sec(ctx)
    who = await _members(ctx, sec, "dpl", "debian", MEMBERS)
    await _election(ctx, sec, "dpl", "dpl-2027", who, ["dev01"])
    async with ctx.db.transaction() as session:  # as an older govbot wrote the event
        (event,) = (
            await session.execute(
                select(AuditEvent).where(
                    col(AuditEvent.stream) == "election:dpl-2027",
                    col(AuditEvent.kind) == "election.voting_opened",
                )
            )
        ).scalars()
        event.payload = json.dumps({k: v for k, v in json.loads(event.payload).items() if k != "electorate"})
        await session.execute(delete(ElectorateEntry))  # and kept no frozen electorate
        await session.execute(update(Election).values(electorate_fixed_at=None))
    assert (await elections.show(ctx, "dpl-2027")).electorate is None
    shown = await dispatch(ctx, sec, "election show dpl-2027", tz=ZoneInfo("UTC"))
    assert "Quorum base" not in shown.text
    await roster.update_person(ctx, SYSTEM, "dev16", status="suspended")
    result = await elections.close(ctx, sec, "dpl-2027")
    assert result.params["electorate"] == MEMBERS - 1


@pytest.mark.parametrize(
    ("electorate", "q", "r", "needed"),
    [
        (16, "2", "6", 6),
        (17, "2.061553", "6.184658", 7),
        (1036, "16.093477", "48.280431", 49),
        (0, "0", "0", 0),
    ],
)
def test_the_3q_figures_for_an_electorate(electorate: int, q: str, r: str, needed: int) -> None:
    figures = quorum_figures("3Q", electorate)
    assert (figures.q, figures.r, figures.needed) == (q, r, needed)


# ------------------------------------------------------------------------- a real Debian election


async def _developers(ctx: Context, sec: Actor, count: int, candidates: list[str]) -> dict[str, Actor]:
    """``count`` Developers on the roster (one CSV import) seated in the body "dpl"; the candidates
    (named as in the tally sheet) first."""
    handles = [f"c{i}" for i in range(len(candidates))] + [
        f"dd{i:04d}" for i in range(count - len(candidates))
    ]
    names = candidates + [f"Developer {i:04d}" for i in range(count - len(candidates))]
    csv = "handle,name\n" + "".join(f'{h},"{n}"\n' for h, n in zip(handles, names, strict=True))
    await roster.import_roster_csv(ctx, sec, csv)
    body = await bodies.create_body(ctx, sec, "dpl", "Debian Project Leader", "board", policy="debian")
    async with ctx.db.transaction() as session:  # what bodies.seat writes, for a thousand members at once
        people = (
            (await session.execute(select(Person).where(col(Person.handle).in_(handles)))).scalars().all()
        )
        for person in people:
            assert person.id is not None and body.id is not None
            session.add(
                Membership(
                    body_id=body.id, person_id=person.id, role="member", status="active", since=ctx.now()
                )
            )
        actors = {p.handle: Actor.of(p) for p in people}
    return {h: actors[h] for h in handles}


async def test_the_2007_debian_leader_election_through_the_bot(ctx: Context) -> None:
    """Debian's 2007 Project Leader election: 482 ballots, 8 candidates and None Of The Above, 1036
    Developers (quorum 3Q = 48.28). Cast through the services and closed, it elects Sam Hocevar with the
    published pairwise matrix, quorum and majority drops."""
    (vote,) = [v for v in debian_index() if v.key == "2007/vote_001"]
    profile = read_toi(vote.toi)
    *candidates, default = profile.candidates
    assert default == NOTA and vote.ballots == profile.total == 482
    sec = await _sec(ctx)
    who = await _developers(ctx, sec, 1036, candidates)
    handles = [f"c{i}" for i in range(len(candidates))] + ["nota"]
    await elections.create_election(ctx, sec, "dpl", "dpl-2007", title="DPL 2007")
    await elections.open_nominations(ctx, sec, "dpl-2007")
    for h in handles[:-1]:
        await elections.nominate(ctx, who[h], "dpl-2007")
    await elections.open_voting(ctx, sec, "dpl-2007")
    voters = iter(who.values())
    for ranking, count in zip(profile.rankings, profile.counts, strict=True):
        words = ["=".join(handles[i] for i in tier) for tier in ranking]
        for _ in range(count):
            await elections.cast_ballot(ctx, next(voters), "dpl-2007", words)
    result = await elections.close(ctx, sec, "dpl-2007")

    assert result.elected == [profile.candidates[vote.winner]] == ["Sam Hocevar"]
    assert result.ballots == 482 and result.candidates == list(profile.candidates)
    assert result.rounds[2].extra["pairwise"] == vote.matrix  # the published matrix
    # the quorum of the official count (vote_001_quorum.txt: 1036 Developers, Q = 16.0934769394311,
    # quorum 48.2804308182932), recorded to six decimals; every candidate reached it
    assert result.params["electorate"] == 1036
    assert Decimal(result.params["Q"]) == round(Decimal("16.0934769394311"), 6)
    assert Decimal(result.params["R"]) == round(Decimal("48.2804308182932"), 6)
    assert round(Decimal(result.params["R"]), 5) == vote.quorum  # INDEX.tsv: 48.28043
    assert result.rounds[0].excluded == []
    # dropped for failing the 1:1 majority against None Of The Above, as published: options 2 and 8
    assert [profile.candidates.index(n) for n in result.rounds[1].excluded] == vote.dropped == [1, 7]
    assert result.params["ratios"]["Aigars Mahinovs"] == "142:270 needs 1:1"

    files = await export.export_bundle(ctx, sec, export.parse_subject("election:dpl-2007"))
    report = verify_files(files)
    assert report.ok, report.problems
    assert (
        "election-dpl-2007: 482 ballots re-counted with debian: elected Sam Hocevar (as recorded)"
        in report.checked
    )


# -------------------------------------------------------------------------------- audit bundle


async def test_a_none_of_the_above_election_bundle_verifies_and_recounts(ctx: Context) -> None:
    sec = await _sec(ctx)
    who = await _members(ctx, sec, "dpl", "debian", MEMBERS)
    await _election(ctx, sec, "dpl", "dpl-2027", who, ["dev01", "dev02"])
    await _cast(ctx, "dpl-2027", who, [(6, ["dev01", "nota"]), (8, ["nota", "dev01=dev02"])])
    await elections.close(ctx, sec, "dpl-2027")
    files = await export.export_bundle(ctx, sec, export.parse_subject("election:dpl-2027"))
    settings = json.loads(files["election-dpl-2027/settings.json"])
    assert settings["count"]["candidates"][-1] == NOTA
    assert settings["count"]["handles"][-1] == DEFAULT_OPTION_KEY
    assert settings["count"]["method_params"] == {
        "default": 2,
        "quorum": "3Q",
        "electorate": MEMBERS,
        "default_elects_nobody": True,
    }
    assert '"None Of The Above"' in files["election-dpl-2027/ballots.blt"].decode()
    report = verify_files(files)
    assert report.ok, report.problems
    assert (
        "election-dpl-2027: 14 ballots re-counted with debian: elected nobody (as recorded)" in report.checked
    )

    # a forger who drops the quorum's electorate from the settings is caught by the re-count
    forged = dict(files)
    settings["count"]["method_params"]["electorate"] = 4
    forged["election-dpl-2027/settings.json"] = export.dumps(settings)
    problems = verify_files(
        export.with_manifest({k: v for k, v in forged.items() if k != "manifest.json"})
    ).problems
    assert any("result mismatch" in p for p in problems), problems


# ------------------------------------------------------------------------ console, Slack, Discord


async def test_the_console_ballot_and_show_offer_none_of_the_above(ctx: Context) -> None:
    sec = await _sec(ctx)
    who = await _members(ctx, sec, "dpl", "debian", 4)
    await _election(ctx, sec, "dpl", "dpl-2027", who, ["dev01", "dev02"])
    utc = ZoneInfo("UTC")
    shown = await dispatch(ctx, sec, "election show dpl-2027", tz=utc)
    assert (
        "Every ballot also offers None Of The Above (type `nota`): rank it above the candidates you would "
        "rather not see elected; if it wins, no one is elected."
    ) in shown.text
    voted = await dispatch(ctx, who["dev03"], 'vote dpl-2027 dev01 "None Of The Above" dev02', tz=utc)
    assert voted.text.startswith(
        "Ballot recorded in dpl-2027: dev01 > None Of The Above > dev02. Your receipt: "
    )
    twice = await dispatch(ctx, who["dev04"], "vote dpl-2027 nota dev01 none-of-the-above", tz=utc)
    assert "None Of The Above is ranked more than once." in twice.text
    unknown = await dispatch(ctx, who["dev04"], "vote dpl-2027 nobody", tz=utc)
    assert "nobody is not a candidate in dpl-2027." in unknown.text
    assert unknown.hint == "Candidates: dev01, dev02; or nota for None Of The Above."
    assert [row[1] for row in shown.tables[0].rows] == ["dev01", "dev02"]  # not a person: no candidacy
    await dispatch(ctx, who["dev04"], "vote dpl-2027 nota", tz=utc)
    closed = await dispatch(ctx, sec, "election close dpl-2027", tz=utc)
    assert closed.text == "Closed. None Of The Above won: no one is elected."  # R = 3 is not reached
    certified = await dispatch(ctx, sec, "election certify dpl-2027", tz=utc)
    assert certified.text == "Leader dpl-2027 is certified; no one was elected, so the seat stays empty."


async def test_slack_and_discord_ballots_list_none_of_the_above(ctx: Context) -> None:
    sec = await _sec(ctx)
    who = await _members(ctx, sec, "dpl", "debian", 4)
    await _election(ctx, sec, "dpl", "dpl-2027", who, ["dev01", "dev02"])
    modal = await slack_ballots.election_modal(ctx, "dpl-2027", ZoneInfo("UTC"))
    ranks = [b for b in modal["blocks"] if b["type"] == "input"]
    assert len(ranks) == 3  # a ranked form: two candidates and the default option
    options = ranks[0]["element"]["options"]
    assert [o["value"] for o in options] == ["dev01", "dev02", DEFAULT_OPTION_KEY]
    assert options[-1]["text"]["text"] == NOTA
    submitted = {
        "private_metadata": modal["private_metadata"],
        "state": {
            "values": {
                "rank_1": {"pick": {"selected_option": {"value": DEFAULT_OPTION_KEY}}},
                "rank_2": {"pick": {"selected_option": {"value": "dev02"}}},
            }
        },
    }
    slug, choices, errors = slack_ballots.read_ballot(submitted)
    assert (slug, choices, errors) == ("dpl-2027", [DEFAULT_OPTION_KEY, "dev02"], {})
    receipt = await elections.cast_ballot(ctx, who["dev03"], slug, choices)
    assert receipt.ranking == [[NOTA], ["dev02"]]
    statements = await slack_ballots.statements_view(ctx, "dpl-2027")
    assert NOTA not in json.dumps(statements)  # not a person: no statement

    view, choices_ = await discord_ballots.standing(ctx, "dpl-2027")
    assert [c.handle for c in choices_] == ["dev01", "dev02", DEFAULT_OPTION_KEY]
    assert discord_ballots.is_ranked(view.election.method)
    text, components = discord_ballots.ranked_ballot(
        view.election.title, "dpl-2027", choices_, [DEFAULT_OPTION_KEY]
    )
    assert "1. None Of The Above\n" in text
    offered = [o.value for item in components.children if hasattr(item, "options") for o in item.options]
    assert offered == ["dev01", "dev02"]  # what is left to rank
    assert (await elections.cast_ballot(ctx, who["dev04"], "dpl-2027", [DEFAULT_OPTION_KEY])).ranking == [
        [NOTA]
    ]


# -------------------------------------------------------------------------------- policy checks


def _module(tmp_path: Path, params: str, method: str = "debian") -> str:
    source = (
        DEBIAN_SOURCE.read_text(encoding="utf-8")
        .replace(
            'method_params=DebianParams(default_option=NONE_OF_THE_ABOVE, quorum="3Q")',
            f"method_params={params}",
        )
        .replace('method="debian"', f'method="{method}"')
    )
    path = tmp_path / "my_debian.py"
    path.write_text(source, encoding="utf-8")
    return str(path)


@pytest.mark.parametrize(
    ("params", "method", "message", "fix"),
    [
        (
            "{'default_option': 'None Of The Above', 'quorum': '3X'}",
            "debian",
            "election_rules('board').method_params['quorum'] is '3X'.",
            'Fix: give a number of votes (45, Fraction(91, 2)) or a rule such as "3Q", Q being half the '
            "square root of the number of voters.",
        ),
        (
            "{'default_option': 'None Of The Above', 'default': 3}",
            "debian",
            "election_rules('board').method_params names default, which method debian does not take.",
            "Fix: use only default_option, quorum, supermajority.",
        ),
        (
            "{'quorum': 45}",
            "debian",
            "election_rules('board').method_params sets quorum without a default_option.",
            "Fix: the quorum and majority are measured against the default option: set default_option too.",
        ),
        (
            "{'default_option': 'NOTA', 'supermajority': Fraction(1, 2)}",
            "debian",
            "election_rules('board').method_params['supermajority'] is Fraction(1, 2).",
            "Fix: give the N of an N:1 majority over the default option: 1 or more, e.g. 3, Fraction(3, 2).",
        ),
        (
            "{'default_option': ''}",
            "debian",
            "election_rules('board').method_params['default_option'] is ''.",
            "Fix: give the option's label on one line (up to 100 characters), such as "
            '"None Of The Above", or None.',
        ),
        (
            "{'default_option': 'None Of The Above'}",
            "schulze",
            "election_rules('board').method_params names default_option, but method schulze takes no "
            "parameters.",
            "Fix: remove them, or count with method debian.",
        ),
    ],
)
def test_bad_method_params_are_refused_at_load(
    tmp_path: Path, params: str, method: str, message: str, fix: str
) -> None:
    path = _module(tmp_path, params, method)
    with pytest.raises(InvalidInput) as refused:
        load_policy(path)
    assert refused.value.message == f"Policy module {path} (debian 1.0): {message}"
    assert refused.value.hint == fix


def test_good_method_params_load(tmp_path: Path) -> None:
    path = _module(tmp_path, "{'default_option': 'Reopen Nominations', 'quorum': 10, 'supermajority': 2}")
    rules = load_policy(path).election_rules(BodyFacts("b", "B", "board"))
    assert rules.default_option == "Reopen Nominations"
    text = "\n".join(explain(load_policy(path), BodyFacts("b", "B", "board")))
    assert (
        "Quorum: a candidate needs at least 10 voters ranking them above Reopen Nominations; else they are "
        "dropped." in text
    )
    assert (
        "A candidate also needs 2 times as many voters ranking them above Reopen Nominations as below it."
        in text
    )


# ------------------------------------------- the real slack-bolt and discord.py over the loopback fakes


async def _dpl_in_the_alliance(ctx: Context) -> None:
    """A Debian-governed body in the sample alliance: four members, alice and chen standing, voting open."""
    sec = await roster.actor_for_handle(ctx, "sec")
    await bodies.create_body(ctx, sec, "dpl", "Project Leader", "board", policy="debian")
    who = {}
    for handle in ("alice", "bea", "chen", "dana"):
        await bodies.seat(ctx, SYSTEM, "dpl", handle)
        who[handle] = await roster.actor_for_handle(ctx, handle)
    await _election(ctx, sec, "dpl", "dpl-2027", who, ["alice", "chen"])


async def test_a_slack_ballot_ranks_none_of_the_above(slack: SlackHarness) -> None:
    await _dpl_in_the_alliance(slack.ctx)
    view = await slack.open_ballot("bea", "vote dpl-2027")
    ranks = [b for b in view["blocks"] if b["type"] == "input"]
    assert [o["value"] for o in ranks[0]["element"]["options"]] == ["alice", "chen", DEFAULT_OPTION_KEY]
    assert ranks[0]["element"]["options"][-1]["text"]["text"] == NOTA
    sent = await slack.submit("bea", view, {"rank_1": pick(DEFAULT_OPTION_KEY), "rank_2": pick("chen")})
    assert recorded(sent), notice_text(sent)
    receipt = await slack.api.wait_for("chat.postMessage", dm_to("bea"))
    assert "None Of The Above &gt; chen" in receipt[-1].args["text"]  # typed text is escaped for Slack
    assert (await elections.show(slack.ctx, "dpl-2027")).voters == 1


async def test_discord_autocomplete_offers_none_of_the_above_as_nota_in_french(bot: Running) -> None:
    await _dpl_in_the_alliance(bot.ctx)
    offered = await bot.fake.interact(
        bot.fake.command_payload(
            ["vote"],
            {"election": "dpl-2027", "choices": "chen "},
            user_id=user_id("bea"),
            username="bea",
            focused="choices",
            locale="fr",
        )
    )
    assert [(c["name"], c["value"]) for c in offered.data["choices"]] == [
        ("chen 2. alice — Alice Martin", "chen alice"),
        ("chen 2. nota — Aucun des candidats", "chen nota"),
    ]
    typed = await bot.fake.interact(
        bot.fake.command_payload(
            ["vote"],
            {"election": "dpl-2027", "choices": "chen no"},
            user_id=user_id("bea"),
            username="bea",
            focused="choices",
            locale="fr",
        )
    )
    assert [c["value"] for c in typed.data["choices"]] == ["chen nota"]
    cast = await bot.fake.interact(
        bot.fake.command_payload(
            ["vote"], {"election": "dpl-2027", "choices": "chen nota"}, user_id=user_id("bea"), username="bea"
        )
    )
    assert "Ballot recorded in dpl-2027: chen > None Of The Above." in cast.content
    assert (await elections.show(bot.ctx, "dpl-2027")).voters == 1


async def test_a_discord_ballot_ranks_none_of_the_above(bot: Running) -> None:
    await _dpl_in_the_alliance(bot.ctx)
    ballot = await bot.fake.interact(
        bot.fake.command_payload(["vote"], {"election": "dpl-2027"}, user_id=user_id("bea"), username="bea")
    )
    (select_,) = [c for c in ballot.components() if c["type"] == 3]
    assert [o["value"] for o in select_["options"]] == ["alice", "chen", DEFAULT_OPTION_KEY]
    assert select_["options"][-1]["label"] == NOTA
    press = bot.fake.component_payload(
        select_["custom_id"], user_id=user_id("bea"), username="bea", values=[DEFAULT_OPTION_KEY]
    )
    first = await bot.fake.interact(press)
    assert "1. None Of The Above\n" in first.content
    cast_id = next(c["custom_id"] for c in first.components() if c.get("label") == "Cast ballot")
    cast = await bot.fake.interact(
        bot.fake.component_payload(cast_id, user_id=user_id("bea"), username="bea")
    )
    assert "Ballot recorded in dpl-2027: None Of The Above." in cast.content
    assert (await elections.show(bot.ctx, "dpl-2027")).voters == 1
