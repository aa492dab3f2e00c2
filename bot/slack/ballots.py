"""Interactive ballots as Slack modals: ranked (one select per rank), approval (checkboxes), single
choice (a select), motions (Yes / No / Abstain buttons), and the candidate statements view.

Block Kit limits shape the forms: a modal holds at most 100 blocks, a select at most 100 options (longer
lists become type-ahead selects whose options govbot serves as the voter types), a checkbox group at most 10
options (longer lists are split over several groups), and a view at most 250 kB: a ranked form repeats
every candidate in every rank, so once it would pass ``VIEW_BUDGET`` (about 60 candidates with real names)
all its selects become type-ahead selects. A ranked form offers ``MAX_RANKS`` ranks; a longer ranking is
still possible with the typed command, and the form says so. A form Slack will not open is explained to
the voter (``not_opened``). Submissions are validated here
(duplicates, gaps, too many choices) and answered with ``response_action: errors`` so the voter fixes the
form in place; the ballot itself goes through ``elections.cast_ballot`` / ``motions.vote``, which decide
everything else.
"""

from __future__ import annotations

import json
import unicodedata
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from bot.present.replies import Reply, error
from bot.slack.render import Block, clip, context, escape, plain, section, sections
from governance import labels
from governance.charts import THRESHOLD_BASES
from governance.errors import Closed, InvalidInput
from governance.i18n import N_, _, format_datetime, ngettext
from governance.models import Candidate, Person
from governance.policies.base import DEFAULT_OPTION_KEY
from governance.services import elections, motions
from governance.services.common import Context

BALLOT_CALLBACK = "gov_ballot"
MOTION_CALLBACK = "gov_motion"
STATEMENTS_CALLBACK = "gov_statements"
STATEMENTS_ACTION = "gov_statements"
MOTION_VOTE_ACTION = "gov_motion_vote"  # + "_yes" / "_no" / "_abstain"
MAX_MODAL_BLOCKS = 100
MAX_OPTIONS = 100
MAX_CHECKBOXES = 10
MAX_RANKS = 30
VIEW_BUDGET = 200_000  # bytes; Slack refuses a view over 250 kB, and it adds its own fields on the way
STATEMENTS_PER_PAGE = 40
RANK_BLOCK = "rank_{}"
CHOICE_BLOCK = "choice"
APPROVE_BLOCK = "approve_{}"
ACTION = "pick"
MOTION_BUTTONS = (("yes", N_("Yes"), "primary"), ("no", N_("No"), "danger"), ("abstain", N_("Abstain"), None))


@dataclass(frozen=True)
class Standing:
    """A candidate on the ballot: handle (the value submitted), display name, statement."""

    handle: str
    name: str
    statement: str | None


def _standing(rows: list[tuple[Candidate, Person]]) -> list[Standing]:
    people = [Standing(p.handle, p.name, c.statement) for c, p in rows if c.status == "accepted"]
    return sorted(people, key=lambda s: (_fold(s.name), s.handle))


def _default_choice(view: elections.ElectionView) -> list[Standing]:
    """The election's default option ("None Of The Above"), offered after the candidates, if it has one."""
    if view.default_option is None:
        return []
    return [Standing(DEFAULT_OPTION_KEY, _(view.default_option), None)]


def _option(s: Standing) -> dict[str, Any]:
    text = s.name if s.handle == DEFAULT_OPTION_KEY else f"{s.name} (@{s.handle})"
    return {"text": plain(text, 75), "value": s.handle[:150]}


def select_element(
    candidates: list[Standing], placeholder: str, *, typeahead: bool = False
) -> dict[str, Any]:
    """A select over the candidates: a static select of up to 100, else (or when ``typeahead``) a
    type-ahead (external) select whose options govbot serves as the voter types (``suggest``), so any
    number of candidates fits and each rank of the form stays small."""
    if len(candidates) <= MAX_OPTIONS and not typeahead:
        return {
            "type": "static_select",
            "action_id": ACTION,
            "placeholder": plain(placeholder, 150),
            "options": [_option(s) for s in candidates],
        }
    return {
        "type": "external_select",
        "action_id": ACTION,
        "min_query_length": 0,
        "placeholder": plain(type_a_name(len(candidates)), 150),
    }


