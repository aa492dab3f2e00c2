"""The whole-file readers (numpy) against the line-by-line parsers they stand in for.

Random profiles written then read back must be equal; a file read whole must give exactly what the
line-by-line parser gives; a malformed line is reported with its number, whichever path reads it.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from governance.tally import Profile, TallyInputError, formats
from governance.tally.formats import parse_blt, parse_preflib, write_blt, write_preflib
from governance.tally.seed import ballot_seed


@st.composite
def profiles(draw: st.DrawFn, *, ties: bool) -> Profile:
    """A profile of 1-25 candidates: truncated rankings, blank ballots, repeated ballots, ties."""
    n = draw(st.integers(1, 25))
    names = [f"C{i}" for i in range(n)]
    ballots = []
    for _ in range(draw(st.integers(0, 30))):
        order = draw(st.permutations(range(n)))[: draw(st.integers(0, n))]
        tiers: list[list[int]] = []
        for c in order:
            if ties and tiers and draw(st.booleans()):
                tiers[-1].append(c)
            else:
                tiers.append([c])
        ballots.append((tiers, draw(st.integers(1, 10**12))))
    return Profile.build(names, ballots, title=draw(st.sampled_from(["", "Board 2027"])))


def _complete(profile: Profile) -> bool:
    n = len(profile.candidates)
    return all(not r or sum(map(len, r)) == n for r in profile.rankings)


@settings(max_examples=50, deadline=None)
@given(profiles(ties=False), st.sampled_from(["soi", "toi"]))
def test_strict_profiles_round_trip_through_preflib(profile: Profile, kind: str) -> None:
    text = write_preflib(profile, kind)
    read = parse_preflib(text, kind=kind)
    assert read == profile
    assert read == formats._parse_preflib_lines(text, kind=kind)
    assert formats._fast_preflib(text.encode(), kind, "<t>") is not None  # read whole, not line by line


@settings(max_examples=50, deadline=None)
@given(profiles(ties=True))
def test_tied_profiles_round_trip_through_preflib_and_blt(profile: Profile) -> None:
    for kind in ("toi", "toc") if _complete(profile) else ("toi",):
        text = write_preflib(profile, kind)
        assert parse_preflib(text, kind=kind) == profile
        assert formats._fast_preflib(text.encode(), kind, "<t>") is not None
    blt = write_blt(profile, seats=2)
    read = parse_blt(blt)
    assert read.rankings == profile.rankings and read.counts == profile.counts and read.seats == 2
    assert read == formats._parse_blt_lines(blt)
    assert formats._fast_blt(blt.encode(), "<t>") is not None


@settings(max_examples=40, deadline=None)
@given(profiles(ties=False), st.integers(1, 4), st.randoms(use_true_random=False))
def test_blt_one_line_per_ballot_aggregates_like_the_line_parser(
    profile: Profile, copies: int, rnd: object
) -> None:
    """A BLT file with every ballot on its own line (as most are): identical lines are counted first."""
    lines = [
        f"1 {' '.join(str(t[0] + 1) for t in r)} 0".replace("1  0", "1 0")
        for r, c in zip(profile.rankings, profile.counts, strict=True)
        for _ in range(min(c, 3) * copies)
    ]
    rnd.shuffle(lines)  # type: ignore[attr-defined]
    n = len(profile.candidates)
    text = "\n".join([f"{n} 1", *lines, "0", *(f'"{c}"' for c in profile.candidates), '"T"']) + "\n"
    fast = parse_blt(text)
    assert fast == formats._parse_blt_lines(text)
    assert fast.total == len(lines)


@settings(max_examples=40, deadline=None)
@given(profiles(ties=True), st.data())
def test_spacing_and_line_ends_read_like_the_line_parser(profile: Profile, data: st.DataObject) -> None:
    """Extra spaces, CRLF line ends, blank lines: the whole-file reader gives what the line parser gives."""
    comma = data.draw(st.sampled_from([",", " , ", ",  "]))
    colon = data.draw(st.sampled_from([":", " :  ", ":"]))
    spaced = "".join(
        line if line.startswith("#") else " " + line.replace(",", comma).replace(":", colon)
        for line in write_preflib(profile, "toi").splitlines(keepends=True)
    )
    if data.draw(st.booleans()):
        spaced = spaced.replace("\n", "\r\n")
    if data.draw(st.booleans()):
        spaced += "\n  \n"
    whole = _outcome(lambda: parse_preflib(spaced, kind="toi"))
    assert whole == _outcome(lambda: formats._parse_preflib_lines(spaced, kind="toi"))
    if comma == "," or not profile.has_ties:  # the line parser refuses ", {" (a space before a tie)
        assert whole == profile


def _outcome(read: Callable[[], Profile]) -> Profile | str:
    """The profile read, or the error's message (so two readers can be compared either way)."""
    try:
        return read()
    except TallyInputError as exc:
        return str(exc)


