"""Outbox notices as people read them, written once for every platform.

A service queues a notice as data (``governance.notices``: a kind and its parameters); at delivery
:func:`render` writes it for one reader: the sentence in their language, datetimes in their time zone,
commands in their platform's syntax (``bot/present/syntax.py``), and, as data, the actions a platform
may offer as buttons (``Action("vote", "election:board-2027")``) and the result whose table and charts
go with it. Slack, Discord and the console all deliver through here, so a notice offers the same
actions everywhere and no deliverer reads anything back out of a sentence.

A row queued by an older version carries its finished sentence (``text``) and, when it was a
translatable message, its English source in ``payload["i18n"]``: :func:`render_pending` delivers it as
before, in the reader's language where it can.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from typing import Any, Protocol

from bot.present.syntax import Platform, command
from governance import i18n, labels, notices, recurrence
from governance.i18n import N_, _, ngettext, using_locale
from governance.policies.base import NONE_OF_THE_ABOVE
from governance.services.tasks import left_in_words
from governance.tally.motion import reason_text


@dataclass(frozen=True)
class Action:
    """Something a notice offers to do, as data: ``name`` (``vote``, ``approve``, ...), what it acts on
    (``target``: ``election:<slug>``, ``motion:<n>``, ``membership:<body>:<handle>``, ...) and the
    command it stands for, as words. A platform shows it as a button where it has one (Vote) and
    otherwise relies on the command written in the text."""

    name: str
    target: str
    command: tuple[str, ...] = ()


@dataclass(frozen=True)
class ResultRef:
    """The poll whose result goes with a notice (its table, its charts): ``kind`` is ``election`` (``ref``
    its slug) or ``motion`` (``ref`` its number)."""

    kind: str
    ref: str


@dataclass(frozen=True)
class Notice:
    """A notice written for one reader: the text, the actions and the result that go with it."""

    text: str
    actions: tuple[Action, ...] = ()
    result: ResultRef | None = None

    def action(self, name: str) -> Action | None:
        """The first action called ``name``, or None."""
        return next((a for a in self.actions if a.name == name), None)


VOTE = "vote"


@dataclass(frozen=True)
class _Reader:
    """What a renderer needs of its reader: their time zone and platform."""

    tz: tzinfo
    platform: Platform

    def at(self, when: datetime) -> datetime:
        """``when`` in the reader's zone (a ``%Z`` in the sentence names it)."""
        return when.astimezone(self.tz)

    def cmd(self, *words: object) -> str:
        """A command in the reader's platform's syntax."""
        return command([str(w) for w in words], self.platform)


Renderer = Callable[[dict[str, Any], _Reader], Notice]
_RENDERERS: dict[str, Renderer] = {}


def _renders(kind: str) -> Callable[[Renderer], Renderer]:
    def register(fn: Renderer) -> Renderer:
        _RENDERERS[kind] = fn
        return fn

    return register


def _vote(target: str, *words: object) -> Action:
    return Action(VOTE, target, tuple(str(w) for w in words))


# ---------------------------------------------------------------- elections


@_renders("election.nominations_opened")
def _nominations_opened(p: dict[str, Any], r: _Reader) -> Notice:
    words = ("election", "nominate", p["election"], "<handle>")
    text = _(
        "Nominations are open for {title} ({seats} seat(s)) until {closes:%Y-%m-%d %H:%M %Z}. "
        "Nominate with {command}.",
        title=p["title"],
        seats=p["seats"],
        closes=r.at(p["closes"]),
        command=r.cmd(*words),
    )
    return Notice(text, (Action("nominate", f"election:{p['election']}", words),))


