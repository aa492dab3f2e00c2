"""BLT and PrefLib readers and writers: real files, malformed files, and round-trips."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from governance.tally import Profile, TallyInputError
from governance.tally.formats import (
    parse_blt,
    parse_preflib,
    read_profile,
    write_blt,
    write_preflib,
    write_profile,
)

BLT = """# a comment line
4 2
-3
[nick ann bob cat dan]
3 ann bob 0   # trailing comment
1 bob=cat dan 0
2 - dan 0
0
"Ann" "Bob"
"Cat #1"
"Dan"
"A \\"title\\" test"
"""


def test_parse_blt_features() -> None:
    p = parse_blt(BLT.replace('"A \\"title\\" test"', '"Club board 2025"'))
    assert p.candidates == ("Ann", "Bob", "Cat #1", "Dan")
    assert p.seats == 2 and p.withdrawn == frozenset({2}) and p.title == "Club board 2025"
    assert dict(zip(p.rankings, p.counts, strict=True)) == {
        ((0,), (1,)): 3,
        ((1, 2), (3,)): 1,
        ((3,),): 2,
    }


@pytest.mark.parametrize(
    ("text", "line", "expected"),
    [
        ("", None, "empty"),
        ("3\n", 1, "header"),
        ("2 1\n1 1 3 0\n0\n", 2, "candidate number between 1 and 2"),
        ("2 1\n1 1 2\n0\n", 2, "end with 0"),
        ("2 1\nx 1 0\n0\n", 2, "whole-number weight"),
        ("2 1\n1 1 0\n", 2, "'0' after the last ballot"),
        ('2 1\n1 1 0\n0\n"A"\n', 4, "2 quoted candidate names"),
        ("2 1\n1 1 0\n0\nA\nB\n", 4, "double quotes"),
        ('2 1\n-5\n1 1 0\n0\n"A"\n"B"\n', 2, "withdrawn candidate"),
        ('2 1\n1 1 0\n0\n"A"\n"A"\n', 5, "distinct"),
    ],
)
def test_malformed_blt_names_file_line_and_expectation(text: str, line: int | None, expected: str) -> None:
    with pytest.raises(TallyInputError) as info:
        parse_blt(text, path="bad.blt")
    message = str(info.value)
    assert message.startswith("bad.blt")
    assert expected in message
    if line is not None:
        assert f"line {line}" in message


def test_read_blt_file_with_bom_and_commentary(data_dir: Path) -> None:
    p = read_profile(data_dir / "droop/blt/42ubom.blt")
    assert p.seats == 2 and p.total == 6
    m = read_profile(data_dir / "droop/blt/M135.blt")
    assert m.title.startswith("M135") and len(m.candidates) == 25
    w = read_profile(data_dir / "droop/blt/SCw.blt")
    assert w.withdrawn == frozenset({3})
    assert read_profile(data_dir / "droop/blt/SCwopt.blt").withdrawn == frozenset({3})


def test_every_data_file_reads(data_dir: Path) -> None:
    files = sorted(data_dir.glob("droop/blt/**/*.blt")) + sorted(data_dir.glob("edinburgh2017/*.blt"))
    small = (
        "burlington",
        "irish",
        "glasgow",
        "aspen",
        "takomapark",
        "uklabor",
    )  # big US files: see IRV tests
    files += [f for d in small for f in sorted(data_dir.glob(f"preflib/{d}/*.[st]o[ic]"))]
    files += sorted(data_dir.glob("debian/toi/*.toi"))
    assert len(files) > 90
    for f in files:
        assert read_profile(f).total > 0, f


def test_preflib_headers_ties_and_counts(data_dir: Path) -> None:
    p = read_profile(data_dir / "preflib/burlington/00005-00000002.toi")
    assert p.title == "2009 Burlington Mayoral Election"
    assert p.candidates[0] == "Bob Kiss" and p.total == 8980
    assert p.has_ties


@pytest.mark.parametrize(
    ("text", "kind", "expected"),
    [
        ("# ALTERNATIVE NAME 1: A\n# ALTERNATIVE NAME 2: B\n3: 1,{2,1}\n", "toi", "ranked twice"),
        ("# ALTERNATIVE NAME 1: A\n# ALTERNATIVE NAME 2: B\n3: 1,{2}\n", "soi", "cannot hold ties"),
        ("# ALTERNATIVE NAME 1: A\n# ALTERNATIVE NAME 2: B\n3: 1\n", "soc", "complete orders"),
        ("# ALTERNATIVE NAME 1: A\n# ALTERNATIVE NAME 2: B\n3: 1,3\n", "soi", "between 1 and 2"),
        ("# ALTERNATIVE NAME 1: A\n# ALTERNATIVE NAME 2: B\nthree: 1\n", "soi", "count: a,b,c"),
        ("# ALTERNATIVE NAME 1: A\n# ALTERNATIVE NAME 2: B\n3: 1,\n", "soi", "after the last ','"),
        ("# NUMBER ALTERNATIVES: 2\n# ALTERNATIVE NAME 1: A\n3: 1\n", "soi", "ALTERNATIVE NAME 2"),
    ],
)
def test_malformed_preflib(text: str, kind: str, expected: str) -> None:
    with pytest.raises(TallyInputError, match=expected) as info:
        parse_preflib(text, kind=kind, path=f"bad.{kind}")
    assert str(info.value).startswith(f"bad.{kind}")


def test_unknown_extension_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(TallyInputError, match="unknown ballot file type"):
        read_profile(tmp_path / "x.csv")
    with pytest.raises(TallyInputError, match="cannot read"):
        read_profile(tmp_path / "missing.blt")


# ----------------------------------------------------------------------------------------- round trip

_name = (
    st.text(alphabet="abcdefghijklmnopqrstuvwxyzÅé -'.0123456789", min_size=1, max_size=12)
    .map(str.strip)
    .filter(bool)
)


@st.composite
def profiles(draw: st.DrawFn, *, ties: bool, complete: bool = False) -> Profile:
    names = draw(st.lists(_name, min_size=1, max_size=6, unique=True))
    n = len(names)
    ballots = []
    for _ in range(draw(st.integers(0, 8))):
        perm = draw(st.permutations(range(n)))
        k = n if complete else draw(st.integers(1, n))
        order = list(perm[:k])
        tiers: list[tuple[int, ...]] = []
        while order:
            size = draw(st.integers(1, len(order))) if ties else 1
            tiers.append(tuple(order[:size]))
            order = order[size:]
        ballots.append((tuple(tiers), draw(st.integers(1, 50))))
    title = draw(st.one_of(st.just(""), _name))
    return Profile.build(names, ballots, title=title)


@settings(max_examples=80, deadline=None)
@given(profiles(ties=True), st.integers(1, 5), st.data())
def test_blt_round_trip(profile: Profile, seats: int, data: st.DataObject) -> None:
    withdrawn = data.draw(st.sets(st.integers(0, len(profile.candidates) - 1), max_size=2))
    p = Profile.build(
        profile.candidates,
        zip(profile.rankings, profile.counts, strict=True),
        withdrawn=withdrawn,
        title=profile.title,
        seats=seats,
    )
    assert parse_blt(write_blt(p)) == p


@settings(max_examples=80, deadline=None)
@given(profiles(ties=True))
def test_toi_round_trip(profile: Profile) -> None:
    assert parse_preflib(write_preflib(profile, "toi"), kind="toi") == profile


@settings(max_examples=50, deadline=None)
@given(profiles(ties=False))
def test_soi_round_trip(profile: Profile) -> None:
    assert parse_preflib(write_preflib(profile, "soi"), kind="soi") == profile


@settings(max_examples=50, deadline=None)
@given(profiles(ties=False, complete=True))
def test_soc_and_toc_round_trip(profile: Profile) -> None:
    assert parse_preflib(write_preflib(profile, "soc"), kind="soc") == profile
    assert parse_preflib(write_preflib(profile, "toc"), kind="toc") == profile


def test_writers_refuse_what_the_format_cannot_hold(tmp_path: Path) -> None:
    tied = Profile.from_names(["A", "B"], [[["A", "B"]]])
    with pytest.raises(TallyInputError):
        write_preflib(tied, "soi")
    with pytest.raises(TallyInputError):
        write_blt(Profile.from_names(['say "hi"'], [['say "hi"']]))
    p = Profile.from_names(["A", "B"], [["A", "B"], ["B"]])
    write_profile(p, tmp_path / "x.toi")
    assert read_profile(tmp_path / "x.toi") == p
    write_profile(p, tmp_path / "x.blt", seats=1)
    back = read_profile(tmp_path / "x.blt")
    assert back.rankings == p.rankings and back.seats == 1
