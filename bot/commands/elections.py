"""Election commands: create, nominate, open, vote, close, certify."""

from __future__ import annotations

from bot import election_final
from bot.grammar import REGISTRY as REGISTRY
from bot.grammar import Invocation, command
from bot.grammar import Spec as Spec
from bot.grammar import parse_when as parse_when
from bot.present.replies import Reply, Table
from governance import labels
from governance import text as text_rules
from governance.errors import InvalidInput
from governance.i18n import _, current_locale, ngettext
from governance.policies.base import DEFAULT_OPTION_ALIAS
from governance.services import elections, terms

# ---------------------------------------------------------------- elections


@command("election list", "", "List elections.", options={"body": "value"}, public=True)
async def election_list(inv: Invocation) -> Reply:
    """election list"""
    rows = await elections.list_elections(inv.ctx, inv.opt("body"))
    table = Table(
        [_("id"), _("title"), _("body"), _("seats"), _("method"), _("phase"), _("voting closes")],
        [
            [e.slug, e.title, b.slug, str(e.seats), e.method, e.phase, inv.show_time(e.voting_close_at)]
            for e, b in rows
        ],
    )
    return Reply(text=_("{len_rows} election(s).", len_rows=len(rows)), tables=[table])


@command(
    "election create",
    "<slug>",
    "Create an election to a body (admins). Where terms are staggered it fills the seats free by its voting "
    "close; --seats may leave a vacant one for later.",
    options={
        "body": "value",
        "seats": "value",
        "method": "value",
        "title": "value",
        "nominations-close": "value",
        "voting-close": "value",
    },
    examples=('election create board-2027 --body board --seats 3 --title "Board 2027"',),
    public=True,
    admin_only=True,
)
async def election_create(inv: Invocation) -> Reply:
    """election create"""
    body = inv.opt("body")
    if not body:
        raise InvalidInput(_("Say which body the election fills: --body <body>."), _("See `body list`."))
    seats_text = inv.opt("seats")
    if seats_text is not None and not text_rules.NUMBER_RE.fullmatch(seats_text):
        raise InvalidInput(
            _("--seats takes a whole number, not {seats_text!r}.", seats_text=text_rules.echo(seats_text))
        )
    election = await elections.create_election(
        inv.ctx,
        inv.actor,
        body,
        inv.arg("slug"),
        inv.opt("title"),
        seats=text_rules.parse_number(seats_text, _("--seats"), high=1000) if seats_text else None,
        method=inv.opt("method"),
        nominations_close_at=inv.when("nominations-close"),
        voting_close_at=inv.when("voting-close"),
    )
    params = {
        "election_title": election.title,
        "election_slug": election.slug,
        "election_seats": election.seats,
        "election_method": labels.method_name(election.method),
        "election_policy_name": election.policy_name,
        "election_policy_version": election.policy_version,
    }
    if election.secret:
        text = _(
            "Created {election_title} ({election_slug}): {election_seats} seat(s), {election_method}, "
            "secret ballot, policy {election_policy_name} {election_policy_version}. Next: "
            "`election open-nominations {election_slug}`.",
            **params,
        )
    else:
        text = _(
            "Created {election_title} ({election_slug}): {election_seats} seat(s), {election_method}, "
            "public ballot, policy {election_policy_name} {election_policy_version}. Next: "
            "`election open-nominations {election_slug}`.",
            **params,
        )
    return Reply(text=text)


