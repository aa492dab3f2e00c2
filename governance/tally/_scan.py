"""Whole-file scanning of ballot lines with numpy: a file's ballots as arrays, without a loop per ballot.

The readers of ``governance.tally.formats`` hand the ballot part of a file to these scanners. A
scanner classifies every byte once, checks the grammar with a few whole-array comparisons between
neighbouring separators, and reads every number at once. It returns ``None`` for anything it does
not recognise as well-formed (a malformed line, a tab, a number too long to read exactly...): the
reader then parses the file line by line, which names the line and what was expected. So the fast
path only ever accepts what the line-by-line parser accepts, to the same ballots.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

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


def _pairs_allowed(
    table: npt.NDArray[np.bool_],
    has_number: npt.NDArray[np.bool_],
    before: npt.NDArray[np.uint8],
    cls: npt.NDArray[np.uint8],
) -> bool:
    """Whether every separator may follow the one before it (with a number between or not)."""
    pair = has_number.astype(np.uint16) << 8
    pair |= before.astype(np.uint16) << 4
    pair |= cls
    return bool(table[pair].all())


def _numbers(a: npt.NDArray[np.uint8], starts: IntArray, lengths: npt.NDArray[np.int32]) -> IntArray | None:
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
) -> tuple[IntArray, npt.NDArray[np.uint8], npt.NDArray[np.uint8], npt.NDArray[np.int32]] | None:
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
    gap = np.empty(where.size, dtype=np.int32)  # digits before each separator (a file < 2 GB)
    gap[0] = where[0]
    np.subtract(where[1:], where[:-1], out=gap[1:], casting="unsafe")
    gap[1:] -= 1
    return where, cls, before, gap


CHUNK_BYTES = 1 << 21
"""Files are scanned in pieces of about this many bytes (cut at line ends), so that the temporary
arrays stay small (and in cache) whatever the size of the file."""


def _chunked(text: bytes, scan: Callable[[bytes], Scanned | None]) -> Scanned | None:
    """``scan`` over pieces of ``text`` cut at line ends, the results joined (``None`` if one is)."""
    if len(text) <= CHUNK_BYTES:
        return scan(text)
    parts: list[Scanned] = []
    start = 0
    while start < len(text):
        cut = text.find(b"\n", start + CHUNK_BYTES)
        stop = len(text) if cut < 0 else cut + 1
        part = scan(text[start:stop])
        if part is None:
            return None
        parts.append(part)
        start = stop
    sizes = [p.tier_sizes for p in parts]
    tied = any(s is not None for s in sizes)
    return Scanned(
        np.concatenate([p.counts for p in parts]),
        np.concatenate([p.tiers for p in parts]),
        np.concatenate([p.entries for p in parts]),
        np.concatenate(
            [
                s if s is not None else np.ones(p.entries.size, dtype=np.int64)
                for s, p in zip(sizes, parts, strict=True)
            ]
        )
        if tied
        else None,
    )


def scan_preflib(body: bytes, *, ties: bool) -> Scanned | None:
    """The ballot lines of a PrefLib file (everything after its ``#`` headers) as arrays.

    ``ties`` says whether braces may appear (.toi/.toc). ``None`` when the text is not plainly
    well-formed (see the module note).
    """
    return _chunked(body, partial(_scan_preflib, ties=ties))


def _scan_preflib(body: bytes, *, ties: bool) -> Scanned | None:
    """``scan_preflib`` on one piece of the file."""
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
    if not _pairs_allowed(_PREFLIB_PAIRS, has_number, before, cls):
        return None
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
    del has_number
    starts = where[tok] - gap[tok]
    values = _numbers(a, starts, gap[tok])
    del starts, where, gap, a
    if values is None:
        return None
    after = before[tok]
    is_count = after == NL
    counts = values[is_count]
    alt = ~is_count
    entries = values[alt]
    del values
    owner = np.cumsum(is_count, dtype=np.int32)[alt]
    owner -= 1
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
    return _chunked(lines, _scan_blt)


def _scan_blt(lines: bytes) -> Scanned | None:
    """``scan_blt`` on one piece of the lines."""
    if b"\t" in lines or b"\r" in lines:
        return None
    a = np.frombuffer(lines + b"\n", dtype=np.uint8)
    found = _separators(a, _BLT_LUT)
    if found is None:
        return None
    where, cls, before, gap = found
    has_number = gap > 0
    if not _pairs_allowed(_BLT_PAIRS, has_number, before, cls):
        return None
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
