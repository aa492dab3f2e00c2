"""The ``govbot`` entry point: run, migrate, seed, console, tally."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from pydantic import ValidationError
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from bot import console, schema, seed
from bot.config import Settings
from governance import labels
from governance.db import Database
from governance.errors import GovError
from governance.i18n import DEFAULT_LOCALE, N_, _, ngettext, using_locale
from governance.policies import LoadedPolicy, load_policy
from governance.policies.base import ACTION_WORDS
from governance.policies.claims import BoundDisagreement, Disagreement, check_bound_claims, check_claims
from governance.services.bounds import duration_words
from governance.services.common import Context

log = logging.getLogger("govbot")


def _settings() -> Settings:
    try:
        return Settings()
    except ValidationError as exc:
        problems = "; ".join(str(e["msg"]).removeprefix("Value error, ") for e in exc.errors())
        raise SystemExit(_("govbot: bad setting: {problems} (see .env.example)", problems=problems)) from None


def _context(settings: Settings) -> Context:
    try:
        load_policy(settings.policy_spec)
    except GovError as exc:
        raise SystemExit(_("govbot: refusing to start: {error}", error=exc)) from None
    return Context(
        db=Database(settings.database_url),
        secret=settings.server_secret(),
        default_policy=settings.policy_spec,
        signing_key=settings.signing_key(),
    )


async def _first_admin(ctx: Context) -> str | None:
    from sqlalchemy import select
    from sqlmodel import col

    from governance.models import Person

    async with ctx.db.reading() as session:
        return (
            await session.execute(
                select(col(Person.handle)).where(col(Person.is_admin)).order_by(col(Person.id)).limit(1)
            )
        ).scalar_one_or_none()


async def _run(settings: Settings, args: argparse.Namespace) -> int:
    ctx = _context(settings)
    stop_scheduler = asyncio.Event()
    scheduling: asyncio.Task[None] | None = None
    try:
        await schema.ensure_current(ctx.db)
        if settings.scheduler:
            from bot import scheduler

            scheduling = asyncio.ensure_future(
                scheduler.run(
                    ctx,
                    stop_scheduler,
                    poll_seconds=settings.leader_poll_seconds,
                    sweep_seconds=settings.scheduler_sweep_seconds,
                )
            )
        platform = args.platform if args.platform != "auto" else settings.platform
        tz = ZoneInfo(settings.timezone)
        if platform == "slack":
            from bot.slack.app import serve as serve_slack

            return await serve_slack(ctx, settings, http=args.http, host=args.host, port=args.port, tz=tz)
        if platform == "discord":
            from bot.discord.client import serve as serve_discord

            return await serve_discord(ctx, settings, tz=tz)
        if await seed.is_empty(ctx):
            if args.no_seed:
                print(_("The roster is empty. Add people with `roster person add`, or run `govbot seed`."))
            else:
                lines = await seed.seed(ctx)
                print(_("First start: seeded a sample alliance —") + "\n  " + "\n  ".join(lines))
                print(
                    _(
                        "Try: `election show board-2027`, `election open-voting board-2027 --close +7d`, "
                        "then `:as alice` and `vote board-2027 chen arjun dana`."
                    )
                )
        handle = args.as_ or await _first_admin(ctx)
        if handle is None:
            print(_("govbot: nobody to run the console as; give --as <handle>."), file=sys.stderr)
            return 2
        return await console.main(ctx, handle, tz=ZoneInfo(settings.timezone), locale=settings.locale)
    except schema.SchemaBehind as exc:
        print(f"govbot: {exc}", file=sys.stderr)
        return 2
    finally:
        if scheduling is not None:
            stop_scheduler.set()
            await scheduling
        await ctx.db.dispose()


async def _console(settings: Settings, args: argparse.Namespace) -> int:
    ctx = _context(settings)
    try:
        await schema.ensure_current(ctx.db)
        script = open(args.script, encoding="utf-8") if args.script else None  # noqa: SIM115
        try:
            return await console.main(
                ctx,
                args.as_,
                script=script,
                tz=ZoneInfo(settings.timezone),
                deliver=settings.platform == "console",
                locale=settings.locale,
            )
        finally:
            if script is not None:
                script.close()
    except schema.SchemaBehind as exc:
        print(f"govbot: {exc}", file=sys.stderr)
        return 2
    finally:
        await ctx.db.dispose()


async def _seed(settings: Settings, args: argparse.Namespace) -> int:
    ctx = _context(settings)
    try:
        await schema.ensure_current(ctx.db)
        if not await seed.is_empty(ctx):
            print(_("The roster is not empty; the sample alliance is only seeded into a new database."))
            return 1
        print(_("Seeded:") + "\n  " + "\n  ".join(await seed.seed(ctx)))
        return 0
    except schema.SchemaBehind as exc:
        print(f"govbot: {exc}", file=sys.stderr)
        return 2
    finally:
        await ctx.db.dispose()


async def _publish(settings: Settings, args: argparse.Namespace) -> int:
    from bot.publish import publish

    ctx = _context(settings)
    try:
        await schema.ensure_current(ctx.db)
        locale = args.locale or settings.locale
        report = await publish(ctx, args.out, locale=locale, timezone=settings.timezone)
        print(
            _(
                "Wrote {pages} pages and {charts} charts to {out}.",
                pages=len(report.pages),
                charts=len(report.charts),
                out=report.out,
            )
        )
        return 0
    except schema.SchemaBehind as exc:
        print(f"govbot: {exc}", file=sys.stderr)
        return 2
    except GovError as exc:
        print(f"govbot: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        if isinstance(exc, ConnectionError | TimeoutError):
            raise  # the database, reported by main()
        print(
            _("govbot: cannot write the site to {out}: {reason}.", out=args.out, reason=exc.strerror or exc),
            file=sys.stderr,
        )
        return 1
    finally:
        await ctx.db.dispose()


async def _audit_export(settings: Settings, args: argparse.Namespace) -> int:
    from governance import export
    from governance.services.common import Actor

    ctx = _context(settings)
    try:
        await schema.ensure_current(ctx.db)
        subject = export.parse_subject("all" if args.all else (args.subject or ""))
        if args.bundle is None:
            export.check_format(subject, args.format)
        single = None if args.bundle is not None else args.format
        files = await export.export_bundle(ctx, Actor.system("audit-export"), subject, single=single)
        if args.bundle is not None:
            path = export.write_bundle(files, args.bundle)
            heads = json.loads(files["heads.json"])["heads"]
            print(ngettext("Wrote {path} ({n} file).", "Wrote {path} ({n} files).", len(files), path=path))
            for stream, head in sorted(heads.items()):
                print(
                    "  "
                    + _(
                        "head of {stream}: {hash} (event {seq})",
                        stream=stream,
                        hash=head["hash"],
                        seq=head["seq"],
                    )
                )
            return 0
        data = export.single_file(files, subject, args.format)
        if args.output is not None:
            args.output.write_bytes(data)
            print(
                ngettext("Wrote {path} ({n} byte).", "Wrote {path} ({n} bytes).", len(data), path=args.output)
            )
        else:
            sys.stdout.buffer.write(data)
        return 0
    except GovError as exc:
        print(f"govbot: {exc}", file=sys.stderr)
        return 1
    except schema.SchemaBehind as exc:
        print(f"govbot: {exc}", file=sys.stderr)
        return 2
    finally:
        await ctx.db.dispose()


def _audit_verify(args: argparse.Namespace) -> int:
    """``govbot audit verify PATH [--key PUBKEY] [--checkpoint FILE]``: no settings, database or network."""
    from bot.checkpoint_cli import verify

    return verify(args)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="govbot", description=_("Governance of a member alliance in chat."))
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help=_("run the bot: the console when no Slack/Discord token is set"))
    run.add_argument("--platform", choices=("auto", "console", "slack", "discord"), default="auto")
    run.add_argument(
        "--as", dest="as_", metavar="HANDLE", help=_("console: who you are (default: the first admin)")
    )
    run.add_argument("--http", action="store_true", help=_("slack: HTTP mode instead of Socket Mode"))
    run.add_argument("--port", type=int, default=3000, help=_("slack --http: port serving /slack/events"))
    run.add_argument(
        "--host",
        default="0.0.0.0",
        help=_("slack --http: address to listen on (default 0.0.0.0: every interface)"),
    )
    run.add_argument(
        "--no-seed", action="store_true", help=_("do not seed a sample alliance into an empty database")
    )
    sub.add_parser("migrate", help=_("upgrade the database to the newest schema"))
    con = sub.add_parser("console", help=_("the command grammar in a terminal, or a script of commands"))
    con.add_argument("--as", dest="as_", metavar="HANDLE", required=True, help=_("who you are on the roster"))
    con.add_argument("--script", metavar="FILE", type=Path, help=_("run commands from FILE and exit"))
    sub.add_parser("seed", help=_("seed the sample alliance into an empty database"))
    pub = sub.add_parser(
        "publish", help=_("write the static transparency site (results, charts, audit heads)")
    )
    pub.add_argument("--out", metavar="DIR", type=Path, required=True, help=_("where to write the site"))
    pub.add_argument(
        "--locale", choices=("en", "fr"), help=_("the site's language (default: GOVBOT_LOCALE, else en)")
    )
    sub.add_parser(
        "tally", help=_("count a BLT or PrefLib ballot file (see `govbot tally --help`)"), add_help=False
    )
    audit_cmd = sub.add_parser("audit", help=_("export audit bundles and verify them"))
    audit_sub = audit_cmd.add_subparsers(dest="audit_command", required=True)
    exp = audit_sub.add_parser("export", help=_("export an election, a motion (M12) or --all"))
    exp.add_argument("subject", nargs="?", help=_("election slug (board-2027) or motion (M12)"))
    exp.add_argument("--all", action="store_true", help=_("every election, motion and stream"))
    exp.add_argument(
        "--format", choices=("jsonl", "csv", "blt"), default="jsonl", help=_("one file's format")
    )
    exp.add_argument("--output", type=Path, metavar="FILE", help=_("write the file here (default: stdout)"))
    exp.add_argument("--bundle", type=Path, metavar="PATH", help=_("the whole bundle: a dir or .zip"))
    ver = audit_sub.add_parser("verify", help=_("verify a bundle (directory or .zip) without any database"))
    ver.add_argument("path", type=Path)
    from bot import checkpoint_cli  # the key, checkpoint and co-signing sub-commands

    checkpoint_cli.add_arguments(ver, audit_sub)
    pol = sub.add_parser("policy", help=_("check a policy module and print its rules in plain sentences"))
    pol_sub = pol.add_subparsers(dest="policy_command", required=True)
    chk = pol_sub.add_parser("check", help=_("validate a policy (.py file, dotted module or built-in name)"))
    chk.add_argument("path", help=_("e.g. ./my_policy.py"))
    return parser


def _policy_check(spec: str) -> int:
    """Validate a policy module and print its identity and the rules it gives each kind of body."""
    from governance.policies.base import BodyFacts
    from governance.policies.explain import explain

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


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the command line and run the chosen sub-command, speaking GOVBOT_LOCALE (en or fr).

    The environment variable decides the language of the help and of errors met before the settings are
    read; once they are, their ``locale`` (which also reads ``.env``) is used.
    """
    with using_locale(os.environ.get("GOVBOT_LOCALE") or DEFAULT_LOCALE):
        return _main(argv)


