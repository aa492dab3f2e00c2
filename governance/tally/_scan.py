"""Whole-file scanning of ballot lines with numpy: a file's ballots as arrays, without a loop per ballot.

The readers of ``governance.tally.formats`` hand the ballot part of a file to these scanners. A
scanner classifies every byte once, checks the grammar with a few whole-array comparisons between
neighbouring separators, and reads every number at once. It returns ``None`` for anything it does
not recognise as well-formed (a malformed line, a tab, a number too long to read exactly...): the
reader then parses the file line by line, which names the line and what was expected. So the fast
path only ever accepts what the line-by-line parser accepts, to the same ballots.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.int64]

# Byte classes. DIG must be 0 (the scanners look for the non-digits).
DIG, COMMA, COLON, NL, OPEN, CLOSE, SP, EQ, DASH, BAD = range(10)
_MAX_DIGITS = 15  # read exactly through float64 and int64 alike


@dataclass(frozen=True, slots=True)
class Scanned:
    """Ballot lines as arrays, in file order.

    ``counts[i]`` is the count (PrefLib) or weight (BLT) of ballot line ``i`` and ``tiers[i]`` its
    number of tiers; ``entries`` holds the numbers as written (1-based), ballot after ballot;
    ``tier_sizes`` holds how many each tier has, or is ``None`` when every tier has one.
    """

    counts: IntArray
    tiers: IntArray
    entries: IntArray
    tier_sizes: IntArray | None


def _lut(pairs: dict[int, int]) -> npt.NDArray[np.uint8]:
    table = np.full(256, BAD, dtype=np.uint8)
    table[ord("0") : ord("9") + 1] = DIG
    for byte, cls in pairs.items():
        table[byte] = cls
    return table


_PREFLIB_LUT = _lut({ord(","): COMMA, ord(":"): COLON, ord("\n"): NL, ord("{"): OPEN, ord("}"): CLOSE})
_BLT_LUT = _lut({ord(" "): SP, ord("\n"): NL, ord("="): EQ, ord("-"): DASH})


def _pair_table(with_number: list[tuple[int, int]], adjacent: list[tuple[int, int]]) -> npt.NDArray[np.bool_]:
    """Which (previous separator, separator) pairs may follow each other, with digits between or not."""
    table = np.zeros(2 * 16 * 16, dtype=np.bool_)
    for x, y in adjacent:
        table[x * 16 + y] = True
    for x, y in with_number:
        table[256 + x * 16 + y] = True
    return table


# "count:a,b,{c,d},e": a count starts a line and ends at ':', an alternative follows ':', ',' or '{'.
_PREFLIB_PAIRS = _pair_table(
    with_number=[(NL, COLON), *((x, y) for x in (COLON, COMMA, OPEN) for y in (COMMA, NL, CLOSE))],
    adjacent=[(NL, NL), (COLON, NL), (COLON, OPEN), (COMMA, OPEN), (CLOSE, COMMA), (CLOSE, NL)],
)


def _numbers(a: npt.NDArray[np.uint8], starts: IntArray, lengths: IntArray) -> IntArray | None:
    """The decimal numbers at ``starts`` of ``lengths`` digits (``None`` if one is too long)."""
    if lengths.size == 0:
        return np.zeros(0, dtype=np.int64)
    longest = int(lengths.max())
    if longest > _MAX_DIGITS:
        return None
    values = a[starts].astype(np.int64) - 48
    for j in range(1, longest):
        more = np.flatnonzero(lengths > j)
        values[more] = values[more] * 10 + (a[starts[more] + j].astype(np.int64) - 48)
    return values


def _separators(
    a: npt.NDArray[np.uint8], lut: npt.NDArray[np.uint8]
) -> tuple[IntArray, npt.NDArray[np.uint8], npt.NDArray[np.uint8], IntArray] | None:
    """Positions and classes of the non-digits, the class before each, and the digits before each."""
    classes = lut[a]
    where = np.flatnonzero(classes)
    cls = classes[where]
    del classes
    if (cls == BAD).any():
        return None
    before = np.empty_like(cls)
    before[0] = NL
    before[1:] = cls[:-1]
    gap = np.empty_like(where)
    gap[0] = where[0]
    gap[1:] = np.diff(where) - 1
    return where, cls, before, gap


def scan_preflib(body: bytes, *, ties: bool) -> Scanned | None:
    """The ballot lines of a PrefLib file (everything after its ``#`` headers) as arrays.

    ``ties`` says whether braces may appear (.toi/.toc). ``None`` when the text is not plainly
    well-formed (see the module note).
    """
    if b"\r" in body:
        body = body.replace(b"\r\n", b"\n")
        if b"\r" in body:
            return None
    if b"\t" in body or (not ties and b"{" in body):
        return None
    while b"  " in body:
        body = body.replace(b"  ", b" ")
    if b", {" in body:
        return None  # the line parser refuses a space between ',' and '{'
    a = np.frombuffer(body + b"\n", dtype=np.uint8)
    if b" " in body:
        spaces = np.flatnonzero(a == 32)
        left, right = a[spaces - 1], a[spaces + 1]
        if (((left >= 48) & (left <= 57)) & ((right >= 48) & (right <= 57)) & (spaces > 0)).any():
            return None  # "1 2": a number with a space inside
        a = a[a != 32]
    found = _separators(a, _PREFLIB_LUT)
    if found is None:
        return None
    where, cls, before, gap = found
    has_number = gap > 0
    pair = has_number.astype(np.int64) * 256 + before.astype(np.int64) * 16 + cls
    if not _PREFLIB_PAIRS[pair].all():
        return None
    del pair
    depth: npt.NDArray[np.int32] | None = None
    if ties and b"{" in body:
        depth = np.cumsum(cls == OPEN, dtype=np.int32) - np.cumsum(cls == CLOSE, dtype=np.int32)
        if (
            (depth[cls == OPEN] != 1).any()
            or (depth[cls == CLOSE] != 0).any()
            or (depth[cls == NL] != 0).any()
        ):
            return None
    tok = np.flatnonzero(has_number)  # index of the separator after each number
    starts = where[tok] - gap[tok]
    values = _numbers(a, starts, gap[tok])
    if values is None:
        return None
    after = before[tok]
    is_count = after == NL
    ballot = np.cumsum(is_count) - 1
    counts = values[is_count]
    alt = ~is_count
    entries = values[alt]
    owner = ballot[alt]
    if depth is None:
        tiers = np.bincount(owner, minlength=counts.size).astype(np.int64)
        return Scanned(counts, tiers, entries, None)
    # an alternative opens a tier after ':' or '{', or after a ',' outside braces
    prev_depth = depth[tok[alt] - 1]
    opens = (after[alt] != COMMA) | (prev_depth == 0)
    tier_sizes = np.bincount(np.cumsum(opens) - 1, minlength=int(opens.sum())).astype(np.int64)
    tiers = np.bincount(owner[opens], minlength=counts.size).astype(np.int64)
    return Scanned(counts, tiers, entries, None if bool((tier_sizes == 1).all()) else tier_sizes)


_BLT_PAIRS = _pair_table(
    with_number=[(x, y) for x in (NL, SP, EQ) for y in (SP, EQ, NL)],
    adjacent=[(SP, SP), (NL, SP), (SP, NL), (SP, DASH), (DASH, SP)],
)


def scan_blt(lines: bytes) -> Scanned | None:
    """BLT ballot lines ``weight a b=c - d 0`` (joined by newlines, none blank) as arrays.

    Skipped ranks (``-``) are dropped; the closing ``0`` is checked and not kept.
    """
    if b"\t" in lines or b"\r" in lines:
        return None
    a = np.frombuffer(lines + b"\n", dtype=np.uint8)
    found = _separators(a, _BLT_LUT)
    if found is None:
        return None
    where, cls, before, gap = found
    has_number = gap > 0
    pair = has_number.astype(np.int64) * 256 + before.astype(np.int64) * 16 + cls
    if not _BLT_PAIRS[pair].all():
        return None
    del pair
    numbers_to = np.cumsum(has_number)  # numbers ending at or before each separator
    is_nl = cls == NL
    line = np.cumsum(is_nl) - is_nl  # the line of each separator
    line_end = numbers_to[is_nl]  # numbers up to the end of each line
    line_start = np.concatenate(([0], line_end[:-1]))
    per_line = line_end - line_start
    if (per_line < 2).any():
        return None  # a line with less than a weight and its closing 0
    dash = np.flatnonzero(cls == DASH)
    if dash.size:
        seen = numbers_to[dash] - line_start[line[dash]]
        if ((seen == 0) | (seen == per_line[line[dash]])).any():
            return None  # '-' before the weight or after the closing 0
    tok = np.flatnonzero(has_number)
    starts = where[tok] - gap[tok]
    values = _numbers(a, starts, gap[tok])
    if values is None:
        return None
    first_idx = line_start  # index into tok of each line's first number (the weight)
    last_idx = line_end - 1  # and of its last (the closing 0)
    if (cls[tok[first_idx]] == EQ).any():
        return None  # a weight tied to a preference
    if (
        (values[last_idx] != 0).any()
        or (gap[tok[last_idx]] != 1).any()
        or (before[tok[last_idx]] == EQ).any()
    ):
        return None
    weights = values[first_idx]
    pref = np.ones(tok.size, dtype=np.bool_)
    pref[first_idx] = False
    pref[last_idx] = False
    entries = values[pref]
    owner = line[tok][pref]
    opens = before[tok][pref] != EQ
    tier_sizes = np.bincount(np.cumsum(opens) - 1, minlength=int(opens.sum())).astype(np.int64)
    tiers = np.bincount(owner[opens], minlength=per_line.size).astype(np.int64)
    return Scanned(weights, tiers, entries, None if bool((tier_sizes == 1).all()) else tier_sizes)
