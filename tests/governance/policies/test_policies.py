"""Policies: loading (built-in, dotted, by file, broken ones refused with a message naming the module
and what it lacks) and the alliance charter's rules, each shown to bite."""

from __future__ import annotations

import hashlib
import re
import sys
from dataclasses import replace
from fractions import Fraction
from pathlib import Path

import pytest

from governance.errors import InvalidInput
from governance.policies import REQUIRED, load_policy
from governance.policies import alliance as charter
from governance.policies.base import BodyFacts, PersonFacts, PollFacts
from governance.services import bodies
from governance.services.common import Context
from tests.factories import small_roster

ALLIANCE_SOURCE = Path(charter.__file__).read_text(encoding="utf-8")


def test_builtin_policy_identity() -> None:
    policy = load_policy("alliance")
    assert (policy.name, policy.version, policy.origin) == ("alliance", "1.2", "alliance")
    assert (
        policy.sha256 == hashlib.sha256(Path(charter.__file__).read_bytes()).hexdigest()
    )  # `sha256sum` agrees
    assert policy.identity == {"name": "alliance", "version": "1.2", "sha256": policy.sha256}
    assert load_policy("governance.policies.alliance").sha256 == policy.sha256
    assert load_policy("alliance") is policy  # loaded once


def _write(tmp_path: Path, name: str, source: str) -> str:
    path = tmp_path / f"{name}.py"
    path.write_text(source, encoding="utf-8")
    return str(path)


def test_policy_by_file_path(tmp_path: Path) -> None:
    source = ALLIANCE_SOURCE.replace('NAME = "alliance"', 'NAME = "open-wgs"').replace(
        'return "approval"', 'return "open"'
    )
    # a policy may declare its own dataclasses (they need the module registered while it runs)
    source += "\n\n@dataclass\nclass Extra:\n    note: str = 'x'\n"
    source = source.replace(
        "from fractions import Fraction", "from dataclasses import dataclass\nfrom fractions import Fraction"
    )
    path = _write(tmp_path, "open_wgs", source)
    policy = load_policy(path)
    assert (policy.name, policy.version) == ("open-wgs", "1.2")
    assert policy.sha256 == hashlib.sha256(source.encode()).hexdigest()
    assert policy.join_rule(BodyFacts("wg", "WG", "working_group")) == "open"


@pytest.mark.parametrize("missing", ["may_vote", "join_rule", "may_approve_join"])
def test_a_policy_missing_an_answer_is_refused_when_loaded(tmp_path: Path, missing: str) -> None:
    source = ALLIANCE_SOURCE.replace(f"def {missing}(", f"def _not_{missing}(")
    path = _write(tmp_path, f"lacks_{missing}", source)
    with pytest.raises(InvalidInput) as refused:
        load_policy(path)
    assert path in refused.value.message and "does not answer: " + missing in refused.value.message
    assert "governance/policies/base.py" in (refused.value.hint or "")


def test_a_policy_missing_several_answers_names_them_all(tmp_path: Path) -> None:
    path = _write(
        tmp_path, "tiny", 'NAME = "tiny"\nVERSION = "0.1"\n\ndef may_vote(e, v):\n    return None\n'
    )
    with pytest.raises(InvalidInput) as refused:
        load_policy(path)
    listed = refused.value.message.split("does not answer: ")[1].split(" (missing")[0].split(", ")
    assert listed == [answer for answer in REQUIRED if answer != "may_vote"]


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ('VERSION = "1"\n', "NAME is missing"),
        ('NAME = "x"\n', "VERSION is missing"),
        ('NAME = "x"\nVERSION = 2\n', "VERSION is missing or not a string"),
        ("def broken(:\n", "failed to load (line 1): SyntaxError"),
        ("import no_such_module_anywhere\n", "failed to load: ModuleNotFoundError"),
        ("raise RuntimeError('boom')\n", "failed to load: RuntimeError: boom"),
    ],
)
def test_broken_policy_files_are_refused_with_a_message(tmp_path: Path, source: str, expected: str) -> None:
    path = _write(tmp_path, "broken", source)
    with pytest.raises(InvalidInput, match=re.escape(expected)) as refused:
        load_policy(path)
    assert path in refused.value.message


def test_unknown_policies(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="No policy named 'nope'") as refused:
        load_policy("nope")
    assert "alliance" in (refused.value.hint or "")
    with pytest.raises(InvalidInput, match="does not exist"):
        load_policy(str(tmp_path / "missing.py"))
    with pytest.raises(InvalidInput, match="No policy named"):
        load_policy("")


