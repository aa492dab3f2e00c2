"""Issue 20: `govbot policy check PATH` compares a module's answers with its explanation's member-state
claims and reports each disagreement (module, claim, answer asked, expected, got), exiting non-zero."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot import cli
from governance.errors import InvalidInput
from governance.policies import load_policy
from governance.policies.claims import check_bound_claims, check_claims

EXAMPLE = Path(__file__).resolve().parents[3] / "docs" / "examples" / "my_policy.py"

# The example charter, with two answers that forget the states its explanation states.
DISAGREEING = (
    EXAMPLE.read_text(encoding="utf-8").replace('NAME = "my-charter"', 'NAME = "forgetful"')
    + '''

def may_administer(actor: PersonFacts, action: str) -> Refusal | None:
    """Admins keep the roster, whatever their state."""
    return None if actor.is_admin else Refusal("admins-only", f"Only an admin may {action}.")


def may_chair(body: BodyFacts, person: PersonFacts) -> Refusal | None:
    """Anyone may chair."""
    return None
'''
)


def test_a_module_whose_answers_agree_passes(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["policy", "check", str(EXAMPLE)]) == 0
    assert "OK: its answers agree with the explanation's member states." in capsys.readouterr().out


def test_a_disagreeing_module_is_reported_with_each_disagreement(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "forgetful.py"
    path.write_text(DISAGREEING, encoding="utf-8")
    found = check_claims(load_policy(str(path)))
    got = {(d.claim, d.answer, d.in_body) for d in found}
    assert ("suspended: may not administer", "may_administer", False) in got
    assert ("emeritus: may not administer", "may_administer", False) in got
    assert ("withdrawn: may not chair", "may_chair", True) in got  # held in the body, too
    assert {d.claim.split(": ")[1] for d in found} == {"may not administer", "may not chair"}
    assert all(d.module == str(path) and d.refusal is None and d.claimed is False for d in found)

    assert cli.main(["policy", "check", str(path)]) == 1
    err = capsys.readouterr().err
    assert (
        f"govbot: {path}: the explanation says \u201csuspended: may not act for the secretariat\u201d, but "
        "may_administer (board, no seat, admin, suspended on the roster) answers allowed; expected refused."
    ) in err
    assert (
        "\u201cemeritus: may not chair a body\u201d, but may_chair (committee, chair, emeritus in the body)"
        in err
    )
    assert f"govbot: {len(found)} answer(s) of {path} disagree with its explanation" in err


def test_a_states_table_letting_no_admin_act_is_refused_at_load(tmp_path: Path) -> None:
    path = tmp_path / "lockout.py"
    path.write_text(
        EXAMPLE.read_text(encoding="utf-8").replace(
            "MEMBER_STATES = DEFAULT_MEMBER_STATES",
            'MEMBER_STATES = {**DEFAULT_MEMBER_STATES, "active": frozenset({"vote", "stand", "chair"})}',
        ),
        encoding="utf-8",
    )
    with pytest.raises(InvalidInput) as refused:
        load_policy(str(path))
    assert "MEMBER_STATES lets no state administer" in refused.value.message
    assert refused.value.hint is not None and 'add "administer"' in refused.value.hint


def test_a_module_whose_bounds_claim_what_the_service_refuses_is_reported(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # instant-runoff fills one seat, yet the bounds (and so the explanation) offer 1 to 3 seats
    path = tmp_path / "overpromising.py"
    source = EXAMPLE.read_text(encoding="utf-8")
    assert 'method="schulze",\n        seats=2,' in source
    path.write_text(source.replace('method="schulze",\n        seats=2,', 'method="irv",\n        seats=1,'))
    found = check_bound_claims(load_policy(str(path)))
    assert {(d.poll, d.choice, d.value, d.claimed, d.refusal) for d in found} == {
        ("election", "seats", 3, True, "bounds.single-winner")
    }
    assert cli.main(["policy", "check", str(path)]) == 1
    err = capsys.readouterr().err
    assert (
        f"govbot: {path}: the explanation lets an election of a committee have 3 seats, but the service "
        "refuses it (bounds.single-winner)."
    ) in err
    assert f"govbot: 3 per-poll choice(s) of {path} disagree with its explanation" in err
