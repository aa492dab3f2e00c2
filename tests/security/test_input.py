"""Issue 21 item 9, as an outsider would try it: a refused request writes nothing, and odd input (huge
numbers, control and bidirectional characters, very long text) gets a clear answer naming the rule, on
SQLite and PostgreSQL. The validator itself (``governance.text``) is checked with hypothesis."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

import bot.commands.audit
import bot.commands.schedule  # noqa: F401  (registers `wg unschedule`, `schedule show`)
from governance import text
from governance.services import bodies, elections, motions, roster
from governance.services.common import Actor, Context
from tests.factories import snapshot
from tests.fakes.console import say

SYSTEM = Actor.system("test")
HUGE = "9" * 25  # past 64 bits
BIG = "9999999999"  # past PostgreSQL's integer, within SQLite's


async def test_a_refused_export_of_an_unknown_poll_writes_nothing(alliance: Context) -> None:
    """`audit export nosuch` used to seal and anchor (audit events, a head row) before refusing."""
    await say(alliance, "alice", "vote board-2027 chen")  # nominations are open: refused, writes nothing
    before = await snapshot(alliance)
    for line in ("audit export nosuch", "audit export M77", "audit export nosuch --format csv"):
        reply = await say(alliance, "sec", line)
        assert not reply.ok
        assert "No election" in reply.text or "No motion" in reply.text
    assert await snapshot(alliance) == before


LINES = [
    f"motion show {HUGE}",
    f"motion vote {BIG} yes",
    f"motion close M{HUGE}",
    f"audit export M{BIG}",
    f"receipt M{HUGE} ABCDE",
    f"wg unschedule safety {BIG}",
    f"election create e9 --body board --seats {HUGE}",
    "motion show ²",
    "election create e9 --body board --seats ²",
    "wg schedule safety 'weekly mon' 09:00 UTC --remind 99999999999h",
]


async def test_numbers_past_the_range_get_a_clear_answer(alliance: Context) -> None:
    """A number too big for the database (or a digit Python reads but SQL does not) used to end in
    'Something went wrong on our side'; now the answer says what a valid number is, and nothing moved."""
    before = await snapshot(alliance)
    for line in LINES:
        reply = await say(alliance, "sec", line)
        assert not reply.ok, line
        assert "Something went wrong" not in reply.text, line
        assert "between 1 and" in reply.text or "not" in reply.text, line
    assert await snapshot(alliance) == before


async def test_overlong_and_disguised_text_is_refused_everywhere_a_person_types(alliance: Context) -> None:
    """Names, titles, statements and reasons: a bidi override, a control character or 4,800 characters
    are refused with the rule named, and nothing is written."""
    sec = await roster.actor_for_handle(alliance, "sec")
    alice = await roster.actor_for_handle(alliance, "alice")
    spoof = "\u202egnp.exe"
    attempts = [
        ("text-bidi", roster.add_person(alliance, sec, "mallory", spoof)),
        ("text-bidi", roster.add_organisation(alliance, sec, "evil", f"Evil {spoof}")),
        ("text-bidi", roster.update_person(alliance, sec, "alice", name="Alice\u2066 Martin")),
        ("text-control", bodies.create_body(alliance, sec, "evil", "Evil\x1b[31m", "committee")),
        ("text-length", motions.propose(alliance, alice, "toc", "x" * 4800)),
        ("text-bidi", motions.propose(alliance, alice, "toc", "Adopt", text=f"see {spoof}")),
        ("text-control", motions.propose(alliance, alice, "toc", "Adopt", text="a\x00b")),
        ("text-lines", motions.propose(alliance, alice, "toc", "Adopt\nthis")),
        ("text-bidi", elections.create_election(alliance, sec, "board", "b9", f"Board {spoof}")),
        ("text-length", elections.nominate(alliance, alice, "board-2027", statement="s" * 4001)),
        ("text-bidi", elections.nominate(alliance, alice, "board-2027", statement=f"Vote {spoof}")),
        ("text-length", bodies.decide_join(alliance, sec, "safety", "bea", False, reason="r" * 501)),
    ]
    before = await snapshot(alliance)
    for rule, attempt in attempts:
        with pytest.raises(text.BadText) as refused:
            await attempt
        assert refused.value.rule == rule, refused.value.message
    assert await snapshot(alliance) == before


async def test_a_refusal_echoes_a_bounded_part_of_the_input(alliance: Context) -> None:
    """Error replies used to repeat 3,000 typed characters back into the channel."""
    long = "x" * 3000
    for line in (
        f"election show {long}",
        f"motion show {long}",
        f"election create e9 --body board --voting-close {long}",
        f"whoami {long}",
        f"frobnicate{long}",
    ):
        reply = await say(alliance, "sec", line)
        assert not reply.ok
        assert len(reply.to_text()) < 700, line[:40]
    reply = await say(alliance, "sec", "election show \u202eevil")
    assert "\u202e" not in reply.to_text()


# ---------------------------------------------------------------- the validator, by property


FIELDS = list(text.LIMITS.values())


@given(st.text(max_size=300), st.sampled_from(FIELDS))
def test_clean_text_is_normalised_printable_and_within_its_limit(value: str, field: text.Field) -> None:
    """Whatever is typed, ``clean`` either refuses it with a rule or returns NFC text, trimmed, within
    the field's limit, free of control and bidirectional characters (newlines only where allowed)."""
    try:
        out = text.clean(value, field, "the field", required=False)
    except text.BadText as exc:
        assert exc.rule in {"text-length", "text-lines", "text-control", "text-bidi"}
        return
    if out is None:
        assert not value.strip() or not unicodedata.normalize("NFC", value).strip()
        return
    assert out == unicodedata.normalize("NFC", out) == out.strip()
    assert len(out) <= field.limit
    assert all(text.forbidden(ch, multiline=field.multiline) is None for ch in out)


@given(st.text(min_size=1, max_size=50), st.sampled_from(sorted(text.BIDI_CONTROLS)), st.data())
def test_a_bidi_control_anywhere_is_refused(value: str, control: str, data: st.DataObject) -> None:
    """An override or isolate is refused wherever it is put, in every kind of field."""
    at = data.draw(st.integers(0, len(value)))
    field = data.draw(st.sampled_from(FIELDS))
    with pytest.raises(text.BadText) as refused:
        text.clean(f"a{value[:at]}{control}{value[at:]}b", field, "the field")
    assert refused.value.rule in {"text-bidi", "text-control", "text-lines"}


@given(st.text(max_size=5000), st.integers(10, 200))
def test_echo_is_bounded_and_inert(value: str, limit: int) -> None:
    """What a refusal repeats is at most its limit (plus the codes of characters shown as codes) and
    carries no control or bidirectional character."""
    shown = text.echo(value, limit)
    assert all(text.forbidden(ch) is None for ch in shown)
    assert len(shown) <= limit * 8


@given(st.text(alphabet="0123456789²٣ +-", max_size=30))
def test_parse_number_answers_a_number_in_range_or_a_rule(value: str) -> None:
    """Typed numbers come back in range or are refused as ``number-format`` / ``number-range``."""
    try:
        number = text.parse_number(value, "The number")
    except text.BadText as exc:
        assert exc.rule in {"number-format", "number-range"}
        return
    assert 1 <= number <= text.ID_MAX
    assert value.strip().isascii()
