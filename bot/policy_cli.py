"""``govbot policy check``: validate a policy module and print its rules in plain sentences.

It needs no settings, database or chat platform: a policy's author runs it on their own machine. It exits
with 1 when the module is refused, or when its answers disagree with its own explanation (the member
states it claims, the per-poll choices its bounds allow).
"""

from __future__ import annotations

import sys
from datetime import timedelta

from governance import labels
from governance.errors import GovError
from governance.i18n import N_, _, ngettext
from governance.policies import LoadedPolicy, load_policy
from governance.policies.base import ACTION_WORDS, BodyFacts
from governance.policies.claims import BoundDisagreement, Disagreement, check_bound_claims, check_claims
from governance.policies.explain import explain
from governance.services.bounds import duration_words


def check(spec: str) -> int:
    """Validate a policy module and print its identity and the rules it gives each kind of body; 0 when
    it loads and its answers agree with its explanation, else 1 with each problem on stderr."""
    try:
        policy = load_policy(spec)
    except GovError as exc:
        print(_("govbot: invalid policy: {error}", error=exc), file=sys.stderr)
        return 1
    print(
        _(
            "OK: policy {name} {version}, sha256 {sha256} ({origin}).",
            name=policy.name,
            version=policy.version,
            sha256=policy.sha256,
            origin=policy.origin,
        )
    )
    for body in (
        BodyFacts("board", _("The board"), "board"),
        BodyFacts("committee", _("A committee"), "committee"),
        BodyFacts("working-group", _("A working group"), "working_group"),
    ):
        lines = explain(policy, body)
        print()
        print("\n".join(lines if body.kind == "board" else lines[1:]))
    return _claims_check(policy)


def _claims_check(policy: LoadedPolicy) -> int:
    """Compare the module's answers with its explanation's member-state claims; 1 on any disagreement."""
    disagreements = check_claims(policy)
    for d in disagreements:
        print(_disagreement(d), file=sys.stderr)
    bounds = _bounds_check(policy)
    if disagreements:
        print(
            _(
                "govbot: {count} answer(s) of {module} disagree with its explanation: apply the member "
                "states in each may_* answer (state_refusal, admin_refusal, manager_refusal in "
                "governance/policies/base.py), or change MEMBER_STATES.",
                count=len(disagreements),
                module=policy.origin,
            ),
            file=sys.stderr,
        )
    if disagreements or bounds:
        return 1
    print(_("OK: its answers agree with the explanation's member states."))
    return 0


_POLLS = {
    "election": N_("an election"),
    "ordinary": N_("an ordinary motion"),
    "charter": N_("a charter motion"),
}


def _choice(d: BoundDisagreement) -> str:
    """The choice a bounds disagreement is about, in words."""
    if isinstance(d.value, timedelta):
        return _("a voting period of {period}", period=duration_words(d.value))
    if isinstance(d.value, int):
        return ngettext("{n} seat", "{n} seats", d.value)
    return _("the method {method}", method=labels.method_name(d.value))


def _bounds_check(policy: LoadedPolicy) -> int:
    """Print each per-poll choice (voting period, seats, method) the explanation allows or refuses that
    the services' checks answer otherwise; the number printed."""
    found = check_bound_claims(policy)
    for d in found:
        fields = {
            "module": d.module,
            "choice": _choice(d),
            "poll": _(_POLLS[d.poll]),
            "kind": labels.label(labels.BODY_KINDS, d.body_kind),
        }
        print(
            _(
                "govbot: {module}: the explanation lets {poll} of a {kind} have {choice}, but the service "
                "refuses it ({rule}).",
                rule=d.refusal,
                **fields,
            )
            if d.claimed
            else _(
                "govbot: {module}: the explanation refuses {poll} of a {kind} {choice}, but the service "
                "answers {got}.",
                got=_("refused ({rule})", rule=d.refusal) if d.refusal else _("allowed"),
                **fields,
            ),
            file=sys.stderr,
        )
    if found:
        print(
            _(
                "govbot: {count} per-poll choice(s) of {module} disagree with its explanation: make the "
                "Bounds fit the counting method and the voting periods.",
                count=len(found),
                module=policy.origin,
            ),
            file=sys.stderr,
        )
    return len(found)


def _disagreement(d: Disagreement) -> str:
    """One disagreement in a sentence: module, claim, the answer asked and its facts, expected and got."""
    state = labels.label(labels.MEMBER_STATES, d.state)
    action = _(ACTION_WORDS[d.action]) if d.action in ACTION_WORDS else d.action
    claim = (
        _("{state}: may {action}", state=state, action=action)
        if d.claimed
        else _("{state}: may not {action}", state=state, action=action)
    )
    facts = [labels.label(labels.BODY_KINDS, d.body_kind)]
    facts.append(labels.label(labels.ROLES, d.seat) if d.seat else _("no seat"))
    if d.admin:
        facts.append(_("admin"))
    facts.append(
        _("{state} in the body", state=state) if d.in_body else _("{state} on the roster", state=state)
    )
    got = _("refused ({rule})", rule=d.refusal) if d.refusal else _("allowed")
    expected = _("allowed") if d.claimed else _("refused")
    return _(
        "govbot: {module}: the explanation says “{claim}”, but {answer} ({facts}) answers {got}; "
        "expected {expected}.",
        module=d.module,
        claim=claim,
        answer=d.answer,
        facts=", ".join(facts),
        got=got,
        expected=expected,
    )