@command(
    "election show", "<election>", "Show an election: phase, deadlines, candidates, turnout.", public=True
)
async def election_show(inv: Invocation) -> Reply:
    """election show"""
    view = await elections.show(inv.ctx, inv.arg("election"))
    e = view.election
    lines = [
        _(
            "{title} ({slug}) — {body}: {seats} seat(s), {method}, phase {phase}.",
            title=e.title,
            slug=e.slug,
            body=view.body.name,
            seats=e.seats,
            method=labels.method_name(e.method),
            phase=labels.label(labels.ELECTION_PHASES, e.phase),
        ),
        _(
            "Nominations close {nominations_close}; voting closes {voting_close}. {voters} ballot(s) cast "
            "so far.",
            nominations_close=inv.show_time(e.nominations_close_at),
            voting_close=inv.show_time(e.voting_close_at),
            voters=view.voters,
        ),
        _(
            "Policy: {policy} {version} (sha256 {digest}…).",
            policy=e.policy_name,
            version=e.policy_version,
            digest=e.policy_hash[:12],
        ),
    ]
    if e.phase in election_final.FINISHED:  # its final state: no "so far", no stale plan
        lines[1:2] = election_final.final_lines(view, inv.show_time)
    elif view.seat_plan is not None:
        lines[1:1] = [" ".join(terms.describe(view.seat_plan, e.seats, view.body.name))]
    if (fixed := election_final.electorate_line(view)) is not None:
        lines.append(fixed)
    lines[1:1] = view.choices  # what was chosen within the policy's bounds
    if view.default_option is not None:
        lines.append(
            _(
                "Every ballot also offers {option} (type `{alias}`): rank it above the candidates you would "
                "rather not see elected; if it wins, no one is elected.",
                option=_(view.default_option),
                alias=DEFAULT_OPTION_ALIAS,
            )
        )
    if view.electorate is not None:
        lines.append(
            ngettext(
                "Quorum base: {n} person could vote when voting opened; later roster changes do not move it.",
                "Quorum base: {n} people could vote when voting opened; later roster changes do not move it.",
                view.electorate,
            )
        )
    table = Table(
        [_("candidate"), _("handle"), _("status"), _("statement")],
        [
            [p.name, p.handle, labels.label(labels.CANDIDACIES, c.status), (c.statement or "")[:60]]
            for c, p in view.candidates
        ],
    )
    return Reply(text="\n".join(lines), tables=[table])


@command(
    "election open-nominations",
    "<election>",
    "Open nominations (admins).",
    options={"close": "value"},
    public=True,
    admin_only=True,
)
async def election_open_nominations(inv: Invocation) -> Reply:
    """election open-nominations"""
    e = await elections.open_nominations(inv.ctx, inv.actor, inv.arg("election"), inv.when("close"))
    return Reply(
        text=_(
            "Nominations for {e_title} are open until {inv_show_time_e_nominations_clos}.",
            e_title=e.title,
            inv_show_time_e_nominations_clos=inv.show_time(e.nominations_close_at),
        )
    )


@command(
    "election nominate",
    "<election> [handle]",
    "Nominate someone, or yourself.",
    options={"statement": "value"},
    examples=("election nominate board-2027 alice", "election nominate board-2027"),
)
async def election_nominate(inv: Invocation) -> Reply:
    """election nominate"""
    c = await elections.nominate(
        inv.ctx, inv.actor, inv.arg("election"), inv.arg("handle") or None, inv.opt("statement")
    )
    who = inv.arg("handle").lstrip("@") or inv.actor.handle
    if c.status == "accepted":
        return Reply(
            text=_("@{who} is standing in {inv_arg_election}.", who=who, inv_arg_election=inv.arg("election"))
        )
    return Reply(
        text=_(
            "Nominated @{who} in {inv_arg_election}; they must accept.",
            who=who,
            inv_arg_election=inv.arg("election"),
        )
    )


@command("election accept", "<election>", "Accept your nomination.", options={"statement": "value"})
async def election_accept(inv: Invocation) -> Reply:
    """election accept"""
    await elections.respond(inv.ctx, inv.actor, inv.arg("election"), True, inv.opt("statement"))
    return Reply(text=_("You are standing in {inv_arg_election}.", inv_arg_election=inv.arg("election")))


@command("election decline", "<election>", "Decline your nomination.")
async def election_decline(inv: Invocation) -> Reply:
    """election decline"""
    await elections.respond(inv.ctx, inv.actor, inv.arg("election"), False)
    return Reply(
        text=_("You declined the nomination in {inv_arg_election}.", inv_arg_election=inv.arg("election"))
    )


@command(
    "election statement",
    "<election> <text>",
    "Write your candidate statement.",
    examples=('election statement board-2027 "Open models, open governance."',),
)
async def election_statement(inv: Invocation) -> Reply:
    """election statement"""
    await elections.set_statement(inv.ctx, inv.actor, inv.arg("election"), inv.arg("text"))
    return Reply(text=_("Statement saved."))


@command("election withdraw", "<election> [handle]", "Withdraw your candidacy (admins: anyone's).")
async def election_withdraw(inv: Invocation) -> Reply:
    """election withdraw"""
    c = await elections.withdraw(inv.ctx, inv.actor, inv.arg("election"), inv.arg("handle") or None)
    return Reply(text=_("Candidacy withdrawn ({status}).", status=labels.label(labels.CANDIDACIES, c.status)))