BAD_PREFLIB = [
    ("3: 1,,2", "between commas"),
    ("3: 1,2,", "after the last ','"),
    ("x: 1,2", "ballot line"),
    ("3 1,2", "ballot line"),
    ("3: 1 2", "alternative number"),
    ("3: 1,99", "between 1 and"),
    ("3: 1,1", "ranked twice"),
    ("3: 0,1", "between 1 and"),
    ("3: {1,2},3", "strict-order"),
    ("3: 1,\t2", None),
]


@settings(max_examples=40, deadline=None)
@given(profiles(ties=False), st.sampled_from(BAD_PREFLIB), st.data())
def test_malformed_preflib_line_is_reported_with_its_number(
    profile: Profile, bad: tuple[str, str | None], data: st.DataObject
) -> None:
    if len(profile.candidates) < 3:
        return
    lines = write_preflib(profile, "soi").splitlines()
    first = next((i for i, line in enumerate(lines) if not line.startswith("#")), len(lines))
    at = data.draw(st.integers(first, len(lines)))
    lines.insert(at, bad[0])
    text = "\n".join(lines) + "\n"
    if bad[1] is None:  # a tab: the line parser accepts it, and so must the reader
        assert parse_preflib(text, kind="soi") == formats._parse_preflib_lines(text, kind="soi")
        return
    with pytest.raises(TallyInputError) as caught:
        parse_preflib(text, kind="soi")
    assert caught.value.line == at + 1
    assert bad[1] in str(caught.value)


BAD_BLT = [
    ("1 1 2", "end with 0"),
    ("1 1 9 0", "candidate number between"),
    ("x 1 0", "whole-number weight"),
    ("1=2 1 0", "whole-number weight"),
    ("1 1 0 -", "end with 0"),
    ("1 1 2=0", "end with 0"),
    ("1", "end with 0"),
    ("3 - 2 -", "end with 0"),
    ("1 1-2 0", "candidate number"),
]


@settings(max_examples=40, deadline=None)
@given(profiles(ties=False), st.sampled_from(BAD_BLT), st.data())
def test_malformed_blt_line_is_reported_with_its_number(
    profile: Profile, bad: tuple[str, str], data: st.DataObject
) -> None:
    if len(profile.candidates) < 2 or len(profile.candidates) >= 9:
        return
    lines = write_blt(profile, seats=1).splitlines()
    end = lines.index("0")
    at = data.draw(st.integers(1, end))
    lines.insert(at, bad[0])
    with pytest.raises(TallyInputError) as caught:
        parse_blt("\n".join(lines) + "\n")
    assert caught.value.line == at + 1
    assert bad[1] in str(caught.value)


def test_from_arrays_drops_zero_counts_and_merges_identical_rankings() -> None:
    p = Profile.from_arrays(
        ["a", "b", "c"],
        counts=np.array([2, 0, 3, 1, 4], dtype=np.int64),
        tiers=np.array([2, 1, 2, 0, 1], dtype=np.int64),
        entries=np.array([0, 1, 2, 0, 1, 1, 2], dtype=np.int64),
        tier_sizes=np.array([1, 1, 1, 1, 1, 2], dtype=np.int64),
    )
    # ballots: [a][b] x2, [c] x0, [a][b] x3, [] x1, [b c] x4
    assert p.rankings == (((0,), (1,)), (), ((1, 2),))
    assert p.counts == (5, 1, 4)
    assert p == Profile.build(["a", "b", "c"], [([[0], [1]], 5), ([], 1), ([[1, 2]], 4)])
    with pytest.raises(ValueError, match="outside the candidate list"):
        Profile.from_arrays(["a"], np.array([1]), np.array([1]), np.array([3]))


@settings(max_examples=40, deadline=None)
@given(profiles(ties=False))
def test_seed_of_a_file_is_the_seed_of_its_ballots(profile: Profile) -> None:
    """The seed written with numpy (a file read whole) is the seed of the rule written in Python."""
    read = parse_preflib(write_preflib(profile, "soi"), kind="soi")
    as_given = Profile(profile.candidates, profile.rankings, profile.counts)  # no arrays: general way
    assert ballot_seed(read) == ballot_seed(as_given) == ballot_seed(profile)


def test_profile_stays_immutable_and_equal_by_value() -> None:
    p = Profile.build(["a", "b"], [([[0], [1]], 2)])
    with pytest.raises(AttributeError):
        p.title = "x"  # type: ignore[misc]
    assert p == Profile(("a", "b"), (((0,), (1,)),), (2,)) and hash(p) == hash(
        Profile(["a", "b"], [((0,), (1,))], [2])
    )
    assert "Profile(candidates=('a', 'b')" in repr(p)