@_renders("election.nominations_closed")
def _nominations_closed(p: dict[str, Any], r: _Reader) -> Notice:
    names, opens = ", ".join(p["standing"]), p["opens"]
    if names and opens is not None:
        text = _(
            "Nominations for {title} are closed. Standing: {names}. Voting opens {opens:%Y-%m-%d %H:%M %Z}.",
            title=p["title"],
            names=names,
            opens=r.at(opens),
        )
    elif names:
        text = _("Nominations for {title} are closed. Standing: {names}.", title=p["title"], names=names)
    elif opens is not None:
        text = _(
            "Nominations for {title} are closed. Standing: nobody yet. Voting opens "
            "{opens:%Y-%m-%d %H:%M %Z}.",
            title=p["title"],
            opens=r.at(opens),
        )
    else:
        text = _("Nominations for {title} are closed. Standing: nobody yet.", title=p["title"])
    return Notice(text)


@_renders("candidate.nominated")
def _nominated(p: dict[str, Any], r: _Reader) -> Notice:
    accept, decline = (
        ("election", "accept", p["election"], "[statement]"),
        ("election", "decline", p["election"]),
    )
    text = _(
        "{actor} nominated you in {title}. Accept with {command} or decline with {command2}.",
        actor=p["actor_name"],
        title=p["title"],
        command=r.cmd(*accept),
        command2=r.cmd(*decline),
    )
    target = f"election:{p['election']}"
    return Notice(text, (Action("accept", target, accept), Action("decline", target, decline)))


@_renders("election.voting_opened")
def _voting_opened(p: dict[str, Any], r: _Reader) -> Notice:
    words = ("vote", p["election"], "<first>", "<second>", "...")
    text = _(
        "Voting is open in {title} until {closes:%Y-%m-%d %H:%M %Z}: {command}.",
        title=p["title"],
        closes=r.at(p["closes"]),
        command=r.cmd(*words),
    )
    return Notice(text, (_vote(f"election:{p['election']}", *words),))


@_renders("election.reminder")
def _election_reminder(p: dict[str, Any], r: _Reader) -> Notice:
    words = ("vote", p["election"], "<first>", "<second>", "...")
    text = _(
        "Reminder: voting in {title} closes {closes:%Y-%m-%d %H:%M %Z} (in {left}) and you have not voted "
        "yet. Vote with {command}.",
        title=p["title"],
        closes=r.at(p["closes"]),
        left=left_in_words(p["closes"] - p["as_of"]),
        command=r.cmd(*words),
    )
    return Notice(text, (_vote(f"election:{p['election']}", *words),))


@_renders("election.proxy")
def _election_proxy(p: dict[str, Any], r: _Reader) -> Notice:
    words = ("vote", p["election"], "<first>", "<second>", "...", "--proxy-for", p["delegator"])
    text = _(
        "{delegator} named you as their proxy in {title}. Cast their ballot with {command}; their own "
        "vote, if they cast one, overrides yours.",
        delegator=p["delegator_name"],
        title=p["title"],
        command=r.cmd(*words),
    )
    return Notice(text, (Action("vote_for", f"election:{p['election']}", words),))


@_renders("election.proxy_voted")
def _proxy_voted(p: dict[str, Any], r: _Reader) -> Notice:
    words = ("vote", p["election"], "<first>", "<second>", "...")
    text = _(
        "Your proxy {proxy} cast your ballot in {slug}. Vote yourself before voting closes to override it: "
        "{command}.",
        proxy=p["proxy_name"],
        slug=p["election"],
        command=r.cmd(*words),
    )
    return Notice(text, (Action("override", f"election:{p['election']}", words),))


@_renders("election.result")
def _election_result(p: dict[str, Any], r: _Reader) -> Notice:
    method = labels.method_name(p["method"])
    if p["elected"]:
        text = _(
            "Result of {title}: elected {names} ({count} ballots, {method}).",
            title=p["title"],
            names=", ".join(p["elected"]),
            count=p["ballots"],
            method=method,
        )
    elif p["option"] == NONE_OF_THE_ABOVE:
        text = _(
            "Result of {title}: None Of The Above won: no one is elected; the secretariat may re-run the "
            "election ({count} ballots, {method}).",
            title=p["title"],
            count=p["ballots"],
            method=method,
        )
    elif p["option"] is not None:
        text = _(
            "Result of {title}: the default option, {option}, won: no one is elected; the secretariat may "
            "re-run the election ({count} ballots, {method}).",
            title=p["title"],
            option=p["option"],
            count=p["ballots"],
            method=method,
        )
    else:
        text = _(
            "Result of {title}: elected nobody ({count} ballots, {method}).",
            title=p["title"],
            count=p["ballots"],
            method=method,
        )
    return Notice(text, result=ResultRef("election", p["election"]))


