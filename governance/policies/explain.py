"""Plain sentences describing a policy's rules for one body, generated from the module's own answers
(its rule data and the docstrings of its ``may_*`` functions), so what is shown is what is enforced.

Every sentence is built in the reader's locale (``governance.i18n``). A ``may_*`` docstring is shown
translated when the catalog knows it: message extraction does not read docstrings, so the shipped
presets' sentences are listed in ``PRESET_RULES`` for the catalog (``tests/test_i18n.py`` checks each
preset's docstrings are there); an operator's own policy module is shown in the words it was written in.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from datetime import timedelta
from fractions import Fraction
from typing import Any

from governance import labels
from governance.i18n import N_, _, ngettext
from governance.policies import LoadedPolicy
from governance.policies.base import ACTION_WORDS, STATES, BodyFacts, ElectionRules, MotionRules
from governance.policies.claims import PeriodClaim, election_period_claim, motion_period_claim, state_claims
from governance.services.bounds import duration_words, seat_range, secret_allowed
from governance.tally.debian import quorum_multiple

PRESET_RULES: tuple[str, ...] = (
    # alliance
    N_("Board: the voting representative of an active member organisation; else: members of the body."),
    N_("Board: anyone active at an active member organisation; else: members of the body."),
    N_("Anyone active who could stand may nominate (themselves or another)."),
    N_("Members of the body (and the secretariat) propose motions."),
    N_("Voting members of the body vote on its motions."),
    N_("Only the secretariat (admins) creates, opens, closes and certifies elections."),
    N_("A chair is an active person of an active member organisation."),
    # asf
    N_("Every active member votes, one vote each (the roster is the membership)."),
    N_("Any active member may stand."),
    N_("Any active member nominates (themselves or another)."),
    N_("Members of the body propose resolutions to it."),
    N_("Members of the body vote on its resolutions."),
    N_("The Secretary (admins) runs elections."),
    N_("Any active member may chair."),
    # debian
    N_("Members of the body (Developers) vote, one vote each."),
    N_("Any member may stand."),
    N_("Candidates nominate themselves (§5.2.2)."),
    N_("Any member may propose a resolution."),
    N_("Members vote on resolutions."),
    N_("The Project Secretary (an admin) runs votes (§7.2)."),
    N_("Any active member may be a delegate."),
    # kubernetes
    N_("One vote per eligible person (any active person on the roster; their employer does not matter)."),
    N_("Any eligible voter may stand."),
    N_("A candidate needs another eligible person's endorsement: nobody nominates themselves."),
    N_("Committee members propose."),
    N_("Committee members vote on motions."),
    N_("Election officers (admins) run elections."),
    N_("Any active contributor may chair."),
    # lazy_consensus
    N_("Members of the body vote."),
    N_("Members of the body stand."),
    N_("Members nominate."),
    N_("Members propose."),
    N_("Members vote (and object)."),
    N_("Admins run elections."),
    N_("Any member in good standing may chair."),
)
"""The first paragraph of each shipped preset's ``may_*`` docstrings, for the message catalog."""

_FRACTIONS: Mapping[Fraction, str] = {
    Fraction(1, 2): N_("half"),
    Fraction(2, 3): N_("two thirds"),
    Fraction(3, 4): N_("three quarters"),
    Fraction(1): N_("all"),
}
_BASES: Mapping[str, str] = {
    "cast": N_("of the votes cast (abstentions count against)"),
    "cast_excluding_abstentions": N_("of the yes and no votes (abstentions do not count)"),
    "seated": N_("of all seated members (silence counts against)"),
}
_MOTION_SUBJECTS: Mapping[str, str] = {
    "ordinary": N_("An ordinary motion"),
    "charter": N_("A charter motion"),
}


def _doc(fn: Callable[..., Any]) -> str:
    """The first paragraph of ``fn``'s docstring on one line, in the reader's language if known."""
    text = inspect.getdoc(fn) or ""
    return _(text.split("\n\n")[0].replace("\n", " ").strip())


def _fraction(value: Fraction) -> str:
    return _(_FRACTIONS[value]) if value in _FRACTIONS else f"{value.numerator}/{value.denominator}"


def _hours(offsets: tuple[timedelta, ...]) -> str:
    parts = [f"{int(o.total_seconds() // 3600)}h" if o >= timedelta(hours=1) else str(o) for o in offsets]
    return ", ".join(parts)