def view_bytes(view: dict[str, Any]) -> int:
    """The size of a view as ``slack_sdk`` sends it (JSON, non-ASCII escaped): Slack refuses over 250 kB."""
    return len(json.dumps(view).encode())


def type_a_name(count: int) -> str:
    """The placeholder of a type-ahead select over ``count`` candidates."""
    return ngettext("Type a name ({n} candidate)", "Type a name ({n} candidates)", count)


def choice_label(choice: str) -> str:
    """A vote on a motion (``yes``/``no``/``abstain``) as the reader says it."""
    return labels.label(labels.CHOICES, choice)


def suggest(candidates: list[Standing], query: str, limit: int = MAX_OPTIONS) -> list[dict[str, Any]]:
    """The options of a type-ahead select for ``query``: candidates whose name or handle contains every
    word typed (case- and accent-insensitive), names starting with it first, at most ``limit``."""
    words = _fold(query).split()
    found = [s for s in candidates if all(w in _fold(f"{s.name} {s.handle}") for w in words)]
    if words:
        found.sort(key=lambda s: (not _fold(s.name).startswith(words[0]), _fold(s.name), s.handle))
    return [_option(s) for s in found[:limit]]


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


async def suggestions(ctx: Context, view: dict[str, Any], query: str) -> list[dict[str, Any]]:
    """Options for a ballot form's type-ahead select: the standing candidates of the form's election."""
    try:
        meta = json.loads(view.get("private_metadata") or "{}")
    except ValueError:
        return []
    if not isinstance(meta, dict) or not isinstance(meta.get("slug"), str):
        return []
    shown = await elections.show(ctx, meta["slug"])
    return suggest(_standing(shown.candidates) + _default_choice(shown), query)


def _kind(method: str, seats: int) -> str:
    if method in elections.RANKED_METHODS:
        return "ranked"
    if method == "plurality" and seats == 1:
        return "single"
    return "multi"


async def election_modal(ctx: Context, slug: str, tz: ZoneInfo) -> dict[str, Any]:
    """The ballot modal for an election in voting; refuses (``Closed``) when it is not open.

    Static selects list every candidate in every rank, so a ranked form grows with ranks x candidates
    (99 candidates made 642 kB); when the form would pass ``VIEW_BUDGET`` its selects become type-ahead
    selects, which keeps any number of candidates within Slack's 250 kB per view.
    """
    view = await elections.show(ctx, slug)
    e = view.election
    if e.phase != "voting":
        raise Closed(
            _(
                "{title} is not open for voting (it is {phase}).",
                title=e.title,
                phase=labels.label(labels.ELECTION_PHASES, e.phase),
            ),
            _("See `election show {slug}`.", slug=e.slug),
        )
    standing = _standing(view.candidates)
    if not standing:
        raise InvalidInput(_("{title} has no candidates standing.", title=e.title))
    standing += _default_choice(view)
    kind = _kind(e.method, e.seats)
    deadline = format_datetime(e.voting_close_at, tz) if e.voting_close_at else "-"
    how = ngettext(
        "{n} seat, counted by {method}; voting closes {deadline}.",
        "{n} seats, counted by {method}; voting closes {deadline}.",
        e.seats,
        method=labels.method_name(e.method),
        deadline=deadline,
    )
    secrecy = _("Your ballot is secret.") if e.secret else _("This election's ballots are public.")
    head: list[Block] = [
        section(f"*{escape(e.title)}* — {escape(view.body.name)}\n{how} {secrecy}"),
        {
            "type": "actions",
            "block_id": "statements",
            "elements": [
                {
                    "type": "button",
                    "action_id": STATEMENTS_ACTION,
                    "value": e.slug,
                    "text": plain(_("Read candidate statements")),
                }
            ],
        },
    ]
    ranks = 0
    form: dict[str, Any] = {}
    for typeahead in (False, True):
        if kind == "ranked":
            ranks = min(len(standing), MAX_RANKS, MAX_MODAL_BLOCKS - len(head) - 1)
            inputs = _ranked_inputs(standing, ranks, e.slug, typeahead)
        elif kind == "single":
            inputs = [
                context(_("Choose one candidate.")),
                {
                    "type": "input",
                    "block_id": CHOICE_BLOCK,
                    "label": plain(_("Your choice")),
                    "element": select_element(standing, _("Choose a candidate"), typeahead=typeahead),
                },
            ]
        else:
            inputs = _multi_inputs(standing, e.method, e.seats, typeahead)
        meta = {"kind": "election", "slug": e.slug, "form": kind, "ranks": ranks, "seats": e.seats}
        form = {
            "type": "modal",
            "callback_id": BALLOT_CALLBACK,
            "private_metadata": json.dumps({**meta, "method": e.method}),
            "title": plain(_("Your ballot"), 24),
            "submit": plain(_("Cast ballot"), 24),
            "close": plain(_("Cancel"), 24),
            "blocks": head + inputs,
        }
        if view_bytes(form) <= VIEW_BUDGET:
            break
    return form


