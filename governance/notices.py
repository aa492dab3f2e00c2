"""Notices as data: every kind of outbox notice, with the parameters it carries.

A service that tells someone something (a DM, a post in a body's channel) queues a notice with
``services.common.notify(kind=..., params=...)``: the kind and its parameters (ids, slugs, motion
numbers, handles, the names people gave things, counts, datetimes) are stored in the outbox row's
``payload`` as JSON; the row's ``text`` stays empty (it is kept only for rows queued by an older
version, which carried a finished sentence). The sentence, its translation, the reader's time zone
and the actions a platform offers (a Vote button, a command to approve) are the presentation's
(``bot/present/notices.py``), written once for every platform.

``KINDS`` is the one description of each kind: which parameters it requires and of what type.
:func:`encode` checks a notice against it when the service queues it, so a missing, extra or
mistyped parameter is a programming error raised at once (tests catch any drift between a service and
the presentation); :func:`decode` gives the presentation the parameters back, datetimes restored.

Parameter types: ``str``, ``int``, ``bool``, ``datetime`` (stored as ISO 8601), ``strs`` (a list of
strings), ``json`` (any JSON value, e.g. a motion's outcome as recorded in its audit event), and
``message`` (a message built with ``_()`` elsewhere, e.g. a refusal's reason, kept as its English
source and parameters so it is rendered in the reader's language, see ``i18n.stored``). A type ending
in ``?`` may be None.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from governance import i18n


@dataclass(frozen=True)
class NoticeKind:
    """One kind of notice: its name, its parameters (name -> type) and who it goes to."""

    name: str
    params: Mapping[str, str]
    doc: str


def _kind(name: str, doc: str, **params: str) -> NoticeKind:
    return NoticeKind(name, dict(params), doc)


_ELECTION = {"election": "str", "title": "str"}
_MOTION = {"motion": "int", "title": "str"}
_BODY = {"body": "str", "body_name": "str"}
_SERIES = {"series": "int", "title": "str", "rrule": "str", "time": "str", "zone": "str", "minutes": "int",
           "first": "str"}  # fmt: skip
"""A meeting series as its notices describe it: rule, local start time and zone, length, and the first
(next) meeting's local wall time as ``YYYY-MM-DDTHH:MM``."""

KINDS: dict[str, NoticeKind] = {
    k.name: k
    for k in (
        _kind("audit.checkpoint", "Channel: a signed checkpoint of the audit log.",
              checkpoint="int", subject="str", hash="str", key_id="str"),
        _kind("body.orphaned", "DM to an admin: a body has no chair in office (election: the "
              "certification that ended the chair's term, None when their roster status changed).",
              **_BODY, person_name="str", election="str?"),
        _kind("candidate.nominated", "DM: someone nominated you; accept or decline.",
              **_ELECTION, actor_name="str"),
        _kind("election.certified", "Channel: an election is certified (empty: seats left empty).",
              **_ELECTION, body_name="str", empty="int"),
        _kind("election.exception_decided", "DM: your exception request was granted or denied.",
              **_ELECTION, granted="bool", reason="str"),
        _kind("election.exception_requested", "Channel: someone asks to be added to an electorate.",
              **_ELECTION, person="str", person_name="str", reason="str"),
        _kind("election.nominations_closed", "Channel: nominations closed; who stands, when voting opens.",
              **_ELECTION, standing="strs", opens="datetime?"),
        _kind("election.nominations_opened", "Channel: nominations are open; how to nominate.",
              **_ELECTION, seats="int", closes="datetime"),
        _kind("election.proxy", "DM: someone named you their proxy in an election.",
              **_ELECTION, delegator="str", delegator_name="str"),
        _kind("election.proxy_voted", "DM: your proxy cast your ballot; how to override it.",
              election="str", proxy_name="str"),
        _kind("election.reminder", "DM: voting closes soon and you have not voted (as_of: when sent).",
              **_ELECTION, closes="datetime", as_of="datetime"),
        _kind("election.result", "Channel: an election's result (option: the default option that "
              "won, None otherwise).",
              **_ELECTION, elected="strs", ballots="int", method="str", option="str?"),
        _kind("election.seats_changed", "Channel: staggered terms changed the seats an election fills.",
              **_ELECTION, seats="int", before="int", body_name="str", close="datetime"),
        _kind("election.timeline_changed", "Channel: an election's dates moved (changes: field -> ISO).",
              **_ELECTION, changes="json"),
        _kind("election.voting_opened", "Channel: voting is open; the Vote action.",
              **_ELECTION, closes="datetime"),
        _kind("meeting.cancelled", "Channel: a meeting series is cancelled.",
              series="int", title="str", body_name="str"),
        _kind("meeting.reminder", "Channel: a meeting starts soon (as_of: when sent).",
              series="int", title="str", start="datetime", zone="str", as_of="datetime"),
        _kind("meeting.rescheduled", "Channel: a meeting series moved.",
              **_SERIES),
        _kind("meeting.scheduled", "Channel: a new meeting series; how to get its calendar.",
              body="str", **_SERIES),
        _kind("membership.approved", "DM: your request to join was approved.",
              **_BODY, actor_name="str", reason="str?"),
        _kind("membership.declined", "DM: your request to join was declined.",
              **_BODY, actor_name="str", reason="str?"),
        _kind("membership.removed", "DM: you were removed from a body.", **_BODY, reason="str?"),
        _kind("membership.requested", "DM to a chair: someone asks to join; approve or deny.",
              **_BODY, person="str", person_name="str"),
        _kind("membership.seated", "DM: you were seated in a body with a role.", **_BODY, role="str"),
        _kind("membership.state", "DM: your member state changed (inactive: by the inactivity review).",
              **_BODY, state="str", reason="str?", inactive="bool"),
        _kind("membership.term_ended", "DM: your term ended and an election filled the seat.",
              **_BODY, election="str", title="str", ends="datetime", emeritus="bool"),
        _kind("motion.deadline_changed", "Channel: a motion's deadline moved.",
              **_MOTION, deadline="datetime"),
        _kind("motion.proposed", "Channel: a motion is open; the Vote action.",
              **_MOTION, body_name="str", deadline="datetime", lazy_consensus="bool", secret="bool"),
        _kind("motion.proxy", "DM: someone named you their proxy on a motion.",
              **_MOTION, delegator="str", delegator_name="str"),
        _kind("motion.reminder", "DM: a motion closes soon and you have not voted (as_of: when sent).",
              **_MOTION, body_name="str", deadline="datetime", as_of="datetime"),
        _kind("motion.result", "Channel: a motion's outcome (result: the outcome as recorded in the audit "
              "event; settled: closed early because the outcome could no longer change).",
              **_MOTION, outcome="str", settled="bool", result="json"),
        _kind("schedule.refused", "Channel: a scheduled change was refused (task: its kind).",
              task="str", key="str", reason="message", hint="message?"),
        _kind("term.expiring", "DM (person None) or channel post (the person named): a term ends soon.",
              **_BODY, ends="datetime", as_of="datetime", person="str?", person_name="str?"),
        _kind("wg.review", "DM to a chair: members who have not taken part; how to review them.",
              **_BODY, count="int", days="int", names="strs"),
    )
}  # fmt: skip