@_renders("election.certified")
def _certified(p: dict[str, Any], r: _Reader) -> Notice:
    if not p["empty"]:
        text = _(
            "{title} is certified; the elected are now members of {body}.",
            title=p["title"],
            body=p["body_name"],
        )
    else:
        text = ngettext(
            "{title} is certified: no one was elected, so {n} seat of {body} stays empty until the "
            "election is run again.",
            "{title} is certified: no one was elected, so {n} seats of {body} stay empty until the "
            "election is run again.",
            p["empty"],
            title=p["title"],
            body=p["body_name"],
        )
    return Notice(text)


@_renders("election.seats_changed")
def _seats_changed(p: dict[str, Any], r: _Reader) -> Notice:
    text = ngettext(
        "{title} now fills {n} seat, not {before}: with staggered terms, that is what {body} has free "
        "by its voting close on {close:%Y-%m-%d}.",
        "{title} now fills {n} seats, not {before}: with staggered terms, that is what {body} has free "
        "by its voting close on {close:%Y-%m-%d}.",
        p["seats"],
        title=p["title"],
        before=p["before"],
        body=p["body_name"],
        close=r.at(p["close"]),
    )
    return Notice(text)


_TIMELINE_LABELS = {
    "nominations_open_at": N_("nominations open"),
    "nominations_close_at": N_("nominations close"),
    "voting_open_at": N_("voting open"),
    "voting_close_at": N_("voting close"),
}


@_renders("election.timeline_changed")
def _timeline_changed(p: dict[str, Any], r: _Reader) -> Notice:
    dates = "; ".join(
        _(
            "{what} {when:%Y-%m-%d %H:%M %Z}",
            what=_(_TIMELINE_LABELS[k]) if k in _TIMELINE_LABELS else k,
            when=r.at(datetime.fromisoformat(v)),
        )
        for k, v in dict(p["changes"]).items()
    )
    return Notice(_("New dates for {title}: {dates}.", title=p["title"], dates=dates))


@_renders("election.exception_requested")
def _exception_requested(p: dict[str, Any], r: _Reader) -> Notice:
    grant = ("election", "exception-grant", p["election"], p["person"], "--reason", "...")
    deny = ("election", "exception-deny", p["election"], p["person"], "--reason", "...")
    text = _(
        "{name} asks to be added to the electorate of {title}: {reason}. Decide with {command} or "
        "{command2}.",
        name=p["person_name"],
        title=p["title"],
        reason=p["reason"],
        command=r.cmd(*grant),
        command2=r.cmd(*deny),
    )
    target = f"exception:{p['election']}:{p['person']}"
    return Notice(text, (Action("approve", target, grant), Action("deny", target, deny)))


@_renders("election.exception_decided")
def _exception_decided(p: dict[str, Any], r: _Reader) -> Notice:
    if p["granted"]:
        text = _(
            "Your exception in {title} is granted: you may vote ({reason}).",
            title=p["title"],
            reason=p["reason"],
        )
    else:
        text = _("Your exception in {title} is denied: {reason}.", title=p["title"], reason=p["reason"])
    return Notice(text)


# ---------------------------------------------------------------- motions