def _main(argv: Sequence[str] | None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    if args_list and args_list[0] == "tally":
        from governance.tally.cli import main as tally_main

        return tally_main(args_list[1:])
    args = _parser().parse_args(args_list)
    if args.command == "policy":
        return _policy_check(args.path)
    if args.command == "audit" and args.audit_command == "verify":
        return _audit_verify(args)
    if args.command == "audit" and args.audit_command in ("keygen", "cosign"):
        from bot.checkpoint_cli import offline

        return offline(args)
    if args.command == "audit" and args.audit_command == "export" and not args.all and not args.subject:
        _parser().error(_("audit export: give an election, a motion (M12) or --all"))
    settings = _settings()
    with using_locale(settings.locale):
        return _with_settings(settings, args)


def _with_settings(settings: Settings, args: argparse.Namespace) -> int:
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if args.command != "migrate":  # Alembic's progress lines matter only while migrating
        logging.getLogger("alembic").setLevel(max(logging.WARNING, logging.getLogger().level))
    try:
        if args.command == "migrate":
            schema.upgrade(settings.database_url)
            print(
                _("Database is at revision {revision}.", revision=schema.head_revision(settings.database_url))
            )
            return 0
        if args.command == "audit" and args.audit_command == "pubkey":
            from bot.checkpoint_cli import pubkey

            return pubkey(settings)
        handlers = {
            "run": _run,
            "console": _console,
            "seed": _seed,
            "publish": _publish,
            "audit": _audit_export,
        }
        return asyncio.run(handlers[args.command](settings, args))
    except (OSError, DBAPIError) as exc:
        where = make_url(settings.database_url).render_as_string(hide_password=True)
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        print(
            _(
                "govbot: cannot use the database {where}: {reason}. Check DATABASE_URL and that the server "
                "is running.",
                where=where,
                reason=reason,
            ),
            file=sys.stderr,
        )
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
