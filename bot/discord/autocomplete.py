"""Autocomplete for govbot's slash commands, and the encoding that keeps a long ``/vote`` ranking whole.

Discord takes at most 25 suggestions, each with a name and a value of at most 100 characters, and a
picked suggestion *replaces* what was typed by its value. A ranking typed in ``/vote choices:`` soon
passes 100 characters (85 candidates with 20-character handles: about 1,800), so a suggestion holding it
all cannot be sent, and one cut at 100 characters dropped the preferences typed so far when picked.

So a suggestion whose value would pass 100 characters carries the ranking encoded: ``~`` then a
fingerprint of the standing candidates (3 characters) then each preference as its position among them
(one character of ``0-9a-zA-Z`` when there are at most 62 candidates, else two), ``.`` before a
position tied with the one before (``alice=bob``). It needs no state (any replica, after a restart,
decodes it), and when the candidates changed since (a withdrawal) the fingerprint no longer matches
and the vote is refused with a clear message, never counted for someone else. Past what even the
encoding holds (97 preferences, 48 with over 62 candidates), no suggestion is offered and what was typed
stays as typed.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import string
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

import discord
from discord import app_commands

from bot.discord import ballots
from governance import labels
from governance.errors import InvalidInput
from governance.i18n import _
from governance.policies.base import DEFAULT_OPTION_ALIAS, DEFAULT_OPTION_KEY
from governance.services import bodies, elections, lookups, motions, roster
from governance.services.common import Actor, Context

log = logging.getLogger(__name__)

AUTOCOMPLETE_LIMIT = 25  # suggestions Discord shows
VALUE_LIMIT = 100  # characters of a suggestion's name and of its value
TOKEN = "~"
ALPHABET = string.digits + string.ascii_lowercase + string.ascii_uppercase
FINGERPRINT = 3


class Asking(Protocol):
    """What the completers need from the client: the database, who is typing, their language."""

    ctx: Context

    async def asker(self, interaction: discord.Interaction) -> Actor | None:
        """The person typing (None: nobody to suggest anything to)."""

    def speaking(self, interaction: discord.Interaction) -> contextlib.AbstractAsyncContextManager[str]:
        """A block in the reader's language."""


def ballot_words(standing: list[ballots.Choice]) -> list[str]:
    """The words a voter types for the standing candidates, in ballot order (the default option as
    ``nota``, which the vote command reads)."""
    return [DEFAULT_OPTION_ALIAS if c.handle == DEFAULT_OPTION_KEY else c.handle for c in standing]


def _fingerprint(words: list[str]) -> str:
    digest = int.from_bytes(hashlib.sha256("\n".join(words).encode()).digest()[:8], "big")
    out = ""
    for _i in range(FINGERPRINT):
        digest, rest = divmod(digest, len(ALPHABET))
        out += ALPHABET[rest]
    return out


def _width(words: list[str]) -> int:
    return 1 if len(words) <= len(ALPHABET) else 2