_PROPOSED = {
    (True, True): N_(
        "Motion M{id} before {body}: {title}. It passes by lazy consensus unless someone objects "
        "({command}) by {deadline:%Y-%m-%d %H:%M %Z} (secret ballot)."
    ),
    (True, False): N_(
        "Motion M{id} before {body}: {title}. It passes by lazy consensus unless someone objects "
        "({command}) by {deadline:%Y-%m-%d %H:%M %Z} (roll-call: votes are public)."
    ),
    (False, True): N_(
        "Motion M{id} before {body}: {title}. Vote with {command} by {deadline:%Y-%m-%d %H:%M %Z} "
        "(secret ballot)."
    ),
    (False, False): N_(
        "Motion M{id} before {body}: {title}. Vote with {command} by {deadline:%Y-%m-%d %H:%M %Z} "
        "(roll-call: votes are public)."
    ),
}


@_renders("motion.proposed")
def _motion_proposed(p: dict[str, Any], r: _Reader) -> Notice:
    lazy = bool(p["lazy_consensus"])
    words = ("motion", "vote", p["motion"], "no" if lazy else "yes|no|abstain")
    text = _(
        _PROPOSED[(lazy, bool(p["secret"]))],
        id=p["motion"],
        body=p["body_name"],
        title=p["title"],
        deadline=r.at(p["deadline"]),
        command=r.cmd(*words),
    )
    return Notice(text, (_vote(f"motion:{p['motion']}", *words),))


@_renders("motion.reminder")
def _motion_reminder(p: dict[str, Any], r: _Reader) -> Notice:
    words = ("motion", "vote", p["motion"], "yes|no|abstain")
    text = _(
        "Reminder: voting on motion M{id} ({title}) before {body} closes {deadline:%Y-%m-%d %H:%M %Z} (in "
        "{left}) and you have not voted yet: {command}.",
        id=p["motion"],
        title=p["title"],
        body=p["body_name"],
        deadline=r.at(p["deadline"]),
        left=left_in_words(p["deadline"] - p["as_of"]),
        command=r.cmd(*words),
    )
    return Notice(text, (_vote(f"motion:{p['motion']}", *words),))


@_renders("motion.proxy")
def _motion_proxy(p: dict[str, Any], r: _Reader) -> Notice:
    words = ("motion", "vote", p["motion"], "yes|no|abstain", "--proxy-for", p["delegator"])
    text = _(
        "{actor} named you as their proxy on motion M{id} ({title}). Vote for them with {command}; their own "
        "vote, if they cast one, overrides yours.",
        actor=p["delegator_name"],
        id=p["motion"],
        title=p["title"],
        command=r.cmd(*words),
    )
    return Notice(text, (Action("vote_for", f"motion:{p['motion']}", words),))


@_renders("motion.deadline_changed")
def _motion_deadline(p: dict[str, Any], r: _Reader) -> Notice:
    text = _(
        "Motion M{id} ({title}) now closes {deadline:%Y-%m-%d %H:%M %Z}.",
        id=p["motion"],
        title=p["title"],
        deadline=r.at(p["deadline"]),
    )
    return Notice(text)


_RESULTS = {
    ("passed", False): N_("Motion M{id} ({title}) passed: {reason}"),
    ("failed", False): N_("Motion M{id} ({title}) failed: {reason}"),
    ("no_quorum", False): N_("Motion M{id} ({title}) no quorum: {reason}"),
    ("passed", True): N_(
        "Motion M{id} ({title}) passed (closed early: the remaining votes could not change it): {reason}"
    ),
    ("failed", True): N_(
        "Motion M{id} ({title}) failed (closed early: the remaining votes could not change it): {reason}"
    ),
    ("no_quorum", True): N_(
        "Motion M{id} ({title}) no quorum (closed early: the remaining votes could not change it): {reason}"
    ),
}


@_renders("motion.result")
def _motion_result(p: dict[str, Any], r: _Reader) -> Notice:
    result = p["result"] if isinstance(p["result"], dict) else {}
    text = _(
        _RESULTS[(p["outcome"], bool(p["settled"]))],
        id=p["motion"],
        title=p["title"],
        reason=reason_text(result, i18n.current_locale()),
    )
    return Notice(text, result=ResultRef("motion", str(p["motion"])))