class NoticeError(TypeError):
    """A notice that does not match its kind's description: a programming error, never a person's."""


def _encode_value(kind: str, name: str, spec: str, value: object) -> object:
    base, nullable = spec.rstrip("?"), spec.endswith("?")
    if value is None:
        if nullable:
            return None
        raise NoticeError(f"notice {kind}: parameter {name!r} may not be None")
    ok = {
        "str": isinstance(value, str),
        "int": isinstance(value, int) and not isinstance(value, bool),
        "bool": isinstance(value, bool),
        "datetime": isinstance(value, datetime) and value.tzinfo is not None,
        "strs": isinstance(value, list | tuple) and all(isinstance(v, str) for v in value),
        "json": True,
        "message": isinstance(value, str),
    }[base]
    if not ok:
        raise NoticeError(f"notice {kind}: parameter {name!r} must be {spec}, not {type(value).__name__}")
    if isinstance(value, datetime):
        return value.isoformat()
    if base == "strs":
        return list(value)  # type: ignore[call-overload]
    if base == "message":  # a plain string (no catalog entry) is kept as a message without parameters
        return i18n.stored(value) or {"msgid": value, "params": {}}  # type: ignore[arg-type]
    return value


def encode(kind: str, params: Mapping[str, object]) -> dict[str, object]:
    """``params`` checked against ``kind``'s description and made JSON-safe (datetimes as ISO strings).

    Raises :class:`NoticeError` for an unknown kind, a missing or extra parameter, or a wrong type.
    """
    described = KINDS.get(kind)
    if described is None:
        raise NoticeError(f"unknown notice kind {kind!r}: describe it in governance.notices.KINDS")
    missing = sorted(set(described.params) - set(params))
    extra = sorted(set(params) - set(described.params))
    if missing or extra:
        raise NoticeError(f"notice {kind}: missing parameters {missing}, unexpected {extra}")
    return {n: _encode_value(kind, n, described.params[n], params[n]) for n in sorted(described.params)}


def decode(kind: str, stored: Mapping[str, Any]) -> dict[str, Any]:
    """The parameters of a stored notice as the presentation reads them: datetimes restored, messages
    restored as ``{"msgid", "params"}`` (render them with ``i18n.render_stored``).

    Raises :class:`NoticeError` when the stored row does not match its kind (a row from a future version).
    """
    described = KINDS.get(kind)
    if described is None:
        raise NoticeError(f"unknown notice kind {kind!r}")
    out: dict[str, Any] = {}
    for name, spec in described.params.items():
        if name not in stored:
            raise NoticeError(f"notice {kind}: stored without {name!r}")
        value = stored[name]
        if spec.rstrip("?") == "datetime" and isinstance(value, str):
            value = datetime.fromisoformat(value)
        out[name] = value
    return out