def encode(preferences: list[str], words: list[str]) -> str | None:
    """A ranking (words as typed, ties as ``a=b``) as one short token, or None when a preference is not
    a standing candidate (it cannot be encoded; the vote command will say what is wrong with it)."""
    index = {w: i for i, w in enumerate(words)}
    width = _width(words)
    out = [TOKEN, _fingerprint(words)]
    for preference in preferences:
        for tie, word in enumerate(preference.lower().split("=")):
            if word not in index:
                return None
            position = index[word]
            code = ALPHABET[position] if width == 1 else ALPHABET[position // 62] + ALPHABET[position % 62]
            out += [".", code] if tie else [code]
    return "".join(out)


def decode(token: str, words: list[str]) -> list[str]:
    """The ranking a token stands for (ties as ``a=b``); ``InvalidInput`` when it is not one, or when the
    standing candidates changed since it was suggested."""
    stale = InvalidInput(
        _("That suggested ranking no longer matches the candidates standing; nothing was cast."),
        hint=_("Type your preferences again, one handle after another."),
    )
    if not token.startswith(TOKEN) or token[1 : 1 + FINGERPRINT] != _fingerprint(words):
        raise stale
    width = _width(words)
    body = token[1 + FINGERPRINT :]
    out: list[str] = []
    at = 0
    while at < len(body):
        tie = body[at] == "."
        at += tie
        code = body[at : at + width]
        at += width
        if len(code) != width or any(c not in ALPHABET for c in code):
            raise stale
        position = ALPHABET.index(code[-1]) + (62 * ALPHABET.index(code[0]) if width == 2 else 0)
        if position >= len(words) or (tie and not out):
            raise stale
        if tie:
            out[-1] += f"={words[position]}"
        else:
            out.append(words[position])
    return out


def expand(text: str, words: list[str]) -> str:
    """``/vote choices:`` as typed, with any encoded ranking in it written out again."""
    out: list[str] = []
    for word in text.split():
        out += decode(word, words) if word.startswith(TOKEN) else [word]
    return " ".join(out)


def _tail(text: str, limit: int) -> str:
    """The end of ``text`` within ``limit`` characters, cut at a space, after an ellipsis."""
    if len(text) <= limit:
        return text
    cut = text[-(limit - 2) :]
    return "… " + (cut.split(" ", 1)[1] if " " in cut else cut)


async def ranking_suggestions(ctx: Context, slug: str, current: str) -> list[app_commands.Choice[str]]:
    """The next preferences to add to the ranking typed so far, each suggestion carrying the whole
    ranking (encoded when it would pass 100 characters, so picking it never drops what was typed)."""
    _view, standing = await ballots.standing(ctx, slug)
    words = ballot_words(standing)
    typed = current.split(" ")
    done = [w for w in typed[:-1] if w]
    last = typed[-1]
    if last.startswith(TOKEN):  # a suggestion just picked: the next word is still to come
        done, last = [*done, last], ""
    try:
        done = expand(" ".join(done), words).split()
    except InvalidInput:
        return []
    taken = {part for word in done for part in word.lower().split("=")}
    needle = last.lower()
    out: list[app_commands.Choice[str]] = []
    for word, choice in zip(words, standing, strict=True):
        if word in taken or not (word.startswith(needle) or needle in choice.name.lower()):
            continue
        ranking = [*done, word]
        value = " ".join(ranking)
        if len(value) > VALUE_LIMIT:
            value = encode(ranking, words) or ""
            if not value or len(value) > VALUE_LIMIT:
                return []  # past what a suggestion can hold: what was typed stays as typed
        label = f"{len(ranking)}. {word} — {choice.name}"
        name = f"{_tail(' '.join(done), VALUE_LIMIT - len(label) - 1)} {label}".strip() if done else label
        out.append(app_commands.Choice(name=name[:VALUE_LIMIT], value=value))
        if len(out) == AUTOCOMPLETE_LIMIT:
            break
    return out


def completers(bot: Asking) -> dict[str, Any]:
    """The autocomplete callback of each option name (``vote:choice`` for one command's option)."""

    def choices(pairs: list[tuple[str, str]], current: str) -> list[app_commands.Choice[str]]:
        needle = current.strip().lower()
        hits = [(n, v) for n, v in pairs if needle in n.lower() or needle in v.lower()]
        return [app_commands.Choice(name=n[:100], value=v[:100]) for n, v in hits[:AUTOCOMPLETE_LIMIT]]

    async def election(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        actor = await bot.asker(interaction)
        rows = await lookups.elections_for(bot.ctx, actor) if actor is not None else []
        return choices(
            [
                (f"{e.slug} — {e.title} ({labels.label(labels.ELECTION_PHASES, e.phase)})", e.slug)
                for e, _b in rows
            ],
            current,
        )

    async def motion(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        rows = await motions.list_motions(bot.ctx)
        return choices(
            [
                (f"M{m.id} {m.title} ({labels.label(labels.MOTION_PHASES, m.phase)})", str(m.id))
                for m, _b in rows
            ],
            current,
        )

    async def wg(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        rows = await bodies.list_bodies(bot.ctx, "working_group")
        return choices([(f"{b.slug} — {b.name}", b.slug) for b, _n in rows], current)

    async def body(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        rows = await bodies.list_bodies(bot.ctx)
        return choices([(f"{b.slug} — {b.name}", b.slug) for b, _n in rows], current)

    async def handle(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        rows = await roster.list_people(bot.ctx)
        return choices([(f"{p.handle} — {p.name}", p.handle) for p, _o in rows], current)

    async def org(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        rows = await roster.list_organisations(bot.ctx)
        return choices([(f"{o.slug} — {o.name}", o.slug) for o in rows], current)

    async def motion_choice(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        return choices([(labels.label(labels.CHOICES, c), c) for c in motions.CHOICES], current)

    async def method(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        return choices([(labels.method_name(m), m) for m in elections.ELECTION_METHODS], current)

    async def tier(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        return choices([(t, t) for t in roster.TIERS], current)

    async def candidates(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        slug = str(getattr(interaction.namespace, "election", "") or "")
        return await ranking_suggestions(bot.ctx, slug, current) if slug else []

    completers = {
        "election": election,
        "motion": motion,
        "wg": wg,
        "body": body,
        "handle": handle,
        "chair": handle,
        "org": org,
        "vote:choice": candidates,
        "method": method,
        "tier": tier,
        "motion vote:choice": motion_choice,
    }
    return {name: _safe(fn, bot.speaking, bot.asker) for name, fn in completers.items()}


def _safe(
    fn: Any,
    speaking: Callable[[discord.Interaction], contextlib.AbstractAsyncContextManager[str]],
    asker: Callable[[discord.Interaction], Awaitable[Actor | None]],
) -> Any:
    """An autocomplete in the reader's language that answers an empty list rather than fail (a failed
    lookup must not break typing), and answers nothing to someone every command would refuse (an
    unlinked account, a direct message, another guild)."""

    async def wrapped(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        try:
            if await asker(interaction) is None:
                return []
            async with speaking(interaction):
                found: list[app_commands.Choice[str]] = await fn(interaction, current)
                return found
        except Exception:
            log.debug("autocomplete failed", exc_info=True)
            return []

    return wrapped
