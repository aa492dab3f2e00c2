"""An error's suggestion as a person reads it: the sentence that carries the command, the command in
the platform's syntax.

A service refuses with a ``GovError``: what went wrong (``message``), what to do in words (``hint``),
and, when a command helps, a ``Suggestion`` (a sentence key, the commands as words, the sentence's
other parameters). :func:`hint` joins the hint and the suggestion for one platform; every adapter turns
an error into a reply through it.
"""

from __future__ import annotations

from bot.present.syntax import PLATFORMS, Platform, command
from governance.errors import GovError, Suggestion
from governance.i18n import N_, current_locale, translate

SENTENCES: dict[str, str] = {
    "see": N_("See {command}."),
    "see_roster": N_("See {command} for the roster."),
    "see_orgs": N_("See {command} for the member organisations."),
    "see_bodies": N_("See {command} (or {command2})."),
    "see_inactive": N_("See {command} for the inactive members."),
    "see_review": N_("See {command}; only members listed there can be removed this way."),
    "example": N_("For example: {command}."),
    "audit_verify": N_("Nothing was changed. Investigate the database before going on (see {command})."),
    "reconcile": N_(
        "Nothing was changed. Someone wrote to the database outside govbot: investigate before going on "
        "({command} lists every difference). (rule '{rule}')"
    ),
    "export_later": N_(
        "Export it {when}. Until then {command} checks its log, and {command2} exports every log with the "
        "ballots of open secret polls left out."
    ),
    "chair_reactivates": N_("A chair can make you active again: {command}."),
    "hand_over": N_(
        "Hand over first: seat a successor with {command} (the secretariat may), then try again "
        "(rule {rule!r})."
    ),
    "accept": N_("Candidates accept with {command}, or nominate themselves."),
    "ask_exception": N_("Ask for an exception with {command} if you should be in it."),
    "schedule_new": N_("Schedule a new one with {command}."),
    "name_monitors": N_("The secretariat names monitors with {command}."),
    "cosign_ask": N_(
        "Ask the election's monitors to run {command}, sign it with `govbot audit cosign`, and send "
        "{command2}."
    ),
    "cosign_fetch": N_(
        "Fetch the checkpoint with {command}, sign it with `govbot audit cosign` and your private key, and "
        "paste the signature it prints."
    ),
    "motion_numbered": N_("Motions are numbered: {command}."),
    "proxy_can": N_("{delegator_name} can do so with {command}."),
    "change_person": N_("Change them with {command}."),
    "set_org_first": N_("Set their organisation first: {command}."),
    "unlink_first": N_("Unlink it first with {command}."),
    "map_admin_first": N_("Map the secretariat's role first: {command}."),
    "unlink_anyway": N_("To unlink it anyway: {command}."),
}
"""Every sentence a suggestion may be carried by, by key; ``{command}``, ``{command2}``, ... are its
commands in order."""


def _names(count: int) -> list[str]:
    return ["command" if i == 0 else f"command{i + 1}" for i in range(count)]


def suggestion(found: Suggestion, platform: Platform, locale: str) -> str:
    """The sentence of ``found`` in ``locale`` with its commands in ``platform``'s syntax.

    An unknown sentence key is a programming error (``KeyError``): tests check every key a service uses.
    """
    template = SENTENCES[found.sentence]
    commands = {
        name: command(words, platform)
        for name, words in zip(_names(len(found.commands)), found.commands, strict=True)
    }
    return translate(template, locale, **dict(found.params), **commands)


def hint(error: GovError, platform: str, locale: str | None = None) -> str | None:
    """What to do about ``error``: its hint, then its suggestion rendered for ``platform`` (``console``,
    ``slack`` or ``discord``; another name gets the console's bare syntax) in ``locale`` (default: the
    current reader's); None if it has neither."""
    chosen: Platform = platform if platform in PLATFORMS else "console"
    said = suggestion(error.suggestion, chosen, locale or current_locale()) if error.suggestion else ""
    return " ".join(p for p in (error.hint or "", said) if p) or None
