"""The ``govbot`` sub-commands that act on a deployment: its settings, its database, its chat platform.

``run``, ``migrate``, ``console``, ``seed``, ``publish``, ``audit export`` and ``audit pubkey``. Each reads
the settings and builds its ``Context`` through ``bot.wiring``; the chat adapters, the scheduler, the site
and Alembic are imported only by the sub-command that uses them, so ``govbot console`` never loads Slack
or Discord. ``bot.cli`` imports this module only once it knows the command needs a deployment.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlmodel import col

from bot import schema, wiring
from bot.config import Settings
from governance.errors import GovError
from governance.i18n import _, ngettext, using_locale
from governance.models import Person
from governance.services.common import Actor, Context


def main(args: argparse.Namespace) -> int:
    """Run a deployment's sub-command: read the settings (their ``locale`` then speaks every line), and
    turn an unreachable database into one line naming it (exit status 2)."""
    settings = wiring.load_settings()
    with using_locale(settings.locale):
        return _with_settings(settings, args)


async def _first_admin(ctx: Context) -> str | None:
    async with ctx.db.reading() as session:
        return (
            await session.execute(
                select(col(Person.handle)).where(col(Person.is_admin)).order_by(col(Person.id)).limit(1)
            )
        ).scalar_one_or_none()


@asynccontextmanager
async def _deployment(settings: Settings) -> AsyncIterator[Context]:
    """The deployment's ``Context`` on a database at the code's revision, disposed of afterwards
    (``schema.SchemaBehind`` if it is behind: ``_with_settings`` says what to run)."""
    ctx = wiring.build_context(settings)
    try:
        await schema.ensure_current(ctx.db)
        yield ctx
    finally:
        await ctx.db.dispose()


async def _run(settings: Settings, args: argparse.Namespace) -> int:
    from bot import console
    from governance import seed

    ctx = wiring.build_context(settings)
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
                    seal_seconds=settings.audit_seal_seconds,
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
    finally:
        if scheduling is not None:
            stop_scheduler.set()
            await scheduling
        await ctx.db.dispose()


async def _console(settings: Settings, args: argparse.Namespace) -> int:
    from bot import console

    async with _deployment(settings) as ctx:
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


async def _seed(settings: Settings, args: argparse.Namespace) -> int:
    from governance import seed

    async with _deployment(settings) as ctx:
        if not await seed.is_empty(ctx):
            print(_("The roster is not empty; the sample alliance is only seeded into a new database."))
            return 1
        print(_("Seeded:") + "\n  " + "\n  ".join(await seed.seed(ctx)))
        return 0


async def _publish(settings: Settings, args: argparse.Namespace) -> int:
    from bot.publish import publish

    async with _deployment(settings) as ctx:
        try:
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
        except GovError as exc:
            print(f"govbot: {exc}", file=sys.stderr)
            return 1
        except OSError as exc:
            if isinstance(exc, ConnectionError | TimeoutError):
                raise  # the database, reported by main()
            print(
                _(
                    "govbot: cannot write the site to {out}: {reason}.",
                    out=args.out,
                    reason=exc.strerror or exc,
                ),
                file=sys.stderr,
            )
            return 1


async def _audit_export(settings: Settings, args: argparse.Namespace) -> int:
    from governance import export

    async with _deployment(settings) as ctx:
        try:
            subject = export.parse_subject("all" if args.all else (args.subject or ""))
            if args.bundle is None:
                export.check_format(subject, args.format)
            single = None if args.bundle is not None else args.format
            files = await export.export_bundle(ctx, Actor.system("audit-export"), subject, single=single)
            if args.bundle is not None:
                path = export.write_bundle(files, args.bundle)
                heads = json.loads(files["heads.json"])["heads"]
                print(
                    ngettext("Wrote {path} ({n} file).", "Wrote {path} ({n} files).", len(files), path=path)
                )
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
                    ngettext(
                        "Wrote {path} ({n} byte).", "Wrote {path} ({n} bytes).", len(data), path=args.output
                    )
                )
            else:
                sys.stdout.buffer.write(data)
            return 0
        except GovError as exc:
            print(f"govbot: {exc}", file=sys.stderr)
            return 1


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
            from governance.signing import public_hex

            return pubkey(public_hex(wiring.deployment_key(settings)))
        handlers = {
            "run": _run,
            "console": _console,
            "seed": _seed,
            "publish": _publish,
            "audit": _audit_export,
        }
        return asyncio.run(handlers[args.command](settings, args))
    except schema.SchemaBehind as exc:
        print(f"govbot: {exc}", file=sys.stderr)
        return 2
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
