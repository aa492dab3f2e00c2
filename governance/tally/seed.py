"""The tie-break seed of a count, derived from its ballots: anyone holding the ballots derives the same.

A count that has to break a tie by lot (``governance.tally.lot``) draws from a seed. govbot does not
choose it: the close of an election derives it from the ballots it counts, with ``ballot_seed``, and
``govbot tally FILE`` without ``--seed`` derives it the same way from the ballots of the file. So an
exported ``ballots.blt`` re-counted by ``govbot tally`` breaks every tie exactly as the close did, and
nobody could have picked a seed to favour a candidate without changing the ballots.

**The rule** (``SEED_RULE``), for anyone who wants to repeat it with other tools:

1. Write each ballot as BLT writes its preferences: the 1-based positions of the candidates ranked,
   best first, separated by spaces, candidates ranked equally joined by ``=`` in increasing order
   (``3 1=4 2``); a ballot that ranks nobody is the empty string. Candidates are numbered in the order
   of the ballot file (the order of nomination).
2. Count identical ballots and write one line ``<count>:<preferences>`` per distinct ballot.
3. Sort the lines (as Unicode strings) and join them after a first line ``govbot-seed/1 <number of
   candidates>`` with ``\\n``.
4. The seed is the first 16 hexadecimal digits of the SHA-256 of that text (UTF-8).

Candidate names, the title and the seats are left out on purpose: a name spelled differently by another
counter (BLT cannot hold a double quote) must not change the draw. Withdrawn candidates are left in the
numbering, as in the file.

Elections closed before this rule derived their seed from the election's identifier and its stored
ballots (``legacy_seed``); their close event says no ``seed_rule``, and verification uses that one.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from typing import Any

import numpy as np
import numpy.typing as npt

from governance.tally.profile import Profile

SEED_RULE = "govbot-seed/1"
"""The name of the rule ``ballot_seed`` follows; recorded with the close and in exports."""

_SEED_LINE = re.compile(r"tie-break seed:\s*([0-9a-fA-F]{16})\b")


def _preferences(ranking: tuple[tuple[int, ...], ...]) -> str:
    return " ".join("=".join(str(c + 1) for c in sorted(tier)) for tier in ranking if tier)


def ballot_seed(profile: Profile) -> str:
    """The tie-break seed of a count of ``profile``'s ballots (16 hex digits), by ``SEED_RULE``.

    The close of an election and ``govbot tally`` both call this one function, so a re-count of the
    exported ballots draws every lot as the close did. See the module note for the rule in words.
    """
    head = f"{SEED_RULE} {len(profile.candidates)}".encode()
    fast = _strict_lines(profile)
    if fast is not None:
        fast.sort()
        return hashlib.sha256(b"\n".join([head, *fast])).hexdigest()[:16]
    lines: Counter[str] = Counter()
    for ranking, count in zip(profile.rankings, profile.counts, strict=True):
        lines[_preferences(ranking)] += count
    body = "\n".join([head.decode(), *sorted(f"{n}:{prefs}" for prefs, n in lines.items())])
    return hashlib.sha256(body.encode("utf-8")).hexdigest()[:16]


def _strict_lines(profile: Profile) -> list[bytes] | None:
    """The seed's ``<count>:<preferences>`` lines written with numpy, for a profile of distinct strict
    rankings (``None`` for any other: ties, or rankings that may repeat, go the general way).

    Every number is written digit by digit into one byte buffer at offsets computed in advance,
    then cut into lines; UTF-8 bytes sort as their strings do.
    """
    arrays = profile.arrays()
    if not arrays.strict or arrays.derived.get("distinct") is not True:
        return None
    counts, lengths = arrays.counts, arrays.tiers
    u = counts.size
    if u == 0:
        return []
    if int(counts.min()) < 0:
        return None
    # the numbers in writing order: each ranking's count, then its candidates (1-based)
    big = int(counts.max()) >= 2**31 - 1
    numbers: npt.NDArray[np.signedinteger[Any]] = np.empty(
        u + arrays.entries.size, dtype=np.int64 if big else np.int32
    )
    first = np.cumsum(lengths + 1) - (lengths + 1)  # index of each ranking's count in ``numbers``
    is_count = np.zeros(numbers.size, dtype=np.bool_)
    is_count[first] = True
    numbers[is_count] = counts
    numbers[~is_count] = arrays.entries + 1
    digits = np.ones(numbers.size, dtype=np.int8)
    power = 10
    while power <= int(numbers.max()):
        digits += numbers >= power
        power *= 10
    # a separator after every number but a ranking's last candidate (':' after a count, else ' ')
    sep = np.ones(numbers.size, dtype=np.int8)
    sep[np.cumsum(lengths + 1) - 1] = 0
    sep[first] = 1
    ends = np.cumsum(digits + sep, dtype=np.int64)  # one past each number's separator
    size = int(ends[-1])
    buf = np.full(size, ord(" "), dtype=np.uint8)
    line_starts = (ends[first] - digits[first] - 1).tolist()
    ends -= sep + 1  # each number's last digit
    buf[ends[first] + 1] = ord(":")
    del is_count, sep
    for j in range(int(digits.max())):
        live = digits > j
        if j == 0:
            buf[ends] = numbers % 10 + 48
        else:
            buf[ends[live]] = numbers[live] % 10 + 48
        numbers //= 10
        ends -= 1
    text = buf.tobytes()
    del buf, ends, numbers, digits
    starts = line_starts
    stops = [*starts[1:], len(text)]
    return [text[a:b] for a, b in zip(starts, stops, strict=True)]


def legacy_seed(slug: str, contents: list[str]) -> str:
    """The seed of an election closed before ``SEED_RULE``: its identifier and its sorted stored ballots.

    Only to verify such an election's bundle; no count derives a seed this way any more.
    """
    return hashlib.sha256("\n".join([slug, *sorted(contents)]).encode()).hexdigest()[:16]


def seed_line(seed: str) -> str:
    """The line an export writes the seed in (a BLT comment after the title, the CSV's first line)."""
    return f"# tie-break seed: {seed} (derived from the ballots; `govbot tally` derives it again)"


def stated_seed(text: str) -> str | None:
    """The seed a file states in a ``seed_line`` (None when it states none)."""
    found = _SEED_LINE.search(text)
    return found.group(1).lower() if found else None