# ---------------------------------------------------------------- bodies and memberships


@_renders("membership.requested")
def _join_requested(p: dict[str, Any], r: _Reader) -> Notice:
    approve, deny = ("wg", "approve", p["body"], p["person"]), ("wg", "deny", p["body"], p["person"])
    text = _(
        "{person} asks to join {body}: {command} or {command2}.",
        person=p["person_name"],
        body=p["body_name"],
        command=r.cmd(*approve),
        command2=r.cmd(*deny),
    )
    target = f"membership:{p['body']}:{p['person']}"
    return Notice(text, (Action("approve", target, approve), Action("deny", target, deny)))


def _verdict(approved: bool) -> Renderer:
    def render(p: dict[str, Any], r: _Reader) -> Notice:
        fields = {"actor": p["actor_name"], "body": p["body_name"]}
        if approved and p["reason"]:
            text = _("{actor} approved your request to join {body}. {reason}", **fields, reason=p["reason"])
        elif approved:
            text = _("{actor} approved your request to join {body}.", **fields)
        elif p["reason"]:
            text = _("{actor} declined your request to join {body}. {reason}", **fields, reason=p["reason"])
        else:
            text = _("{actor} declined your request to join {body}.", **fields)
        return Notice(text)

    return render


_RENDERERS["membership.approved"] = _verdict(True)
_RENDERERS["membership.declined"] = _verdict(False)


@_renders("membership.state")
def _member_state(p: dict[str, Any], r: _Reader) -> Notice:
    body, reason = p["body_name"], p["reason"]
    if p["inactive"]:
        text = (
            _(
                "You are now an emeritus member of {body}: you stay on its list, without a vote. {reason}",
                body=body,
                reason=reason,
            )
            if reason
            else _(
                "You are now an emeritus member of {body}: you stay on its list, without a vote.", body=body
            )
        )
        return Notice(text)
    state_name = _(labels.MEMBER_STATES.get(p["state"], p["state"]))
    text = (
        _("You are now {state_name} in {body}. {reason}", state_name=state_name, body=body, reason=reason)
        if reason
        else _("You are now {state_name} in {body}.", state_name=state_name, body=body)
    )
    return Notice(text)


@_renders("membership.removed")
def _removed(p: dict[str, Any], r: _Reader) -> Notice:
    if p["reason"]:
        return Notice(_("You were removed from {body}. {reason}", body=p["body_name"], reason=p["reason"]))
    return Notice(_("You were removed from {body}.", body=p["body_name"]))


@_renders("membership.seated")
def _seated(p: dict[str, Any], r: _Reader) -> Notice:
    role_name = _(labels.ROLES.get(p["role"], p["role"]))
    return Notice(_("You are now {role_name} of {body}.", role_name=role_name, body=p["body_name"]))


@_renders("membership.term_ended")
def _term_ended(p: dict[str, Any], r: _Reader) -> Notice:
    fields = {"body": p["body_name"], "ends": r.at(p["ends"]), "title": p["title"]}
    if p["emeritus"]:
        text = _(
            "Your term on {body} ended on {ends:%Y-%m-%d} and {title} has filled the seat; you stay on its "
            "list as an emeritus member, without a vote.",
            **fields,
        )
    else:
        text = _(
            "Your term on {body} ended on {ends:%Y-%m-%d} and {title} has filled the seat. Thank you for "
            "serving.",
            **fields,
        )
    return Notice(text)


@_renders("term.expiring")
def _term_expiring(p: dict[str, Any], r: _Reader) -> Notice:
    if p["person"] is not None:
        text = _(
            "{person}'s term on {body} ends {ends:%Y-%m-%d}.",
            person=p["person_name"],
            body=p["body_name"],
            ends=r.at(p["ends"]),
        )
        return Notice(text)
    text = _(
        "Your term on {body} ends {ends:%Y-%m-%d} ({left} from now). "
        "Ask the secretariat about re-election or renewal if you wish to continue.",
        body=p["body_name"],
        ends=r.at(p["ends"]),
        left=left_in_words(p["ends"] - p["as_of"]),
    )
    return Notice(text)


