"""The ``govbot`` entry point: parse the command line and hand each sub-command to the module that runs it.

Start-up is what a person waits for, so this module imports only the standard library and the translation
function: ``govbot --help`` builds the parsers and nothing else; ``govbot tally`` loads the counting code
(``governance.tally.cli``), ``audit verify``/``keygen``/``cosign`` the verifier and signer
(``bot.checkpoint_cli``) and ``policy check`` the policy checker (``bot.policy_cli``), none of them a chat
library, Alembic or matplotlib. The sub-commands that need a deployment (settings, database, platform)
live in ``bot.deployment_cli``, which builds their ``Context`` through ``bot.wiring``. None of these
modules imports this one back.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from bot import checkpoint_cli
from governance.i18n import DEFAULT_LOCALE, _, using_locale


def _parser() -> argparse.ArgumentParser:
    """Every sub-command's arguments and help (in the current locale); nothing here imports its code."""
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
    checkpoint_cli.add_arguments(ver, audit_sub)  # the key, checkpoint and co-signing sub-commands
    pol = sub.add_parser("policy", help=_("check a policy module and print its rules in plain sentences"))
    pol_sub = pol.add_subparsers(dest="policy_command", required=True)
    chk = pol_sub.add_parser("check", help=_("validate a policy (.py file, dotted module or built-in name)"))
    chk.add_argument("path", help=_("e.g. ./my_policy.py"))
    return parser


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
        from bot import policy_cli

        return policy_cli.check(args.path)
    if args.command == "audit" and args.audit_command == "verify":  # no settings, database or network
        return checkpoint_cli.verify(args)
    if args.command == "audit" and args.audit_command in ("keygen", "cosign"):
        return checkpoint_cli.offline(args)
    if args.command == "audit" and args.audit_command == "export" and not args.all and not args.subject:
        _parser().error(_("audit export: give an election, a motion (M12) or --all"))
    from bot import deployment_cli

    return deployment_cli.main(args)


if __name__ == "__main__":
    raise SystemExit(main())
