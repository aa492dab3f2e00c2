"""Motion commands: propose, vote, show, close, withdraw."""

from __future__ import annotations

from bot.grammar import REGISTRY as REGISTRY
from bot.grammar import Invocation, command
from bot.grammar import Spec as Spec
from bot.grammar import parse_when as parse_when
from bot.present.replies import Reply, Table
from governance import labels
from governance.i18n import _, current_locale
from governance.services import motions
from governance.tally.motion import reason_text

# ---------------------------------------------------------------- motions


@command("motion list", "", "List motions.", options={"body": "value"}, public=True)
async def motion_list(inv: Invocation) -> Reply:
    """motion list"""
    rows = await motions.list_motions(inv.ctx, inv.opt("body"))
    table = Table(
        ["#", _("title"), _("body"), _("phase"), _("outcome"), _("deadline")],
        [
            [f"M{m.id}", m.title, b.slug, m.phase, m.outcome or "-", inv.show_time(m.deadline)]
            for m, b in rows
        ],
    )
    return Reply(text=_("{len_rows} motion(s).", len_rows=len(rows)), tables=[table])


@command(
    "motion propose",
    "<body> <title>",
    "Propose a motion to a body.",
    options={"text": "value", "kind": "value", "deadline": "value", "secret": "flag"},
    examples=(
        'motion propose toc "Adopt the model licence" --deadline +7d',
        'motion propose toc "Amend the charter" --kind charter',
    ),
    public=True,
)
async def motion_propose(inv: Invocation) -> Reply:
    """motion propose"""
    m = await motions.propose(
        inv.ctx,
        inv.actor,
        inv.arg("body"),
        inv.arg("title"),
        inv.opt("text"),
        kind=inv.opt("kind") or "ordinary",
        deadline=inv.when("deadline"),
        secret=True if inv.flag("secret") else None,
    )
    params = {
        "id": m.id,
        "deadline": inv.show_time(m.deadline),
        "threshold": m.threshold,
        "base": labels.label(labels.THRESHOLD_BASES, m.threshold_of),
        "quorum": m.quorum,
        "seated": m.seated,
    }
    if m.secret:
        text = _(
            "Motion M{id} is open until {deadline}: needs {threshold} ({base}) with a quorum of {quorum} of "
            "{seated} seated; secret ballot.",
            **params,
        )
    else:
        text = _(
            "Motion M{id} is open until {deadline}: needs {threshold} ({base}) with a quorum of {quorum} of "
            "{seated} seated; roll-call (public).",
            **params,
        )
    return Reply(text=text, ballot=("motion", str(m.id)))


@command(
    "motion vote",
    "<motion> <choice>",
    "Vote yes, no or abstain; voting again replaces your vote. --proxy-for H: vote as H's proxy.",
    options={"proxy-for": "value"},
    examples=("motion vote 3 yes", "motion vote 3 no --proxy-for alice"),
    opens_ballot="motion",
)
async def motion_vote(inv: Invocation) -> Reply:
    """motion vote"""
    r = await motions.vote(
        inv.ctx, inv.actor, inv.arg("motion"), inv.arg("choice"), for_handle=inv.opt("proxy-for")
    )
    if r.replaced and r.public:
        text = _(
            "Your vote on M{id} changed to {choice}. This is a roll-call vote: your vote is public.",
            id=r.motion_id,
            choice=labels.label(labels.CHOICES, r.choice),
        )
    elif r.replaced:
        text = _(
            "Your vote on M{id} changed to {choice}. Receipt: {receipt}.",
            id=r.motion_id,
            choice=labels.label(labels.CHOICES, r.choice),
            receipt=r.receipt,
        )
    elif r.public:
        text = _(
            "Your vote on M{id} recorded: {choice}. This is a roll-call vote: your vote is public.",
            id=r.motion_id,
            choice=labels.label(labels.CHOICES, r.choice),
        )
    else:
        text = _(
            "Your vote on M{id} recorded: {choice}. Receipt: {receipt}.",
            id=r.motion_id,
            choice=labels.label(labels.CHOICES, r.choice),
            receipt=r.receipt,
        )
    return Reply(text=text, ephemeral=True)


@command("motion show", "<motion>", "Show a motion, its roll call and result.", public=True)
async def motion_show(inv: Invocation) -> Reply:
    """motion show"""
    view = await motions.show(inv.ctx, inv.arg("motion"))
    m = view.motion
    phase = labels.label(labels.MOTION_PHASES, m.phase)
    if m.outcome:
        heading = _(
            "M{id} {title} — {body}, {phase}, {outcome}.",
            id=m.id,
            title=m.title,
            body=view.body.name,
            phase=phase,
            outcome=labels.label(labels.OUTCOMES, m.outcome),
        )
    else:
        heading = _(
            "M{id} {title} — {body}, {phase}.", id=m.id, title=m.title, body=view.body.name, phase=phase
        )
    lines = [
        heading,
        _(
            "Needs {threshold} of {base}, quorum {quorum} of {seated} seated; deadline {deadline}; "
            "{voters} voted.",
            threshold=m.threshold,
            base=labels.label(labels.THRESHOLD_BASES, m.threshold_of),
            quorum=m.quorum,
            seated=m.seated,
            deadline=inv.show_time(m.deadline),
            voters=view.voters,
        ),
    ]
    lines.extend(view.choices)  # what the proposer chose within the policy's bounds
    if m.text:
        lines.append(m.text)
    if view.result:
        lines.append(reason_text(view.result, current_locale()))
    tables = (
        [
            Table(
                [_("member"), _("vote")],
                [[n, labels.label(labels.CHOICES, c)] for n, c in view.roll_call],
                _("Roll call"),
            )
        ]
        if view.roll_call
        else []
    )
    return Reply(text="\n".join(lines), tables=tables)


@command(
    "motion close",
    "<motion>",
    "Close a motion and decide it (after its deadline; admins earlier).",
    public=True,
)
async def motion_close(inv: Invocation) -> Reply:
    """motion close"""
    outcome = await motions.close(inv.ctx, inv.actor, inv.arg("motion"))
    if outcome.passed:
        return Reply(
            text=_("Motion passed: {reason}", reason=reason_text(outcome.to_json(), current_locale()))
        )
    return Reply(
        text=_("Motion did not pass: {reason}", reason=reason_text(outcome.to_json(), current_locale()))
    )


@command("motion withdraw", "<motion>", "Withdraw a motion (its proposer or admins).")
async def motion_withdraw(inv: Invocation) -> Reply:
    """motion withdraw"""
    m = await motions.withdraw(inv.ctx, inv.actor, inv.arg("motion"))
    return Reply(text=_("Motion M{m_id} withdrawn.", m_id=m.id))
