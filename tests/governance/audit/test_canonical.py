"""The hand-spelled canonical event body is byte for byte canonical_json; both verifier passes agree."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from governance import audit
from governance.export import _sqlite_iso, event_line, event_lines
from governance.verify import _check_parsed, check_lines

text = st.text(max_size=40)


@given(text, text, st.integers(0, 10**9), text, text, text, text, text)
def test_event_body_is_canonical_json(
    prev: str, stream: str, seq: int, at: str, actor: str, kind: str, subject: str, payload: str
) -> None:
    fields = {"stream": stream, "seq": seq, "at": at, "actor": actor, "kind": kind}
    fields |= {"subject": subject, "payload": payload, "prev": prev}
    assert audit.event_body(prev, stream, seq, at, actor, kind, subject, payload) == audit.canonical_json(
        fields
    )


@given(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1)))
def test_sqlite_times_read_back_as_isoformat(when: datetime) -> None:
    stored = when.strftime("%Y-%m-%d %H:%M:%S.%f")  # how SQLAlchemy writes a time into SQLite
    assert _sqlite_iso(stored) == when.replace(tzinfo=UTC).isoformat()


@given(
    st.lists(st.tuples(text, text, text), min_size=1, max_size=8),
    st.integers(0, 7),
    st.sampled_from(["edit", "ok"]),
)
def test_byte_pass_and_field_pass_agree(events: list[tuple[str, str, str]], at: int, how: str) -> None:
    prev, lines = audit.GENESIS, []
    for seq, (actor, subject, payload) in enumerate(events, start=1):
        when = f"2026-11-21T12:00:0{seq % 10}+00:00"
        digest = audit.event_hash_text(prev, "s:1", seq, when, actor, "k", subject, payload)
        lines.append(event_line("s:1", seq, when, actor, "k", subject, payload, prev, digest).encode()[:-1])
        prev = digest
    if how == "edit":
        i = at % len(lines)
        lines[i] = lines[i].replace(b'"kind":"k"', b'"kind":"K"')
    fast, slow = check_lines("s:1", lines, prev, len(lines)), _check_parsed("s:1", lines, prev, len(lines))
    assert fast == slow
    assert fast.ok == (how == "ok")
    if how == "edit":
        assert fast.broken_seq == at % len(lines) + 1


@given(
    st.lists(
        st.tuples(st.sampled_from(["s:1", "s:2"]), text, st.sampled_from(["k", "ballot.cast"]), text, text),
        min_size=1,
        max_size=12,
    ),
    st.booleans(),
)
def test_event_lines_spell_each_row_as_event_line(
    events: list[tuple[str, str, str, str, str]], broken_prev: bool
) -> None:
    """The batch speller (memoised names, each hash quoted once) is byte for byte ``event_line``."""
    prev, rows = audit.GENESIS, []
    for seq, (stream, actor, kind, subject, payload) in enumerate(events, start=1):
        when = datetime(2026, 11, 21, 12, 0, tzinfo=UTC).replace(microsecond=seq % 3)
        at: datetime | str = when if seq % 2 else when.isoformat()
        stated_prev = "x" if broken_prev and seq == 2 else prev
        digest = audit.event_hash(stated_prev, stream, seq, when, actor, kind, subject, payload)
        rows.append((stream, seq, at, actor, kind, subject, payload, stated_prev, digest))
        prev = digest
    expected = [
        event_line(s, q, when if isinstance(when, str) else when.isoformat(), a, k, sj, p, pv, d)
        for s, q, when, a, k, sj, p, pv, d in rows
    ]
    assert list(event_lines(rows)) == expected