@_renders("body.orphaned")
def _orphaned(p: dict[str, Any], r: _Reader) -> Notice:
    seat = ("body", "seat", p["body"], "<handle>", "--role", "chair")
    if p["election"] is None:
        text = _(
            "{body} has no chair in office since {person}'s status changed; until a chair is seated "
            "({command}), the secretariat decides its join requests ({command2}).",
            body=p["body_name"],
            person=p["person_name"],
            command=r.cmd(*seat),
            command2=r.cmd("wg", "pending", p["body"]),
        )
    else:
        text = _(
            "{body} has no chair in office since {person}'s term ended at the certification of {election}; "
            "seat a chair with {command}.",
            body=p["body_name"],
            person=p["person_name"],
            election=p["election"],
            command=r.cmd(*seat),
        )
    return Notice(text, (Action("seat", f"body:{p['body']}", seat),))


@_renders("wg.review")
def _wg_review(p: dict[str, Any], r: _Reader) -> Notice:
    names = ", ".join(p["names"]) + (" …" if p["count"] > len(p["names"]) else "")
    review = ("wg", "review", p["body"], "--days", p["days"])
    text = _(
        "{count} member(s) of {body} have not taken part for {days} days: {names}. Review with {command}; "
        "remove with {command2}.",
        count=p["count"],
        body=p["body_name"],
        days=p["days"],
        names=names,
        command=r.cmd(*review),
        command2=r.cmd("wg", "review-confirm", p["body"], "<handle>", "...", "--days", p["days"]),
    )
    return Notice(text, (Action("review", f"body:{p['body']}", tuple(map(str, review))),))


# ---------------------------------------------------------------- meetings, audit, schedule


def _summary(p: dict[str, Any]) -> str:
    return _(
        "{rule} at {time} {zone} ({minutes} min)",
        rule=recurrence.describe(p["rrule"]),
        time=p["time"],
        zone=p["zone"],
        minutes=p["minutes"],
    )


@_renders("meeting.scheduled")
def _meeting_scheduled(p: dict[str, Any], r: _Reader) -> Notice:
    words = ("wg", "meetings", p["body"], "--ics", p["series"])
    text = _(
        "{name}: {summary}, first on {first:%A %Y-%m-%d}. Add it to your calendar: {command}.",
        name=p["title"],
        summary=_summary(p),
        first=datetime.fromisoformat(p["first"]),
        command=r.cmd(*words),
    )
    return Notice(text, (Action("calendar", f"meeting:{p['series']}", tuple(map(str, words))),))


@_renders("meeting.rescheduled")
def _meeting_rescheduled(p: dict[str, Any], r: _Reader) -> Notice:
    text = _(
        "{title} moved: now {summary}, next on {first:%A %Y-%m-%d}.",
        title=p["title"],
        summary=_summary(p),
        first=datetime.fromisoformat(p["first"]),
    )
    return Notice(text)


@_renders("meeting.cancelled")
def _meeting_cancelled(p: dict[str, Any], r: _Reader) -> Notice:
    return Notice(_("{title} ({body}) is cancelled.", title=p["title"], body=p["body_name"]))


@_renders("meeting.reminder")
def _meeting_reminder(p: dict[str, Any], r: _Reader) -> Notice:
    start = p["start"]
    text = _(
        "Reminder: {title} starts {local:%A %Y-%m-%d %H:%M} {zone} ({start:%H:%M} UTC), in {left}.",
        title=p["title"],
        local=start.astimezone(recurrence.zone(p["zone"])),
        zone=p["zone"],
        start=start.astimezone(UTC),
        left=left_in_words(start - p["as_of"]),
    )
    return Notice(text)


