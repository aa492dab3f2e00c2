"""Policy commands, registered on import by bot.commands: the rules of a body in plain sentences, naming
a proxy on a motion or in an election, and member states."""

from __future__ import annotations

from bot.grammar import Invocation, command
from bot.present.replies import Reply
from governance import labels
from governance.i18n import _
from governance.services import bodies, elections, motions


@command(
    "policy",
    "<body>",
    "Show the rules that govern a body, in plain sentences, from its policy module.",
    examples=("policy board", "policy toc"),
)
async def policy_show(inv: Invocation) -> Reply:
    """policy <body>"""
    lines = await bodies.rules_of(inv.ctx, inv.arg("body"))
    return Reply(text=lines[0], block="\n".join(lines[1:]))


@command(
    "motion proxy",
    "<motion> <handle>",
    "Name another member to vote for you on one motion (when the policy allows proxies).",
    examples=("motion proxy 3 bea",),
)
async def motion_proxy(inv: Invocation) -> Reply:
    """motion proxy <motion> <handle>"""
    proxy = await motions.delegate(inv.ctx, inv.actor, inv.arg("motion"), inv.arg("handle"))
    return Reply(
        text=_(
            "Proxy named on M{proxy_motion_id}: @{inv_arg_handle_lstrip_lower} may vote for you. Voting "
            "yourself before the deadline overrides it.",
            proxy_motion_id=proxy.motion_id,
            inv_arg_handle_lstrip_lower=inv.arg("handle").lstrip("@").lower(),
        ),
        ephemeral=True,
    )


@command(
    "election proxy",
    "<election> <handle>",
    "Name another voter to cast your ballot in one election (when the policy allows proxies); your own "
    "vote before voting closes overrides it.",
    examples=("election proxy board-2027 bea",),
)
async def election_proxy(inv: Invocation) -> Reply:
    """election proxy <election> <handle>"""
    await elections.delegate(inv.ctx, inv.actor, inv.arg("election"), inv.arg("handle"))
    return Reply(
        text=_(
            "Proxy named in {election}: @{handle} may cast your ballot. Voting yourself before voting "
            "closes overrides it.",
            election=inv.arg("election").strip().lower(),
            handle=inv.arg("handle").lstrip("@").lower(),
        ),
        ephemeral=True,
    )


@command(
    "body state",
    "<body> <handle> <state>",
    "Set a member's state in a body: active, emeritus, withdrawn or suspended (chairs of a working "
    "group, or the secretariat). The policy's member-states table says what each state may do.",
    options={"reason": "value"},
    examples=("body state toc bob suspended --reason 'Conduct review'", "body state safety dan active"),
)
async def body_state(inv: Invocation) -> Reply:
    """body state <body> <handle> <state>"""
    membership = await bodies.set_state(
        inv.ctx, inv.actor, inv.arg("body"), inv.arg("handle"), inv.arg("state"), inv.opt("reason")
    )
    handle = inv.arg("handle").lstrip("@").lower()
    return Reply(
        text=_(
            "@{handle} is now {state} in {body}.",
            handle=handle,
            state=labels.label(labels.MEMBER_STATES, membership.state),
            body=inv.arg("body").strip().lower(),
        )
    )