def _method(rules: ElectionRules) -> str:
    return labels.method_name(rules.method)  # its parameters (debian's) are explained on their own


def _default_option_sentences(rules: ElectionRules) -> list[str]:
    """What a debian count's default option, quorum and majority ratio (``DebianParams``) mean for voters."""
    label = rules.default_option
    if label is None:
        return []
    option = _(label)
    out = [
        _(
            "Every ballot also offers {option}, ranked like a candidate; it is never elected: if it wins, "
            "no one is.",
            option=option,
        )
    ]
    quorum = rules.method_params.get("quorum")
    if isinstance(quorum, str) and quorum_multiple(quorum) is not None:
        out.append(
            _(
                "Quorum: a candidate needs at least {rule} voters ranking them above {option}, Q being half "
                "the square root of the number of people who may vote when voting opens; else they are "
                "dropped.",
                rule=quorum.strip(),
                option=option,
            )
        )
    elif quorum is not None:
        out.append(
            _(
                "Quorum: a candidate needs at least {votes} voters ranking them above {option}; else they "
                "are dropped.",
                votes=quorum,
                option=option,
            )
        )
    ratio = rules.method_params.get("supermajority")
    if ratio is None or ratio == 1:
        out.append(
            _("A candidate also needs more voters ranking them above {option} than below it.", option=option)
        )
    else:
        out.append(
            _(
                "A candidate also needs {ratio} times as many voters ranking them above {option} as below "
                "it.",
                ratio=ratio,
                option=option,
            )
        )
    return out


def election_sentences(rules: ElectionRules, body: BodyFacts) -> list[str]:
    """What the election rules say, one sentence each."""
    fields = {"body": body.name, "method": _method(rules)}
    if rules.secret:
        counting = ngettext(
            "Elections to {body} fill {n} seat by {method}, by secret ballot.",
            "Elections to {body} fill {n} seats by {method}, by secret ballot.",
            rules.seats,
            **fields,
        )
    else:
        counting = ngettext(
            "Elections to {body} fill {n} seat by {method}, by public ballot.",
            "Elections to {body} fill {n} seats by {method}, by public ballot.",
            rules.seats,
            **fields,
        )
    out = [
        counting,
        _(
            "Nominations stay open {nomination_days} days and voting {voting_days} days; reminders go out "
            "{hours} before voting closes.",
            nomination_days=rules.nomination_days,
            voting_days=rules.voting_days,
            hours=_hours(rules.reminder_offsets),
        ),
    ]
    out[1:1] = _default_option_sentences(rules)
    if rules.organisation_cap or rules.tier_caps:
        limits = [
            _("at most {cap}", cap=rules.organisation_cap)
            if rules.organisation_cap
            else _("no general limit")
        ]
        limits += [_("{tier} members {cap}", tier=tier, cap=cap) for tier, cap in rules.tier_caps.items()]
        out.append(
            _(
                "Seats per organisation: {limits}, counting seats its continuing members hold; an over-cap "
                "candidate is passed over and the seat goes to the next in line.",
                limits="; ".join(limits),
            )
        )
    term = (
        _("Terms last {months} months", months=rules.term_months)
        if rules.term_months
        else _("Seats are held until the next election")
    )
    if rules.staggered:
        term = _("{term}, staggered", term=term)
    if rules.term_limit:
        term = _("{term}; at most {limit} consecutive terms", term=term, limit=rules.term_limit)
    out.append(f"{term}.")
    if rules.staggered:
        out.append(
            ngettext(
                "{body} has {n} seat on staggered terms: an election fills the seats whose terms end by its "
                "voting close, and any vacant seat; with none free, it cannot be created.",
                "{body} has {n} seats on staggered terms: an election fills the seats whose terms end by its "
                "voting close, and any vacant seat; with none free, it cannot be created.",
                rules.seats,
                body=body.name,
            )
        )
    out.append(
        _("Candidates may nominate themselves.")
        if rules.self_nomination
        else _("Nobody may nominate themselves.")
    )
    out.append(
        _("A voter may give their vote to another eligible voter as proxy; voting in person overrides it.")
        if rules.proxies
        else _("Votes cannot be given to a proxy.")
    )
    out.append(
        _("A ballot may be replaced until voting closes.")
        if rules.vote_replacement
        else _("A ballot is final.")
    )
    out += election_bound_sentences(rules) + electorate_sentences(rules)
    return out


