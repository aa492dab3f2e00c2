"""Ballots in message components.

* Ranked ballots (IRV, STV, Condorcet): the voter picks their next preference from select menus of
  the candidates not yet ranked. Discord allows 25 options a select and 5 action rows a message, so
  candidates are split across up to 4 selects (100 a page) and paged with ◀/▶ beyond that; the fifth
  row holds the buttons (◀, ▶, Undo, Clear, Cast ballot).
* Approval and plurality ballots: multi-selects (split the same way), then Cast ballot.
* Motions: Yes / No / Abstain buttons.

Every component's ``custom_id`` names what it acts on (``gb:rk:pick:<election>:<page>``…), so a press
is understood without any state from the message that carried it. A ranked ballot in progress (the
preferences picked so far) is kept per voter in :class:`Drafts`, in the process, until it is cast: it
is not a ballot, only the voter's unsent choices, and a restart shows an empty ranking again.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import discord

from bot.discord.render import CONTENT_LIMIT, clip
from governance import labels
from governance.i18n import N_, _, ngettext
from governance.policies.base import DEFAULT_OPTION_KEY
from governance.services import elections
from governance.services.common import Context

PREFIX = "gb"
OPTIONS_PER_SELECT = 25
SELECTS_PER_PAGE = 4  # the fifth action row holds the buttons
PAGE_SIZE = OPTIONS_PER_SELECT * SELECTS_PER_PAGE
MOTION_CHOICES = (  # labels translated when the buttons are drawn
    ("yes", N_("Yes"), discord.ButtonStyle.success),
    ("no", N_("No"), discord.ButtonStyle.danger),
    ("abstain", N_("Abstain"), discord.ButtonStyle.secondary),
)
CUSTOM_ID = re.compile(
    r"^gb:(?P<kind>rk|ap|mv|ballot):(?P<action>[a-z]+):(?P<target>[a-z0-9_-]{1,64})"
    r"(?::(?P<arg>[a-z0-9]{1,16}))?$"
)


@dataclass(frozen=True)
class CustomId:
    """A parsed component id: ballot kind, action, target (election slug or motion number), argument."""

    kind: str
    action: str
    target: str
    arg: str | None = None

    def __str__(self) -> str:
        return ":".join([PREFIX, self.kind, self.action, self.target, *([self.arg] if self.arg else [])])


def parse_custom_id(value: str) -> CustomId | None:
    """The parsed id, or None when it is not one of govbot's (or is malformed)."""
    match = CUSTOM_ID.match(value or "")
    if match is None:
        return None
    return CustomId(match["kind"], match["action"], match["target"], match["arg"])


PICK_ARG = re.compile(r"^(?P<page>\d{1,4})s(?P<select>\d)$")
PAGE_ARG = re.compile(r"^[pn](?P<page>\d{1,4})$")