@command(
    "election open-voting",
    "<election>",
    "Close nominations and open voting (admins).",
    options={"close": "value"},
    examples=("election open-voting board-2027 --close +7d",),
    public=True,
    admin_only=True,
)
async def election_open_voting(inv: Invocation) -> Reply:
    """election open-voting"""
    e = await elections.open_voting(inv.ctx, inv.actor, inv.arg("election"), inv.when("close"))
    return Reply(
        text=_(
            "Voting in {e_title} is open until {inv_show_time_e_voting_close_at}.",
            e_title=e.title,
            inv_show_time_e_voting_close_at=inv.show_time(e.voting_close_at),
        )
    )


@command(
    "vote",
    "<election> <choice>...",
    "Cast or replace your ballot: candidates in order of preference. --proxy-for H: cast H's ballot as "
    "their proxy (see `election proxy`).",
    options={"proxy-for": "value"},
    examples=(
        "vote board-2027 alice carol bob",
        "vote tc-chair alice=bob carol  (ties, Condorcet only)",
        "vote board-2027 alice carol --proxy-for dana",
    ),
    opens_ballot="election",
)
async def vote(inv: Invocation) -> Reply:
    """vote"""
    receipt = await elections.cast_ballot(
        inv.ctx, inv.actor, inv.arg("election"), inv.rest("choice"), for_handle=inv.opt("proxy-for")
    )
    order = " > ".join(" = ".join(t) for t in receipt.ranking)
    if receipt.for_handle is not None:
        text = _(
            "Ballot cast for @{delegator} in {election} as their proxy: {order}. Receipt: {receipt}. Their "
            "own vote before voting closes replaces it.",
            delegator=receipt.for_handle,
            election=receipt.election,
            order=order,
            receipt=receipt.receipt,
        )
    elif receipt.replaced:
        text = _(
            "Ballot replaced your earlier ballot in {receipt_election}: {order}. Your receipt: "
            "{receipt_receipt} (keep it to check your ballot in the published list).",
            receipt_election=receipt.election,
            order=order,
            receipt_receipt=receipt.receipt,
        )
    else:
        text = _(
            "Ballot recorded in {receipt_election}: {order}. Your receipt: {receipt_receipt} (keep it to "
            "check your ballot in the published list).",
            receipt_election=receipt.election,
            order=order,
            receipt_receipt=receipt.receipt,
        )
    return Reply(text=text, ephemeral=True)


@command(
    "election close",
    "<election>",
    "Close voting and count (admins).",
    public=True,
    slow=True,
    admin_only=True,
)
async def election_close(inv: Invocation) -> Reply:
    """election close"""
    result = await elections.close(inv.ctx, inv.actor, inv.arg("election"))
    title = _("Result of {election}", election=inv.arg("election"))
    if not result.elected and result.params.get("default_elects_nobody"):
        default = result.candidates[int(result.params["default"]) - 1]
        return Reply(
            text=_("Closed. {option} won: no one is elected.", option=_(default)),
            block=result.to_text(current_locale()),
            title=title,
        )
    if not result.elected:
        return Reply(text=_("Closed. Elected: nobody."), block=result.to_text(current_locale()), title=title)
    return Reply(
        text=_("Closed. Elected: {elected}.", elected=", ".join(result.elected)),
        block=result.to_text(current_locale()),
        title=title,
    )


@command("election result", "<election>", "Show the result with every round of the count.", public=True)
async def election_result(inv: Invocation) -> Reply:
    """election result"""
    result = await elections.result(inv.ctx, inv.arg("election"))
    title = _("Result of {election}", election=inv.arg("election"))
    if not result.elected:
        return Reply(text=_("Elected: nobody."), block=result.to_text(current_locale()), title=title)
    return Reply(
        text=_("Elected: {elected}.", elected=", ".join(result.elected)),
        block=result.to_text(current_locale()),
        title=title,
    )


@command(
    "election certify",
    "<election>",
    "Certify the result and seat the elected (admins).",
    public=True,
    admin_only=True,
)
async def election_certify(inv: Invocation) -> Reply:
    """election certify"""
    e = await elections.certify(inv.ctx, inv.actor, inv.arg("election"))
    if e.result and not elections.result_from_json(e.result).elected:
        return Reply(
            text=ngettext(
                "{e_title} is certified; no one was elected, so the seat stays empty.",
                "{e_title} is certified; no one was elected, so the {n} seats stay empty.",
                e.seats,
                e_title=e.title,
            )
        )
    return Reply(text=_("{e_title} is certified; the elected now sit on the body.", e_title=e.title))