def _period_sentence(claim: PeriodClaim, subject: str | None) -> str:
    """What voting period may be chosen for a poll, from its claim (``subject``: a motion's, else None)."""
    least, most = duration_words(claim.least), duration_words(claim.most) if claim.most else None
    if claim.most == claim.least:  # nothing to choose: say the one period
        return (
            _("Voting always closes {least} after it opens; no other deadline may be chosen.", least=least)
            if subject is None
            else _(
                "{subject}: voting always closes {least} after it is proposed; no other deadline may be "
                "chosen.",
                subject=subject,
                least=least,
            )
        )
    if subject is None:
        return (
            _(
                "A voting deadline may be chosen from {least} to {most} after voting opens.",
                least=least,
                most=most,
            )
            if most
            else _("A voting deadline may be chosen at least {least} after voting opens.", least=least)
        )
    return (
        _(
            "{subject}: a deadline may be chosen from {least} to {most} after it is proposed.",
            subject=subject,
            least=least,
            most=most,
        )
        if most
        else _(
            "{subject}: a deadline may be chosen at least {least} after it is proposed.",
            subject=subject,
            least=least,
        )
    )


def election_bound_sentences(rules: ElectionRules) -> list[str]:
    """What an admin may choose per election instead of the policy's own values (``Bounds``)."""
    out: list[str] = []
    others = sorted(rules.bounds.methods - {rules.method})
    if others:
        out.append(
            _(
                "An admin may count an election by another method instead: {methods}.",
                methods=", ".join(labels.method_name(m) for m in others),
            )
        )
    span = seat_range(rules)
    if span is not None and span[0] != span[1]:
        out.append(
            _("An admin may choose from {least} to {most} seats per election.", least=span[0], most=span[1])
        )
    out.append(_period_sentence(election_period_claim(rules), None))
    return out


def electorate_sentences(rules: ElectionRules) -> list[str]:
    """When the electorate is fixed, who may ask for an exception until when, and the monitors' part."""
    out = [
        _("Who may vote is fixed when voting opens and listed before it (`election voters`).")
        if rules.electorate_cutoff is None
        else _(
            "Who may vote is fixed {cutoff} before voting opens and listed from then (`election voters`).",
            cutoff=duration_words(rules.electorate_cutoff),
        )
    ]
    if rules.exceptions_due is None:
        out.append(_("Nobody left out of the electorate can be added by exception."))
    elif rules.exceptions_due == timedelta(0):
        out.append(
            _(
                "A person left out may ask for an exception (`election exception`) until voting closes; "
                "the secretariat grants or denies it with a reason."
            )
        )
    else:
        out.append(
            _(
                "A person left out may ask for an exception (`election exception`) until {due} before "
                "voting closes; the secretariat grants or denies it with a reason.",
                due=duration_words(rules.exceptions_due),
            )
        )
    if rules.monitor_signatures:
        out.append(
            ngettext(
                "Certifying needs {n} election monitor's co-signature of the close's signed checkpoint.",
                "Certifying needs {n} election monitors' co-signatures of the close's signed checkpoint.",
                rules.monitor_signatures,
            )
        )
    return out


def motion_sentences(rules: MotionRules, kind: str) -> list[str]:
    """What the motion rules for ``kind`` say, one sentence each."""
    subject = (
        _(_MOTION_SUBJECTS[kind])
        if kind in _MOTION_SUBJECTS
        else _("A motion of kind {kind}", kind=labels.label(labels.MOTION_KINDS, kind))
    )
    if rules.lazy_consensus:
        first = _(
            "{subject} passes by lazy consensus after {days} days unless someone objects (votes no).",
            subject=subject,
            days=rules.voting_days,
        )
    else:
        fields = {
            "subject": subject,
            "fraction": _fraction(rules.threshold),
            "base": _(_BASES[rules.threshold_of]),
            "days": rules.voting_days,
        }
        first = (
            _("{subject} passes with more than {fraction} {base}; voting lasts {days} days.", **fields)
            if rules.strict
            else _("{subject} passes with at least {fraction} {base}; voting lasts {days} days.", **fields)
        )
    out = [first]
    if rules.quorum and not rules.lazy_consensus:
        quorum = _fraction(rules.quorum)
        out.append(
            _("Quorum: {fraction} of the seated members (abstentions count toward it).", fraction=quorum)
            if rules.quorum_counts_abstentions
            else _("Quorum: {fraction} of the seated members (abstentions do not count).", fraction=quorum)
        )
    if rules.secret:
        out.append(_("It is voted by secret ballot."))
    elif secret_allowed(rules):
        out.append(
            _(
                "It is voted by roll call (every vote is public), unless the proposer asks for a secret "
                "ballot."
            )
        )
    else:
        out.append(_("It is voted by roll call (every vote is public)."))
    if rules.early_close:
        out.append(_("It closes as soon as the remaining votes can no longer change the outcome."))
    if rules.proxies:
        out.append(_("A member may name a proxy for it; voting in person overrides the proxy."))
    if not rules.vote_replacement:
        out.append(_("A vote cannot be changed once cast."))
    out.append(_period_sentence(motion_period_claim(rules), subject))
    return out


