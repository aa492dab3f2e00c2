"""When a command ran but its answer could not be delivered: say exactly what was and was not done.

A chat platform may refuse govbot's answer after the service has committed (Discord answering 500 to the
interaction response, Slack's ``response_url`` failing). The person must then not read "nothing was
changed": the vote is recorded, the election is closed. Adapters call :func:`notice` with the reply
they could not deliver and send what it returns another way (a follow-up, a direct message), and
:func:`failed_before` words the other case, a failure before the command ran, which changed nothing.
"""

from __future__ import annotations

from bot.present.replies import Reply, error
from bot.present.syntax import PLATFORMS, Platform, command
from governance.i18n import _
from governance.text import echo

BALLOT_COMMANDS = ("vote", "motion vote")
"""Commands whose success hands the voter a receipt."""


def notice(reply: Reply, command: str, platform: str, reason: str) -> Reply:
    """What to tell the person whose answer to ``command`` ``platform`` refused (for ``reason``).

    It says whether the command was carried out (``reply.ok``) or refused (nothing changed), then
    repeats the answer itself, so a voter gets the receipt and an admin the result they missed.
    ``platform`` is the platform's name as people read it (``Slack``, ``Discord``); the commands are
    written in its syntax.
    """
    words = command.split()
    path = " ".join(words[:2]) if words[:2] == ["motion", "vote"] else (words[0] if words else "")
    syntax: Platform = next((p for p in PLATFORMS if p == platform.lower()), "console")
    cmd = _command(echo(command, 80), syntax)
    if not reply.ok:
        head = _(
            "{command} was refused and nothing was changed; {platform} did not take govbot's answer "
            "({reason}), so here it is.",
            command=cmd,
            platform=platform,
            reason=reason,
        )
    elif path in BALLOT_COMMANDS:
        head = _(
            "Your vote is recorded. {platform} did not take govbot's confirmation ({reason}), so here it "
            "is, with your receipt; {command} checks it at any time.",
            platform=platform,
            reason=reason,
            command=_command("receipt <poll> <code>", syntax),
        )
    else:
        head = _(
            "{command} was carried out. {platform} did not take govbot's answer ({reason}), so here it "
            "is; do not run it again.",
            command=cmd,
            platform=platform,
            reason=reason,
        )
    return Reply(text=f"{head}\n\n{reply.to_text()}", ok=reply.ok, ephemeral=True)


def _command(line: str, platform: Platform) -> str:
    return command(line.split(), platform)


def failed_before() -> Reply:
    """The answer when govbot failed before running the command: nothing was changed."""
    return error(
        _("Something went wrong on our side before your command ran; nothing was changed."), _("Try again.")
    )