def _ranked_inputs(standing: list[Standing], ranks: int, slug: str, typeahead: bool) -> list[Block]:
    """A ranked form's note and one select per rank (type-ahead when asked, or over 100 candidates)."""
    note = _("Rank as many candidates as you like, most preferred first; leave the rest blank.")
    if ranks < len(standing):
        note += " " + _(
            "This form ranks up to {ranks}; to rank more, type `/gov vote {slug} <first> <second> …`.",
            ranks=ranks,
            slug=slug,
        )
    blocks: list[Block] = [context(note)]
    for i in range(1, ranks + 1):
        blocks.append(
            {
                "type": "input",
                "block_id": RANK_BLOCK.format(i),
                "optional": i > 1,
                "label": plain(_("Choice {i}", i=i)),
                "element": select_element(standing, _("Choose a candidate"), typeahead=typeahead),
            }
        )
    return blocks


def _multi_inputs(standing: list[Standing], method: str, seats: int, typeahead: bool) -> list[Block]:
    """An approval / multi-seat plurality form: groups of 10 checkboxes, or, over 100 candidates (or when
    asked), one type-ahead multi-select."""
    plurality = method == "plurality"
    if len(standing) > MAX_OPTIONS or typeahead:  # too many to tick through: pick them by name as you type
        how_many = (
            ngettext(
                "Choose at most {n} candidate: type a name, then pick; repeat for each.",
                "Choose at most {n} candidates: type a name, then pick; repeat for each.",
                seats,
            )
            if plurality
            else _("Choose as many as you approve of: type a name, then pick; repeat for each.")
        )
        element: dict[str, Any] = {
            "type": "multi_external_select",
            "action_id": ACTION,
            "min_query_length": 0,
            "placeholder": plain(type_a_name(len(standing)), 150),
        }
        if plurality:
            element["max_selected_items"] = seats
        return [
            context(how_many),
            {
                "type": "input",
                "block_id": APPROVE_BLOCK.format(0),
                "optional": True,
                "label": plain(_("Candidates")),
                "element": element,
            },
        ]
    how_many = (
        ngettext("Tick at most {n} candidate.", "Tick at most {n} candidates.", seats)
        if plurality
        else _("Tick as many as you approve of.")
    )
    blocks: list[Block] = [context(how_many)]
    groups = [standing[i : i + MAX_CHECKBOXES] for i in range(0, len(standing), MAX_CHECKBOXES)]
    for n, group in enumerate(groups):
        label = (
            _("Candidates")
            if len(groups) == 1
            else _(
                "Candidates {first}–{last}",
                first=n * MAX_CHECKBOXES + 1,
                last=n * MAX_CHECKBOXES + len(group),
            )
        )
        blocks.append(
            {
                "type": "input",
                "block_id": APPROVE_BLOCK.format(n),
                "optional": True,
                "label": plain(label),
                "element": {
                    "type": "checkboxes",
                    "action_id": ACTION,
                    "options": [_option(s) for s in group],
                },
            }
        )
    return blocks