@_renders("audit.checkpoint")
def _checkpoint(p: dict[str, Any], r: _Reader) -> Notice:
    text = _(
        "Signed checkpoint {seq} of the audit log ({subject}): {hash}, key {key_id}. Keep this line: with it "
        "anyone can show a later rewrite of the log.",
        seq=p["checkpoint"],
        subject=p["subject"],
        hash=p["hash"],
        key_id=p["key_id"],
    )
    return Notice(text)


@_renders("schedule.refused")
def _refused(p: dict[str, Any], r: _Reader) -> Notice:
    locale = i18n.current_locale()
    reason = i18n.render_stored(p["reason"], locale, str(p["reason"].get("msgid", "")))
    if isinstance(p["hint"], dict):
        reason += " " + i18n.render_stored(p["hint"], locale, str(p["hint"].get("msgid", "")))
    text = _(
        "Scheduled {task} did not happen: {reason}",
        task=str(p["task"]).replace(".", " ").replace("_", " "),
        reason=reason,
    )
    return Notice(text)


# ---------------------------------------------------------------- the entry points


def render(
    kind: str,
    params: Mapping[str, Any],
    *,
    locale: str,
    platform: Platform,
    tz: tzinfo = UTC,
) -> Notice:
    """A notice of ``kind`` with its stored ``params`` (as ``notify`` stored them), written for a reader
    in ``locale`` and ``tz`` on ``platform``.

    Raises ``governance.notices.NoticeError`` for a kind or parameters this version does not know.
    """
    decoded = notices.decode(kind, params)
    renderer = _RENDERERS.get(kind)
    if renderer is None:
        raise notices.NoticeError(f"no renderer for notice kind {kind!r}")
    with using_locale(locale):
        return renderer(decoded, _Reader(tz, platform))


def _payload(raw: str | None) -> dict[str, Any]:
    try:
        payload = json.loads(raw or "{}")
    except ValueError:
        return {}
    return payload if isinstance(payload, dict) else {}


_LEGACY_VOTES = {
    "election.voting_opened": "election",
    "election.reminder": "election",
    "motion.proposed": "motion",
    "motion.reminder": "motion",
}


def _legacy(kind: str, text: str, payload: dict[str, Any], locale: str) -> Notice:
    """A row queued by an older version: its stored sentence (in ``locale`` when it kept its English
    source), with the Vote action and the result its payload names; nothing is read out of the text."""
    source = payload.get("i18n")
    shown = i18n.render_stored(source, locale, text) if isinstance(source, dict) else text
    actions: tuple[Action, ...] = ()
    poll = _LEGACY_VOTES.get(kind)
    ref = str(payload.get(poll) or "") if poll else ""
    if poll and ref:
        actions = (Action(VOTE, f"{poll}:{ref}"),)
    result = None
    if kind == "election.result" and payload.get("election"):
        result = ResultRef("election", str(payload["election"]))
    return Notice(shown, actions, result)


class Stored(Protocol):
    """An outbox row as the presentation reads it (``outbox.Pending``, or the ``OutboxMessage`` itself)."""

    @property
    def kind(self) -> str:
        """The notice's kind (``governance.notices.KINDS``)."""

    @property
    def text(self) -> str | None:
        """The finished sentence of a row queued by an older version; None for a notice."""

    @property
    def payload(self) -> str:
        """The notice's parameters, JSON."""


def render_pending(message: Stored, *, locale: str, platform: Platform, tz: tzinfo = UTC) -> Notice:
    """An outbox row as its reader gets it: a notice rendered from its kind and parameters, or, for a
    row queued by an older version, its stored sentence (see the module's note)."""
    payload = _payload(message.payload)
    if message.text is not None:
        return _legacy(message.kind, message.text, payload, locale)
    return render(message.kind, payload, locale=locale, platform=platform, tz=tz)


def kinds() -> frozenset[str]:
    """The notice kinds this module writes (every kind of ``governance.notices.KINDS``)."""
    return frozenset(_RENDERERS)