def working_group_sentences(policy: LoadedPolicy, body: BodyFacts) -> list[str]:
    """How a working group admits, sizes and retires its members, one sentence each."""
    wg = policy.working_group_rules(body)
    chairs = _doc(policy.may_chair)
    out = [
        _("Joining: anyone may join at once. Chairs: {chairs}", chairs=chairs)
        if policy.join_rule(body) == "open"
        else _("Joining: a chair approves each request. Chairs: {chairs}", chairs=chairs)
    ]
    if wg.max_members:
        out.append(ngettext("At most {n} member.", "At most {n} members.", wg.max_members))
    if wg.inactivity_days:
        days = wg.inactivity_days
        out.append(
            _(
                "A member who votes on none of its motions for {days} days is listed for the chairs' review "
                "and, once they confirm, becomes emeritus.",
                days=days,
            )
            if wg.on_inactive == "emeritus"
            else _(
                "A member who votes on none of its motions for {days} days is listed for the chairs' review "
                "and, once they confirm, is removed.",
                days=days,
            )
        )
    if wg.on_leave == "emeritus":
        out.append(_("A member who leaves stays on the list as emeritus."))
    return out


def explain(policy: LoadedPolicy, body: BodyFacts) -> list[str]:
    """The rules of ``policy`` for ``body`` in plain sentences, grouped under headings."""
    lines = [
        _(
            "{body} is governed by policy {name} {version} (sha256 {sha256_12}).",
            body=body.name,
            name=policy.name,
            version=policy.version,
            sha256_12=policy.sha256[:12],
        )
    ]
    lines.append(_("Who takes part:"))
    for label, fn in (
        (_("Voting"), policy.may_vote),
        (_("Standing [who may stand]"), policy.may_stand),
        (_("Nominating"), policy.may_nominate),
        (_("Motions"), policy.may_propose),
        (_("Voting on motions"), policy.may_vote_on_motion),
        (_("Running elections"), policy.may_run_elections),
    ):
        lines.append("  " + _("{label}: {rule}", label=label, rule=_doc(fn)))
    lines.append(_("Elections:"))
    lines += [f"  {s}" for s in election_sentences(policy.election_rules(body), body)]
    lines.append(_("Motions:"))
    for kind in ("ordinary", "charter"):
        lines += [f"  {s}" for s in motion_sentences(policy.motion_rules(body, kind), kind)]
    if body.kind == "working_group":
        lines.append(_("Working group:"))
        lines += [f"  {s}" for s in working_group_sentences(policy, body)]
    elif policy.working_group_rules(body).on_leave == "emeritus":
        lines.append(_("Membership:"))
        lines.append("  " + _("A member who leaves stays on the list as emeritus, without a vote."))
    lines.append(_("Member states:"))
    claims = state_claims(policy)  # the data `govbot policy check` and the tests hold the answers to
    for state in STATES:
        allowed = [c.action for c in claims if c.state == state and c.allowed]
        name = labels.label(labels.MEMBER_STATES, state)
        if allowed:
            words = ", ".join(_(ACTION_WORDS[a]) for a in allowed)
            lines.append("  " + _("{state}: may {actions}.", state=name, actions=words))
        else:
            lines.append("  " + _("{state}: may do nothing.", state=name))
    lines.append(
        "  "
        + _(
            "The states bind admins too. A body's last chair in office cannot leave, become emeritus, be "
            "suspended there, give up the role or be removed until a successor is seated; a body left "
            "with no chair in office is flagged and the secretariat told, and decides its join requests."
        )
    )
    return lines