def read_ballot(view: dict[str, Any]) -> tuple[str, list[str], dict[str, str]]:
    """Read a submitted ballot modal: the election, the choices in order, and per-block errors.

    Ranked forms are checked for duplicates (the later rank is flagged) and gaps (an empty rank above a
    filled one); approval / multi forms for the number ticked. An empty ballot is an error on the first
    input. Unknown or malformed state is treated as empty, never as an exception.
    """
    meta = json.loads(view.get("private_metadata") or "{}")
    if not isinstance(meta, dict) or meta.get("kind") != "election" or not isinstance(meta.get("slug"), str):
        raise InvalidInput(
            _("This ballot form is not one govbot recognises."), _("Open the ballot again with /gov vote.")
        )
    values = (view.get("state") or {}).get("values") or {}
    if not isinstance(values, dict):
        values = {}

    def picked(block_id: str) -> list[str]:
        state = (values.get(block_id) or {}).get(ACTION) or {}
        if not isinstance(state, dict):
            return []
        if isinstance(state.get("selected_option"), dict):
            return [str(state["selected_option"].get("value", ""))]
        options = state.get("selected_options")
        if isinstance(options, list):
            return [str(o.get("value", "")) for o in options if isinstance(o, dict)]
        return []

    form = meta.get("form")
    errors: dict[str, str] = {}
    choices: list[str] = []
    if form == "ranked":
        ranks = int(meta.get("ranks") or 0)
        seen: dict[str, int] = {}
        empty_at: int | None = None
        for i in range(1, ranks + 1):
            got = picked(RANK_BLOCK.format(i))
            if not got:
                empty_at = empty_at or i
                continue
            handle = got[0]
            if empty_at is not None:
                errors.setdefault(
                    RANK_BLOCK.format(empty_at),
                    _(
                        "Choice {empty} is empty but choice {filled} is filled: fill the choices in order.",
                        empty=empty_at,
                        filled=i,
                    ),
                )
            if handle in seen:
                errors[RANK_BLOCK.format(i)] = _(
                    "Already chosen as choice {rank}: pick each candidate once.", rank=seen[handle]
                )
            else:
                seen[handle] = i
                choices.append(handle)
        if not choices and not errors:
            errors[RANK_BLOCK.format(1)] = _("Choose at least your first choice.")
    elif form == "single":
        choices = picked(CHOICE_BLOCK)[:1]
        if not choices:
            errors[CHOICE_BLOCK] = _("Choose a candidate.")
    else:
        blocks = sorted(
            (b for b in values if b.startswith("approve_")),
            key=lambda b: int(b[8:] or 0) if b[8:].isdigit() else 0,
        )
        for block_id in blocks:
            choices += picked(block_id)
        first = APPROVE_BLOCK.format(0)
        if not choices:
            errors[first] = _("Tick at least one candidate.")
        elif meta.get("method") == "plurality" and len(choices) > int(meta.get("seats") or 1):
            errors[first] = ngettext(
                "Tick at most {n} candidate; you ticked {ticked}.",
                "Tick at most {n} candidates; you ticked {ticked}.",
                int(meta.get("seats") or 1),
                ticked=len(choices),
            )
    return str(meta["slug"]), choices, errors


def first_input(view: dict[str, Any]) -> str:
    """The block id of the first input in a submitted view (where a general error is shown)."""
    for block in view.get("blocks") or []:
        if isinstance(block, dict) and block.get("type") == "input" and block.get("block_id"):
            return str(block["block_id"])
    return RANK_BLOCK.format(1)


