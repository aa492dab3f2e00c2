"""Audit commands, registered on import by bot.commands: verify a chain, export a bundle, check a receipt."""

from __future__ import annotations

import json

from bot.grammar import Invocation, command
from bot.present.replies import Attachment, Reply, error
from governance import audit, export, poll_checks, receipts
from governance.errors import InvalidInput
from governance.i18n import _

MEDIA_TYPES = {"jsonl": "application/jsonl", "csv": "text/csv", "blt": "text/plain", "zip": "application/zip"}


@command(
    "audit verify",
    "<stream>",
    "Check an audit chain: election:<id>, motion:<n>, body:<id>, roster, anchor — or all of them.",
    examples=("audit verify election:board-2027", "audit verify roster", "audit verify all"),
    public=True,
)
async def audit_verify(inv: Invocation) -> Reply:
    """audit verify"""
    stream = inv.arg("stream")
    if stream.lower() in ("all", "--all"):
        verdict = await poll_checks.verify_everything(inv.ctx)
        checks, unaccounted = verdict.chains, verdict.unaccounted
        broken = [c for c in checks if not c.ok]
        if unaccounted and not broken:
            return _unaccounted(unaccounted)
        if broken:
            return error(
                _(
                    "BROKEN: {len_broken} of {len_checks} chain(s).",
                    len_broken=len(broken),
                    len_checks=len(checks),
                ),
                _("Investigate the database before going on; nothing was changed."),
                [
                    _(
                        "{stream}: event {seq}: {problem}",
                        stream=c.stream,
                        seq=c.broken_seq,
                        problem=c.problem,
                    )
                    for c in broken
                ]
                + [f"{name}: {problem}" for name, found in unaccounted.items() for problem in found],
            )
        events = sum(c.events for c in checks)
        return Reply(
            text=_(
                "OK: {len_checks} chain(s), {events} event(s), every anchored head in place.",
                len_checks=len(checks),
                events=events,
            )
        )
    one = await poll_checks.verify_one(inv.ctx, stream)
    check, poll = one.chain, one.poll
    if poll is not None and poll.problems:
        return _unaccounted({stream: poll.problems})
    checked = "\n".join(poll.checked) if poll is not None and poll.checked else None  # seed, re-count
    if check.events == 0 and check.ok:
        raise InvalidInput(
            _("No audit events in stream {stream!r}.", stream=stream),
            _("Streams: election:<id>, motion:<number>, body:<id>, roster, anchor, or all."),
        )
    if check.ok and check.pending:
        return Reply(
            text=_(
                "OK: {check_events} event(s) in {stream}, head {check_head}. {pending} of them (the latest "
                "ballots) are not sealed into the chain yet; the next phase change or the close seals them.",
                check_events=check.events,
                stream=stream,
                check_head=check.head,
                pending=check.pending,
            ),
            block=checked,
        )
    if check.ok:
        return Reply(
            text=_(
                "OK: {check_events} event(s) in {stream}, head {check_head}.",
                check_events=check.events,
                stream=stream,
                check_head=check.head,
            ),
            block=checked,
        )
    return error(
        _(
            "BROKEN at event {check_broken_seq} of {stream}: {check_problem}.",
            check_broken_seq=check.broken_seq,
            stream=stream,
            check_problem=check.problem,
        )
    )


def _unaccounted(problems: dict[str, list[str]]) -> Reply:
    """The reply when polls' ballots do not add up (``governance.reconcile``): each difference named."""
    return error(
        _(
            "BROKEN: the ballots of {polls} do not add up with their log.",
            polls=", ".join(sorted(problems)),
        ),
        _("Investigate the database before going on; nothing was changed."),
        [f"{stream}: {problem}" for stream, found in sorted(problems.items()) for problem in found],
    )


@command(
    "audit export",
    "<subject>",
    "Export an audit bundle (zip: settings, policy, ballots with receipts, events, result, heads) "
    "or one file of it (--format jsonl|csv|blt). Admins.",
    options={"format": "value"},
    examples=("audit export board-2027", "audit export M12 --format csv", "audit export all"),
    slow=True,
)
async def audit_export(inv: Invocation) -> Reply:
    """audit export"""
    subject = export.parse_subject(inv.arg("subject"))
    fmt = (inv.opt("format") or "zip").lower()
    if fmt != "zip":
        export.check_format(subject, fmt)
    files = await export.export_bundle(inv.ctx, inv.actor, subject, single=None if fmt == "zip" else fmt)
    name = "govbot-audit-all" if subject.kind == "all" else f"govbot-audit-{subject.folder}"
    data = export.zip_bytes(files) if fmt == "zip" else export.single_file(files, subject, fmt)
    heads = json.loads(files["heads.json"])["heads"]
    shown = subject.stream if subject.kind != "all" else audit.ANCHOR
    head = heads.get(shown, {}).get("hash", "-")
    if subject.kind == "all":
        text = _(
            "Audit export of everything ({fmt}): head {head}. Anyone can check a bundle with "
            "`govbot audit verify <file>`.",
            fmt=fmt,
            head=head,
        )
    else:
        text = _(
            "Audit export of {stream} ({fmt}): head {head}. Anyone can check a bundle with "
            "`govbot audit verify <file>`.",
            stream=subject.stream,
            fmt=fmt,
            head=head,
        )
    return Reply(
        text=text,
        attachments=(Attachment(f"{name}.{fmt}", data, MEDIA_TYPES.get(fmt, "application/octet-stream")),),
    )


@command(
    "receipt",
    "<poll> <code>",
    "Check your ballot by its receipt: is it in the published list, and as you cast it?",
    examples=("receipt board-2027 K7QX2-M9PLA", "receipt M12 3FA09B1C"),
)
async def receipt(inv: Invocation) -> Reply:
    """receipt"""
    found = await receipts.check_receipt(inv.ctx, inv.arg("poll"), inv.arg("code"))
    if found.status == "replaced":
        return Reply(
            text=_(
                "Receipt {inv_arg_code} of {found_poll} was replaced: you voted again before the deadline, "
                "and only your latest ballot counts. This receipt verifies nothing.",
                inv_arg_code=inv.arg("code"),
                found_poll=found.poll,
            ),
            ephemeral=True,
        )
    if found.status == "unknown":
        return error(
            _(
                "No ballot of {found_poll} has receipt {inv_arg_code}.",
                found_poll=found.poll,
                inv_arg_code=inv.arg("code"),
            ),
            _(
                "Check the code (it was sent when you voted). If it is right, tell the secretariat: your "
                "ballot may be missing."
            ),
        )
    ballot = found.ballot
    if isinstance(ballot, list):
        shown = " > ".join("=".join(tier) for tier in ballot) or _("(blank)")
    else:
        shown = str(ballot)
    if found.status == "counted":
        text = _(
            "It is in the published ballot list of {found_poll}, as: {shown}.",
            found_poll=found.poll,
            shown=shown,
        )
    else:
        text = _(
            "It is stored and will be in the ballot list published at the close of {found_poll}, as: "
            "{shown}.",
            found_poll=found.poll,
            shown=shown,
        )
    return Reply(text=text, ephemeral=True)