def pressed_page(cid: CustomId, remaining: int) -> int | None:
    """The ranked-ballot page a press names (a select's ``<page>s<select>``, a page button's ``p<n>`` or
    ``n<n>``; 0 for the other buttons), or None when it names a page or select the ballot of
    ``remaining`` unranked candidates does not have: a forged or garbled id, refused before it changes
    anything."""
    pages = max(1, -(-remaining // PAGE_SIZE))
    if cid.action == "pick":
        match = PICK_ARG.match(cid.arg or "")
        if match is None:
            return None
        page, select = int(match["page"]), int(match["select"])
        on_page = min(PAGE_SIZE, remaining - page * PAGE_SIZE)
        return page if page < pages and select * OPTIONS_PER_SELECT < on_page else None
    if cid.action == "page":
        match = PAGE_ARG.match(cid.arg or "")
        return int(match["page"]) if match and int(match["page"]) < pages else None
    return 0 if cid.arg is None else None


@dataclass(frozen=True)
class Choice:
    """A standing candidate as offered on a ballot."""

    handle: str
    name: str


@dataclass
class Drafts:
    """Ballots being filled in, per (guild, user, election): ranked picks, or approval picks per select."""

    ranked: dict[tuple[str, str, str], list[str]] = field(default_factory=dict)
    approved: dict[tuple[str, str, str], dict[int, list[str]]] = field(default_factory=dict)

    def reset(self, key: tuple[str, str, str]) -> None:
        """Forget a voter's unsent choices in one election."""
        self.ranked.pop(key, None)
        self.approved.pop(key, None)


async def standing(ctx: Context, slug: str) -> tuple[elections.ElectionView, list[Choice]]:
    """An election and its standing candidates in ballot order (by name, as ``election show`` lists them)."""
    view = await elections.show(ctx, slug)
    choices = [Choice(p.handle, p.name) for c, p in view.candidates if c.status == "accepted"]
    if view.default_option is not None:  # "None Of The Above": ranked like a candidate, listed last
        choices.append(Choice(DEFAULT_OPTION_KEY, _(view.default_option)))
    return view, choices


def is_ranked(method: str) -> bool:
    """Whether ballots in this counting method are rankings (else approval/plurality selections)."""
    return method in elections.RANKED_METHODS


def _option(choice: Choice) -> discord.SelectOption:
    default = choice.handle == DEFAULT_OPTION_KEY
    about = _("if it wins, no one is elected") if default else f"@{choice.handle}"
    return discord.SelectOption(
        label=clip(choice.name, 100), value=choice.handle, description=clip(about, 100)
    )


def _shown(names: dict[str, str], handle: str) -> str:
    """A ranked choice as the ballot lists it: the name and handle (the default option by its label)."""
    name = names.get(handle, handle)
    return name if handle == DEFAULT_OPTION_KEY else f"{name} (@{handle})"


def _view() -> discord.ui.View:
    return discord.ui.View(timeout=None)


def finished(view: discord.ui.View) -> discord.ui.View:
    """Mark a view as rendering only: presses are routed by custom id, not by discord.py's view store."""
    view.stop()
    return view


def ranked_ballot(
    title: str, slug: str, choices: Sequence[Choice], picked: Sequence[str], page: int = 0
) -> tuple[str, discord.ui.View]:
    """The text and components of a ranked ballot with ``picked`` already ranked, showing ``page``."""
    names = {c.handle: c.name for c in choices}
    remaining = [c for c in choices if c.handle not in picked]
    pages = max(1, -(-len(remaining) // PAGE_SIZE))
    page = min(max(page, 0), pages - 1)
    lines = [
        _(
            "**{title}** — ranked ballot. Pick your preferences in order; unranked candidates get none.",
            title=title,
        )
    ]
    if picked:
        lines.append(_("Your ranking so far:"))
        lines += [f"{i}. {_shown(names, h)}" for i, h in enumerate(picked, start=1)]
    else:
        lines.append(_("Nothing ranked yet."))
    if remaining and pages > 1:
        lines.append(
            _(
                "Choose your preference #{rank} (page {page} of {pages}). Then press **Cast ballot**.",
                rank=len(picked) + 1,
                page=page + 1,
                pages=pages,
            )
        )
    elif remaining:
        lines.append(_("Choose your preference #{rank}. Then press **Cast ballot**.", rank=len(picked) + 1))
    else:
        lines.append(_("Every candidate is ranked: press **Cast ballot**."))
    text = "\n".join(lines)
    if len(text) > CONTENT_LIMIT:
        head = lines[:2]
        tail = lines[-1:]
        shown = [f"{i}. {_shown(names, h)}" for i, h in enumerate(picked, start=1)]
        keep = [*shown[:5], ngettext("… {n} more …", "… {n} more …", len(shown) - 10), *shown[-5:]]
        text = clip("\n".join([*head, *keep, *tail]), CONTENT_LIMIT)
    view = _view()
    chunk = remaining[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
    for i in range(0, len(chunk), OPTIONS_PER_SELECT):
        part = chunk[i : i + OPTIONS_PER_SELECT]
        first, last = part[0].name, part[-1].name
        view.add_item(
            discord.ui.Select(
                custom_id=str(CustomId("rk", "pick", slug, f"{page}s{i // OPTIONS_PER_SELECT}")),
                placeholder=clip(
                    _("Preference #{rank}: {first} … {last}", rank=len(picked) + 1, first=first, last=last),
                    150,
                ),
                options=[_option(c) for c in part],
                min_values=1,
                max_values=1,
                row=i // OPTIONS_PER_SELECT,
            )
        )
    buttons = []
    if pages > 1:
        buttons.append(
            discord.ui.Button(
                label="◀",
                custom_id=str(CustomId("rk", "page", slug, f"p{max(page - 1, 0)}")),
                disabled=page == 0,
                style=discord.ButtonStyle.secondary,
            )
        )
        buttons.append(
            discord.ui.Button(
                label="▶",
                custom_id=str(CustomId("rk", "page", slug, f"n{page + 1}")),
                disabled=page >= pages - 1,
                style=discord.ButtonStyle.secondary,
            )
        )
    buttons += [
        discord.ui.Button(
            label=_("Undo"),
            custom_id=str(CustomId("rk", "undo", slug)),
            disabled=not picked,
            style=discord.ButtonStyle.secondary,
        ),
        discord.ui.Button(
            label=_("Clear"),
            custom_id=str(CustomId("rk", "clear", slug)),
            disabled=not picked,
            style=discord.ButtonStyle.secondary,
        ),
        discord.ui.Button(
            label=_("Cast ballot"),
            custom_id=str(CustomId("rk", "cast", slug)),
            disabled=not picked,
            style=discord.ButtonStyle.primary,
        ),
    ]
    for button in buttons:
        button.row = 4
        view.add_item(button)
    return text, finished(view)


def approval_ballot(
    title: str, slug: str, choices: Sequence[Choice], max_choices: int, kind: str
) -> tuple[str, discord.ui.View] | None:
    """The text and multi-selects of an approval (or plurality) ballot; None beyond 100 candidates."""
    if len(choices) > PAGE_SIZE:
        return None
    text = (
        ngettext(
            "**{title}** — plurality ballot. Select up to {n} candidate, then press **Cast ballot**.",
            "**{title}** — plurality ballot. Select up to {n} candidates, then press **Cast ballot**.",
            max_choices,
            title=title,
        )
        if kind == "plurality"
        else _(
            "**{title}** — {method} ballot. Select every candidate you approve of, then press "
            "**Cast ballot**.",
            title=title,
            method=labels.method_name(kind),
        )
    )
    view = _view()
    for i in range(0, len(choices), OPTIONS_PER_SELECT):
        part = choices[i : i + OPTIONS_PER_SELECT]
        view.add_item(
            discord.ui.Select(
                custom_id=str(CustomId("ap", "pick", slug, f"s{i // OPTIONS_PER_SELECT}")),
                placeholder=clip(f"{part[0].name} … {part[-1].name}", 150),
                options=[_option(c) for c in part],
                min_values=0,
                max_values=min(len(part), max_choices),
                row=i // OPTIONS_PER_SELECT,
            )
        )
    view.add_item(
        discord.ui.Button(
            label=_("Cast ballot"),
            custom_id=str(CustomId("ap", "cast", slug)),
            style=discord.ButtonStyle.primary,
            row=4,
        )
    )
    return text, finished(view)


def motion_buttons(motion_id: int) -> discord.ui.View:
    """Yes / No / Abstain buttons for a motion."""
    view = _view()
    for value, label, style in MOTION_CHOICES:
        view.add_item(
            discord.ui.Button(
                label=_(label), style=style, custom_id=str(CustomId("mv", "vote", str(motion_id), value))
            )
        )
    return finished(view)


def vote_button(slug: str) -> discord.ui.View:
    """A button that opens a private ballot for an election (attached to the voting-opened post)."""
    view = _view()
    view.add_item(
        discord.ui.Button(
            label=_("Open my ballot"),
            style=discord.ButtonStyle.primary,
            custom_id=str(CustomId("ballot", "open", slug)),
        )
    )
    return finished(view)