def test_dotted_policy_with_a_broken_import_is_not_called_missing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "my_charter_pkg").mkdir()
    (tmp_path / "my_charter_pkg" / "__init__.py").write_text("")
    (tmp_path / "my_charter_pkg" / "rules.py").write_text("import not_installed_dependency\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    # A package cached by an earlier run in this process would point at that run's (since removed) tmp_path.
    monkeypatch.delitem(sys.modules, "my_charter_pkg", raising=False)
    with pytest.raises(InvalidInput, match=r"my_charter_pkg\.rules failed to load: ModuleNotFoundError"):
        load_policy("my_charter_pkg.rules")


async def test_a_body_under_a_file_policy_follows_it(ctx: Context, tmp_path: Path) -> None:
    """On both backends: a working group governed by an 'open' policy admits at once."""
    who = await small_roster(ctx)
    path = _write(tmp_path, "open_join", ALLIANCE_SOURCE.replace('return "approval"', 'return "open"'))
    await bodies.create_body(ctx, who["sec"], "open-wg", "Open WG", "wg", policy=path)
    await bodies.create_body(ctx, who["sec"], "closed-wg", "Closed WG", "wg")
    assert (await bodies.request_join(ctx, who["bea"], "open-wg")).status == "active"
    assert (await bodies.request_join(ctx, who["bea"], "closed-wg")).status == "pending"


# ---------------------------------------------------------------- the alliance charter's rules

BOARD = BodyFacts("board", "Board of Directors", "board")
TOC = BodyFacts("toc", "Technical Oversight Committee", "committee")
WG = BodyFacts("safety", "Safety WG", "working_group")
REP = PersonFacts(1, "alice", "Alice", "active", False, "acme", "Acme AI", True, "premier", True, None, None)


def board_poll() -> PollFacts:
    return PollFacts("board-2027", BOARD, 3, "voting")


def test_board_election_rules() -> None:
    rules = charter.election_rules(BOARD)
    assert (rules.method, rules.secret, rules.seats, rules.organisation_cap) == ("stv-meek", True, 3, 1)
    assert charter.election_rules(WG).method == "irv" and charter.election_rules(WG).organisation_cap is None


@pytest.mark.parametrize(
    ("voter", "rule"),
    [
        (REP, None),
        (replace(REP, is_voting_rep=False), "one-vote-per-organisation"),
        (
            replace(REP, organisation=None, organisation_name=None, organisation_active=False),
            "board-electorate",
        ),
        (replace(REP, organisation_active=False), "board-electorate"),
        (replace(REP, status="suspended"), "member-state"),
        (replace(REP, is_admin=True, is_voting_rep=False), "one-vote-per-organisation"),  # admins get no vote
    ],
)
def test_who_votes_for_the_board(voter: PersonFacts, rule: str | None) -> None:
    refusal = charter.may_vote(board_poll(), voter)
    assert (refusal.rule if refusal else None) == rule
    if refusal:
        assert voter.name in refusal.message


@pytest.mark.parametrize(
    ("person", "stand", "nominate"),
    [
        (replace(REP, is_voting_rep=False), None, None),
        (replace(REP, organisation=None, organisation_active=False), "board-candidates", "board-nominators"),
        (replace(REP, status="emeritus"), "member-state", "member-state"),
        (replace(REP, organisation=None, organisation_active=False, is_admin=True), "board-candidates", None),
    ],
)
def test_who_stands_and_nominates_for_the_board(
    person: PersonFacts, stand: str | None, nominate: str | None
) -> None:
    standing = charter.may_stand(board_poll(), person)
    nominating = charter.may_nominate(board_poll(), person, REP)
    assert (standing.rule if standing else None) == stand
    assert (nominating.rule if nominating else None) == nominate


def test_body_elections_and_motions_are_for_members() -> None:
    poll = PollFacts("toc-chair", TOC, 1, "voting")
    member = replace(REP, body_role="member", body_status="active")
    observer = replace(REP, body_role="observer", body_status="active")
    outsider = replace(REP, body_role=None, body_status="pending")
    assert charter.may_vote(poll, member) is None and charter.may_stand(poll, member) is None
    for person in (observer, outsider):
        assert charter.may_vote(poll, person).rule == "members-only"  # type: ignore[union-attr]
        assert charter.may_stand(poll, person).rule == "members-only"  # type: ignore[union-attr]
        assert charter.may_vote_on_motion(TOC, person).rule == "members-only"  # type: ignore[union-attr]
        assert charter.may_propose(TOC, person).rule == "members-propose"  # type: ignore[union-attr]
    assert charter.may_propose(TOC, replace(outsider, is_admin=True)) is None  # the secretariat proposes
    assert charter.may_vote_on_motion(TOC, replace(outsider, is_admin=True)) is not None  # but does not vote
    assert charter.may_vote_on_motion(TOC, replace(member, status="suspended")).rule == "member-state"  # type: ignore[union-attr]


def test_motion_thresholds() -> None:
    ordinary = charter.motion_rules(TOC, "ordinary")
    assert (ordinary.threshold, ordinary.strict, ordinary.quorum) == (Fraction(1, 2), True, Fraction(1, 2))
    assert ordinary.threshold_of == "cast_excluding_abstentions" and ordinary.quorum_counts_abstentions
    assert ordinary.secret is False  # roll-call, public by policy
    change = charter.motion_rules(TOC, "charter")
    assert (change.threshold, change.strict) == (Fraction(2, 3), False)


def test_secretariat_and_chairs() -> None:
    person = replace(REP, body_role=None)
    assert charter.may_administer(person, "add people").rule == "secretariat-only"  # type: ignore[union-attr]
    assert charter.may_administer(replace(person, is_admin=True), "add people") is None
    assert charter.may_run_elections(person, BOARD).rule == "secretariat-runs-elections"  # type: ignore[union-attr]
    assert charter.may_run_elections(replace(person, is_admin=True), BOARD) is None
    assert charter.join_rule(WG) == "approval"
    for role, allowed in [
        ("chair", True),
        ("co_chair", True),
        ("member", False),
        ("observer", False),
        (None, False),
    ]:
        refusal = charter.may_approve_join(WG, replace(person, body_role=role))
        assert (refusal is None) == allowed, role
        if refusal:
            assert refusal.rule == "chairs-approve"
    suspended_chair = replace(person, body_role="chair", status="suspended")
    assert charter.may_approve_join(WG, suspended_chair).rule == "member-state"  # type: ignore[union-attr]


# ---------------------------------------------------------------- refusal rule ids of the other presets

MEMBER = replace(REP, body_role="member", body_status="active", body_state="active")
CHAIR = replace(REP, body_role="chair", body_status="active", body_state="active")
OUTSIDER = replace(REP, is_voting_rep=False)


@pytest.mark.parametrize(
    ("preset", "rule"),
    [("asf", "chair-approves"), ("kubernetes", "chairs-approve"), ("lazy_consensus", "chairs-approve")],
)
def test_only_a_chair_approves_a_join_under_each_preset(preset: str, rule: str) -> None:
    """A plain member asking to approve a join is refused with the preset's own rule id; a chair is not."""
    module = __import__(f"governance.policies.{preset}", fromlist=["may_approve_join"])
    refusal = module.may_approve_join(WG, MEMBER)
    assert refusal is not None and refusal.rule == rule
    assert module.may_approve_join(WG, CHAIR) is None


def test_lazy_consensus_lets_only_members_stand_and_asf_only_members_propose() -> None:
    from governance.policies import asf, lazy_consensus

    poll = PollFacts("wg-lead", WG, 1, "nominations")
    refusal = lazy_consensus.may_stand(poll, OUTSIDER)
    assert refusal is not None and refusal.rule == "members-only"
    assert lazy_consensus.may_stand(poll, MEMBER) is None
    refused = asf.may_propose(WG, OUTSIDER)
    assert refused is not None and refused.rule == "members-propose"
    assert asf.may_propose(WG, MEMBER) is None


def test_a_dotted_policy_is_hashed_from_its_source_file() -> None:
    """The hash recorded with each decision is that of the module's source file, byte for byte."""
    from governance.policies import _load_dotted, asf

    module, source = _load_dotted("asf")
    assert module is asf
    assert source == Path(asf.__file__).read_bytes()


def test_a_module_without_readable_source_is_refused_with_a_hint() -> None:
    """A dotted module with no .py source (a built-in module) cannot be hashed, so it is refused."""
    with pytest.raises(InvalidInput, match=r"^Policy module sys: its source cannot be read") as caught:
        load_policy("sys")
    assert caught.value.hint == "Install the policy as a .py source file."


def test_asf_keeps_the_roster_and_elections_to_the_secretary_with_its_sentences() -> None:
    from governance.policies import asf

    refusal = asf.may_administer(MEMBER, "import the roster")
    assert refusal is not None
    assert (refusal.rule, refusal.message) == ("secretary-only", "Only the Secretary may import the roster.")
    refused = asf.may_run_elections(MEMBER, WG)
    assert refused is not None
    assert (refused.rule, refused.message) == (
        "secretary-runs-elections",
        "Only the Secretary runs elections.",
    )
    assert asf.may_run_elections(replace(MEMBER, is_admin=True), WG) is None