async def statements_view(ctx: Context, slug: str, page: int = 0) -> dict[str, Any]:
    """The candidate statements, pushed on top of a ballot; long lists are paged."""
    view = await elections.show(ctx, slug)
    standing = _standing(view.candidates)
    start = page * STATEMENTS_PER_PAGE
    chunk = standing[start : start + STATEMENTS_PER_PAGE]
    count = ngettext("{n} candidate.", "{n} candidates.", len(standing))
    blocks: list[Block] = [section(f"*{escape(view.election.title)}*: {count}")]
    for s in chunk:
        statement = escape(s.statement) if s.statement else "_" + _("No statement.") + "_"
        blocks.append(section(clip(f"*{escape(s.name)}* (@{escape(s.handle)})\n{statement}", 3000)))
    nav = []
    if page > 0:
        nav.append(
            {
                "type": "button",
                "action_id": STATEMENTS_ACTION + "_prev",
                "value": f"{slug}|{page - 1}",
                "text": plain(_("Previous")),
            }
        )
    if start + STATEMENTS_PER_PAGE < len(standing):
        nav.append(
            {
                "type": "button",
                "action_id": STATEMENTS_ACTION + "_next",
                "value": f"{slug}|{page + 1}",
                "text": plain(_("Next")),
            }
        )
    if nav:
        blocks.append({"type": "actions", "block_id": "pages", "elements": nav})
    return {
        "type": "modal",
        "callback_id": STATEMENTS_CALLBACK,
        "title": plain(_("Candidates"), 24),
        "close": plain(_("Back"), 24),
        "private_metadata": json.dumps({"slug": slug, "page": page}),
        "blocks": blocks,
    }


async def motion_modal(ctx: Context, ref: str, tz: ZoneInfo) -> dict[str, Any]:
    """The Yes / No / Abstain modal for an open motion; refuses (``Closed``) when it is not open."""
    view = await motions.show(ctx, ref)
    m = view.motion
    if m.phase != "open":
        raise Closed(
            _(
                "Motion M{id} is {phase}; votes are no longer taken.",
                id=m.id,
                phase=labels.label(labels.MOTION_PHASES, m.phase),
            )
        )
    needs = _(
        "Needs {threshold} of {base}, quorum {quorum} of {seated}; closes {deadline}.",
        threshold=m.threshold,
        base=labels.label(THRESHOLD_BASES, m.threshold_of),
        quorum=m.quorum,
        seated=m.seated,
        deadline=format_datetime(m.deadline, tz),
    )
    blocks: list[Block] = [section(f"*M{m.id}: {escape(m.title)}* — {escape(view.body.name)}\n{needs}")]
    if m.text:
        blocks += sections(m.text)
    blocks.append(context(_("Secret ballot.") if m.secret else _("Roll-call vote: how you vote is public.")))
    blocks.append(
        {
            "type": "actions",
            "block_id": "motion_vote",
            "elements": [
                {
                    "type": "button",
                    "action_id": f"{MOTION_VOTE_ACTION}_{choice}",
                    "value": str(m.id),
                    "text": plain(_(text)),
                    **({"style": style} if style else {}),
                }
                for choice, text, style in MOTION_BUTTONS
            ],
        }
    )
    return {
        "type": "modal",
        "callback_id": MOTION_CALLBACK,
        "title": plain(_("Motion M{id}", id=m.id), 24),
        "close": plain(_("Close"), 24),
        "private_metadata": json.dumps({"kind": "motion", "motion": m.id}),
        "blocks": blocks,
    }


def not_opened(reason: str, kind: str, ref: str) -> Reply:
    """What to tell a voter whose ballot form Slack would not open (``reason`` is Slack's error code):
    why, and how to vote anyway (click again when the click went stale, else type the vote)."""
    typed = (
        _("Vote by typing `/gov vote {ref} <choices>`.", ref=ref)
        if kind == "election"
        else _("Vote by typing `/gov motion vote {ref} yes`, `no` or `abstain`.", ref=ref)
    )
    if reason in ("expired_trigger_id", "exchanged_trigger_id", "invalid_trigger_id"):
        return error(
            _("Slack would not open the ballot form: it took too long to get ready."),
            _("Try again in a moment.") + " " + typed,
        )
    return error(_("Slack would not open the ballot form."), typed)


def done_view(title: str, text: str, ok: bool = True) -> dict[str, Any]:
    """A modal that only says what happened (after a vote, or when the vote was refused)."""
    head = text if ok else f":warning: *{text}*"
    return {
        "type": "modal",
        "callback_id": "gov_done",
        "title": plain(title, 24),
        "close": plain(_("Close"), 24),
        "blocks": [section(head)],
    }
