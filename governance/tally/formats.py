"""Ballot files: BLT (ERS/OpenSTV/droop) and PrefLib (.soi, .soc, .toi, .toc) readers and writers.

This is the only module of ``governance.tally`` that touches files. Readers turn a file into a
``Profile``; writers turn a ``Profile`` back into text that the readers read to the same profile.
Score ballots (STAR, cumulative voting) are read by ``read_scores`` from govbot's score CSV, whose
format and parser live in ``governance.tally.scores``.

**BLT**, as written by OpenSTV and the ERS and read by droop::

    4 2                 <- number of candidates, number of seats
    -2                  <- optional: withdrawn candidates, as negative numbers (one line)
    [nick a b c d]      <- optional droop options: [nick ...] names candidates by nickname,
                           [withdrawn ...] withdraws them; other [...] options are accepted and ignored
    3 1 3 4 0           <- weight, then preferences (1-based), then 0
    1 2=3 1 0           <- "=" ranks candidates equally; "-" marks a skipped rank
    0                   <- end of ballots
    "Ann" "Bob"         <- one quoted name per candidate (usually one a line)
    "Cat" "Dan"
    "Title"             <- the quoted title

Everything after a ``#`` outside quotes is a comment (droop files use them); anything after the title
is ignored, as OpenSTV and droop do. A UTF-8 byte order mark
is ignored.

**PrefLib** (2022 format): ``# KEY: value`` headers, notably ``# TITLE:`` and
``# ALTERNATIVE NAME i: name``, then ``count: a,b,{c,d},e`` lines (1-based alternatives, braces for
ties). ``.soi``/``.soc`` hold strict orders (no braces); ``.soc``/``.toc`` hold complete orders
(every alternative ranked). A ``count:`` line with nothing after it is a blank ballot.

Malformed files raise ``TallyInputError`` naming the file, the line and what was expected.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path

import numpy as np
import numpy.typing as npt

from governance.tally import _scan
from governance.tally.errors import TallyInputError
from governance.tally.profile import Profile, Ranking
from governance.tally.scores import ScoreProfile, parse_scores

PREFLIB_KINDS = ("soi", "soc", "toi", "toc")
_QUOTED = re.compile(r'"([^"]*)"')


def read_profile(path: str | Path) -> Profile:
    """Read a BLT or PrefLib file, choosing the reader by extension (.blt, .soi, .soc, .toi, .toc)."""
    p = Path(path)
    ext = p.suffix.lower().lstrip(".")
    if ext == "blt":
        return read_blt(p)
    if ext in PREFLIB_KINDS:
        return read_preflib(p)
    raise TallyInputError("unknown ballot file type; expected .blt, .soi, .soc, .toi or .toc", path=str(p))


def read_scores(path: str | Path) -> ScoreProfile:
    """Read score ballots (STAR, cumulative) in govbot's score CSV (``governance.tally.scores``)."""
    p = Path(path)
    return parse_scores(_read_text(p), path=str(p))


def _read_text(path: Path) -> str:
    return _decode(_read_bytes(path), path)


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise TallyInputError(f"cannot read the file: {exc.strerror or exc}", path=str(path)) from exc


def _decode(data: bytes, path: Path) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise TallyInputError(f"the file is not UTF-8 text ({exc.reason})", path=str(path)) from exc


# ----------------------------------------------------------------------------------------------- BLT


def read_blt(path: str | Path) -> Profile:
    """Read a BLT ballot file into a profile (seats from the header, withdrawn candidates kept)."""
    p = Path(path)
    data = _read_bytes(p)
    fast = _fast_blt(data, str(p))
    if fast is not None:
        return fast
    return _parse_blt_lines(_decode(data, p), path=str(p))


_BLT_END = re.compile(rb"^[ \t]*0[ \t]*$", re.MULTILINE)


def _fast_blt(data: bytes, path: str) -> Profile | None:
    """The profile of a plainly well-formed BLT file read with whole-array operations, else ``None``.

    Identical ballot lines (most of a large file) are counted first, so each distinct line is
    scanned once; the header, options, names and title are read by the line-by-line parser.
    """
    data = data.removeprefix(b"\xef\xbb\xbf")
    if b"\r" in data:
        data = data.replace(b"\r\n", b"\n")
        if b"\r" in data:
            return None
    end = _BLT_END.search(data)
    if end is None:
        return None
    start = 0
    seen_header = False
    for line in data[: end.start()].split(b"\n"):  # header and options: a few lines at the top
        content = line.strip()
        if content and not content.startswith((b"#", b"[", b"-")):
            if seen_header:
                break
            seen_header = True
        start += len(line) + 1
    start = min(start, end.start())
    region = data[start : end.start()]
    if b"#" in region or b"[" in region or b"[nick" in data[:start] or any(b in data for b in _ODD_BREAKS):
        return None
    try:
        frame = _parse_blt_lines(
            data[:start].decode("utf-8") + data[end.start() :].decode("utf-8"), path=path
        )
    except (UnicodeDecodeError, TallyInputError):
        return None
    lines = Counter(region.split(b"\n"))
    blank = [k for k in lines if not k.strip()]
    for k in blank:
        del lines[k]
    if not lines:
        return frame
    scanned = _scan.scan_blt(b"\n".join(lines))
    if scanned is None:
        return None
    entries = scanned.entries
    if entries.size and (int(entries.min()) < 1 or int(entries.max()) > len(frame.candidates)):
        return None
    repeats = np.fromiter(lines.values(), dtype=np.int64, count=len(lines))
    return Profile.from_arrays(
        frame.candidates,
        scanned.counts * repeats,
        scanned.tiers,
        entries - 1,
        scanned.tier_sizes,
        withdrawn=frame.withdrawn,
        title=frame.title,
        seats=frame.seats,
    )


def _strip_comment(line: str) -> str:
    in_quote = False
    for i, ch in enumerate(line):
        if ch == '"':
            in_quote = not in_quote
        elif ch == "#" and not in_quote:
            return line[:i]
    return line


def parse_blt(text: str, *, path: str = "<blt>") -> Profile:
    """Parse BLT text (see the module docstring); ``path`` only labels error messages.

    A plainly well-formed file is read whole with numpy (``_scan``); any other line by line, which
    names the first line that is wrong and what was expected.
    """
    fast = _fast_blt(text.encode("utf-8", "surrogatepass"), path)
    if fast is not None:
        return fast
    return _parse_blt_lines(text, path=path)


def _parse_blt_lines(text: str, *, path: str = "<blt>") -> Profile:
    """``parse_blt`` line by line (any file; the one that reports what is wrong where)."""
    lines = text.lstrip("\ufeff").splitlines()
    n = len(lines)
    i = 0

    def err(message: str, line_index: int) -> TallyInputError:
        return TallyInputError(message, path=path, line=line_index + 1)

    def next_content(start: int) -> int:
        j = start
        while j < n and not _strip_comment(lines[j]).strip():
            j += 1
        return j

    i = next_content(0)
    if i >= n:
        raise TallyInputError("the file is empty; expected a header line '<candidates> <seats>'", path=path)
    header = _strip_comment(lines[i]).split()
    if len(header) != 2 or not all(_is_int(t) for t in header):
        raise err(
            f"expected a header '<candidates> <seats>' (two whole numbers), found {lines[i].strip()!r}", i
        )
    ncand, seats = int(header[0]), int(header[1])
    if ncand < 1:
        raise err(f"expected at least one candidate in the header, found {ncand}", i)
    if seats < 1:
        raise err(f"expected at least one seat in the header, found {seats}", i)
    i += 1

    withdrawn: set[int] = set()
    nicks: dict[str, int] = {}
    ballots: list[tuple[list[list[int]], int]] = []
    ended = False
    while True:
        i = next_content(i)
        if i >= n:
            break
        content = _strip_comment(lines[i]).strip()
        if content.startswith("["):
            if not content.endswith("]"):
                raise err("expected an option in brackets like [withdrawn 2 3], missing ']'", i)
            words = content[1:-1].split()
            if words and words[0] == "nick":
                if len(words) - 1 != ncand:
                    raise err(f"expected {ncand} nicknames after [nick, found {len(words) - 1}", i)
                nicks = {w: k for k, w in enumerate(words[1:])}
            elif words and words[0] == "withdrawn":
                for w in words[1:]:
                    withdrawn.add(_candidate(w, ncand, nicks, partial(_line_error, path, i)))
            i += 1
            continue
        tokens = content.split()
        if tokens == ["0"]:
            ended = True
            i += 1
            break
        if tokens[0].startswith("-") and not ballots:
            for t in tokens:
                if not (t.startswith("-") and _is_int(t[1:])):
                    raise err(f"expected withdrawn candidates as negative numbers like -2, found {t!r}", i)
                k = int(t[1:])
                if not 1 <= k <= ncand:
                    raise err(f"expected a withdrawn candidate between -1 and -{ncand}, found {t}", i)
                withdrawn.add(k - 1)
            i += 1
            continue
        ballots.append(_parse_ballot_line(tokens, ncand, nicks, partial(_line_error, path, i)))
        i += 1
    if not ended:
        raise TallyInputError(
            f"line {n}: the file ended inside the ballots; expected a line '0' after the last ballot",
            path=path,
        )

    # Names and title: quoted strings, any layout. Like OpenSTV and droop, anything after the title
    # (free-text commentary in some test files) is ignored.
    strings: list[tuple[str, int]] = []
    j = i
    while j < n and len(strings) <= ncand:
        rest = _strip_comment(lines[j]).strip() if len(strings) < ncand else lines[j].strip()
        pos = 0
        while pos < len(rest) and len(strings) <= ncand:
            if rest[pos].isspace():
                pos += 1
                continue
            m = _QUOTED.match(rest, pos)
            if m is None:
                what = "a candidate name" if len(strings) < ncand else "the title"
                raise err(f"expected {what} in double quotes, found {rest[pos:]!r}", j)
            strings.append((m.group(1), j))
            pos = m.end()
        j += 1
    if len(strings) < ncand:
        raise TallyInputError(
            f"line {n}: expected {ncand} quoted candidate names after the ballots, found {len(strings)}",
            path=path,
        )
    names = [s for s, _ in strings[:ncand]]
    if len(set(names)) != len(names):
        second = next(k for k, s in enumerate(names) if s in names[:k])
        raise err(f"expected distinct candidate names, {names[second]!r} appears twice", strings[second][1])
    title = strings[ncand][0] if len(strings) > ncand else ""
    return Profile.build(names, ballots, withdrawn=sorted(withdrawn), title=title, seats=seats)


def _line_error(path: str, line_index: int, message: str) -> TallyInputError:
    return TallyInputError(message, path=path, line=line_index + 1)


def _is_int(token: str) -> bool:
    return token.isdigit() or (token[:1] in "+-" and token[1:].isdigit())


def _candidate(token: str, ncand: int, nicks: dict[str, int], err: Callable[[str], TallyInputError]) -> int:
    if nicks and token in nicks:
        return nicks[token]
    if token.isdigit() and 1 <= int(token) <= ncand:
        return int(token) - 1
    expected = f"a candidate number between 1 and {ncand}" + (" or a nickname" if nicks else "")
    raise err(f"expected {expected}, found {token!r}")


def _parse_ballot_line(
    tokens: list[str], ncand: int, nicks: dict[str, int], err: Callable[[str], TallyInputError]
) -> tuple[list[list[int]], int]:
    weight_token = tokens[0]
    if not weight_token.isdigit():
        raise err(f"expected a ballot line starting with a whole-number weight, found {weight_token!r}")
    if tokens[-1] != "0":
        raise err("expected the ballot line to end with 0")
    if len(tokens) == 1:
        raise err("expected preferences and a closing 0 after the weight")
    tiers: list[list[int]] = []
    for token in tokens[1:-1]:
        if token == "-":
            continue
        tiers.append([_candidate(part, ncand, nicks, err) for part in token.split("=")])
    return tiers, int(weight_token)


def write_blt(profile: Profile, seats: int | None = None) -> str:
    """The profile as BLT text (read back by ``parse_blt`` to an equal profile).

    Seats come from ``seats``, else ``profile.seats``, else 1. Names and title must not contain a
    double quote, which BLT cannot escape.
    """
    n_seats = seats if seats is not None else (profile.seats if profile.seats is not None else 1)
    for s in (*profile.candidates, profile.title):
        if '"' in s or "\n" in s or "\r" in s:
            raise TallyInputError(f"BLT cannot hold the name or title {s!r} (double quote or line break)")
    out = [f"{len(profile.candidates)} {n_seats}"]
    if profile.withdrawn:
        out.append(" ".join(f"-{c + 1}" for c in sorted(profile.withdrawn)))
    for ranking, count in zip(profile.rankings, profile.counts, strict=True):
        prefs = " ".join("=".join(str(c + 1) for c in tier) for tier in ranking)
        out.append(f"{count} {prefs} 0" if prefs else f"{count} 0")
    out.append("0")
    out.extend(f'"{name}"' for name in profile.candidates)
    out.append(f'"{profile.title}"')
    return "\n".join(out) + "\n"


# ------------------------------------------------------------------------------------------- PrefLib


def read_preflib(path: str | Path) -> Profile:
    """Read a PrefLib .soi/.soc/.toi/.toc file; the kind comes from the extension."""
    p = Path(path)
    kind = p.suffix.lower().lstrip(".")
    if kind not in PREFLIB_KINDS:
        raise TallyInputError("expected a PrefLib file ending in .soi, .soc, .toi or .toc", path=str(p))
    data = _read_bytes(p)
    fast = _fast_preflib(data, kind, str(p))
    if fast is not None:
        return fast
    return _parse_preflib_lines(_decode(data, p), kind=kind, path=str(p))


_NAME = re.compile(r"#\s*ALTERNATIVE NAME (\d+):\s?(.*)$")
_HEADER = re.compile(r"#\s*([A-Z][A-Z ]*[A-Z]):\s?(.*)$")


def parse_preflib(text: str, *, kind: str = "toi", path: str = "<preflib>") -> Profile:
    """Parse PrefLib text of the given kind (soi, soc, toi, toc); ``path`` labels error messages.

    A well-formed file is read whole with numpy (``_scan``); any other is read line by line, which
    names the first line that is wrong and what was expected.
    """
    if kind in PREFLIB_KINDS:
        fast = _fast_preflib(text.encode("utf-8", "surrogatepass"), kind, path)
        if fast is not None:
            return fast
    return _parse_preflib_lines(text, kind=kind, path=path)


_ODD_BREAKS = (b"\x0b", b"\x0c", b"\x1c", b"\x1d", b"\x1e", b"\xc2\x85", b"\xe2\x80\xa8", b"\xe2\x80\xa9")
_FIRST_BALLOT = re.compile(rb"^[ \t]*[^#\s]", re.MULTILINE)


def _fast_preflib(data: bytes, kind: str, path: str) -> Profile | None:
    """The profile of a well-formed PrefLib file read with whole-array operations, else ``None``."""
    data = data.removeprefix(b"\xef\xbb\xbf")
    if b"\r" in data:
        data = data.replace(b"\r\n", b"\n")
        if b"\r" in data:
            return None
    first = _FIRST_BALLOT.search(data)
    split = first.start() if first is not None else len(data)
    header, body = data[:split], data[split:]
    if b"#" in body or any(b in header for b in _ODD_BREAKS):
        return None
    try:
        names = _parse_preflib_lines(header.decode("utf-8"), kind=kind, path=path)
    except (UnicodeDecodeError, TallyInputError):
        return None
    scanned = _scan.scan_preflib(body, ties=not kind.startswith("so"))
    if scanned is None:
        return None
    n = len(names.candidates)
    entries = scanned.entries
    if entries.size and (int(entries.min()) < 1 or int(entries.max()) > n):
        return None
    per_ballot = _per_ballot(scanned)
    if _has_repeats(entries, per_ballot, n):
        return None
    if kind.endswith("c") and bool(((per_ballot != n) & (per_ballot != 0)).any()):
        return None
    return Profile.from_arrays(
        names.candidates, scanned.counts, scanned.tiers, entries - 1, scanned.tier_sizes, title=names.title
    )


def _per_ballot(scanned: _scan.Scanned) -> npt.NDArray[np.int64]:
    """How many candidates each scanned ballot names."""
    if scanned.tier_sizes is None:
        return scanned.tiers
    owner = np.repeat(np.arange(scanned.tiers.size, dtype=np.int64), scanned.tiers)
    return np.bincount(owner, weights=scanned.tier_sizes, minlength=scanned.tiers.size).astype(np.int64)


def _has_repeats(entries: npt.NDArray[np.int64], per_ballot: npt.NDArray[np.int64], n: int) -> bool:
    """Whether a ballot names a candidate (1..n) twice."""
    if entries.size == 0:
        return False
    if n <= 63:  # one bit per candidate: a ballot's candidates are distinct if its bits are
        ranked = per_ballot > 0
        starts = (np.cumsum(per_ballot) - per_ballot)[ranked]
        masks = np.bitwise_or.reduceat(np.left_shift(np.uint64(1), entries.astype(np.uint64)), starts)
        return bool((np.bitwise_count(masks) != per_ballot[ranked]).any())
    owner = np.repeat(np.arange(per_ballot.size, dtype=np.int64), per_ballot)
    keys = np.sort(owner * (n + 1) + entries)
    return bool((keys[1:] == keys[:-1]).any())


def _parse_preflib_lines(text: str, *, kind: str = "toi", path: str = "<preflib>") -> Profile:
    """``parse_preflib`` line by line (any file; the one that reports what is wrong where)."""
    if kind not in PREFLIB_KINDS:
        raise TallyInputError(f"unknown PrefLib kind {kind!r}; expected soi, soc, toi or toc", path=path)
    strict = kind.startswith("so")
    complete = kind.endswith("c")
    names: dict[int, str] = {}
    declared: int | None = None
    title = ""
    raw: list[tuple[list[list[int]], int, int]] = []
    lines = text.lstrip("\ufeff").splitlines()
    for idx, line in enumerate(lines):
        stripped = line.strip()
        if not stripped:
            continue
        if stripped.startswith("#"):
            m = _NAME.match(stripped)
            if m:
                names[int(m.group(1))] = m.group(2).strip()
                continue
            h = _HEADER.match(stripped)
            if h:
                key, value = h.group(1), h.group(2).strip()
                if key == "TITLE":
                    title = value
                elif key == "NUMBER ALTERNATIVES":
                    if not value.isdigit():
                        raise TallyInputError(
                            f"expected a whole number of alternatives, found {value!r}",
                            path=path,
                            line=idx + 1,
                        )
                    declared = int(value)
            continue
        raw.append((*_parse_order(stripped, strict, path, idx), idx))
    n = declared if declared is not None else (max(names) if names else 0)
    if n < 1:
        raise TallyInputError(
            "expected '# NUMBER ALTERNATIVES: n' or '# ALTERNATIVE NAME i:' headers", path=path
        )
    missing = [k for k in range(1, n + 1) if k not in names]
    if missing:
        raise TallyInputError(f"expected a header '# ALTERNATIVE NAME {missing[0]}: ...'", path=path)
    extra = [k for k in names if not 1 <= k <= n]
    if extra:
        raise TallyInputError(
            f"alternative {extra[0]} is named but the file declares {n} alternatives", path=path
        )
    ballots: list[tuple[list[list[int]], int]] = []
    for tiers, count, idx in raw:
        seen: set[int] = set()
        for tier in tiers:
            for a in tier:
                if not 1 <= a <= n:
                    raise TallyInputError(
                        f"expected alternatives between 1 and {n}, found {a}", path=path, line=idx + 1
                    )
                if a in seen:
                    raise TallyInputError(f"alternative {a} is ranked twice", path=path, line=idx + 1)
                seen.add(a)
        if complete and len(seen) != n and tiers:
            raise TallyInputError(
                f"a .{kind} file holds complete orders; expected all {n} alternatives, found {len(seen)}",
                path=path,
                line=idx + 1,
            )
        ballots.append(([[a - 1 for a in tier] for tier in tiers], count))
    candidate_names = [names[k] for k in range(1, n + 1)]
    return Profile.build(candidate_names, ballots, title=title)


def _parse_order(line: str, strict: bool, path: str, idx: int) -> tuple[list[list[int]], int]:
    head, sep, body = line.partition(":")
    if not sep or not head.strip().isdigit():
        raise TallyInputError(
            f"expected a ballot line 'count: a,b,c', found {line[:60]!r}", path=path, line=idx + 1
        )
    count = int(head.strip())
    body = body.strip()
    tiers: list[list[int]] = []
    pos = 0
    while pos < len(body):
        if body[pos] == "{":
            close = body.find("}", pos)
            if close < 0:
                raise TallyInputError("expected '}' to close a tie", path=path, line=idx + 1)
            if strict:
                raise TallyInputError(
                    "a strict-order file (.soi/.soc) cannot hold ties in braces; rename it .toi/.toc",
                    path=path,
                    line=idx + 1,
                )
            parts = [p.strip() for p in body[pos + 1 : close].split(",") if p.strip()]
            tier = [_alt(p, path, idx) for p in parts]
            if tier:
                tiers.append(tier)
            pos = close + 1
        else:
            comma = body.find(",", pos)
            end = len(body) if comma < 0 else comma
            token = body[pos:end].strip()
            if token:
                tiers.append([_alt(token, path, idx)])
            elif comma >= 0 or pos < len(body):
                raise TallyInputError(
                    "expected an alternative number between commas", path=path, line=idx + 1
                )
            pos = end
        while pos < len(body) and body[pos] == " ":
            pos += 1
        if pos < len(body):
            if body[pos] != ",":
                raise TallyInputError(f"expected ',' at {body[pos : pos + 10]!r}", path=path, line=idx + 1)
            pos += 1
            if pos >= len(body):
                raise TallyInputError("expected an alternative after the last ','", path=path, line=idx + 1)
    return tiers, count


def _alt(token: str, path: str, idx: int) -> int:
    if not token.isdigit():
        raise TallyInputError(f"expected an alternative number, found {token!r}", path=path, line=idx + 1)
    return int(token)


def write_preflib(profile: Profile, kind: str = "toi") -> str:
    """The profile as PrefLib text of ``kind`` (read back by ``parse_preflib`` to an equal profile).

    Withdrawn candidates and seats have no place in PrefLib and are not written. A ``.soi``/``.soc``
    file cannot hold ties and a ``.soc``/``.toc`` file needs complete orders: ``TallyInputError`` if the
    profile does not fit the kind. Names must be one line without surrounding spaces.
    """
    if kind not in PREFLIB_KINDS:
        raise TallyInputError(f"unknown PrefLib kind {kind!r}; expected soi, soc, toi or toc")
    n = len(profile.candidates)
    for name in (*profile.candidates, profile.title):
        if "\n" in name or "\r" in name or name != name.strip():
            raise TallyInputError(f"PrefLib cannot hold the name {name!r} (line break or edge spaces)")
    if kind.startswith("so") and profile.has_ties:
        raise TallyInputError(f"a .{kind} file cannot hold tied rankings; write .toi or .toc")
    if kind.endswith("c"):
        for ranking in profile.rankings:
            if ranking and sum(len(t) for t in ranking) != n:
                raise TallyInputError(f"a .{kind} file needs complete rankings; write .soi or .toi")
    unique = len(profile.rankings)
    out = [
        f"# FILE NAME: govbot.{kind}",
        f"# TITLE: {profile.title}",
        f"# DATA TYPE: {kind}",
        f"# NUMBER ALTERNATIVES: {n}",
        *(f"# ALTERNATIVE NAME {i + 1}: {name}" for i, name in enumerate(profile.candidates)),
        f"# NUMBER VOTERS: {profile.total}",
        f"# NUMBER UNIQUE ORDERS: {unique}",
    ]
    for ranking, count in zip(profile.rankings, profile.counts, strict=True):
        out.append(f"{count}: " + ",".join(_tier_text(t) for t in ranking))
    return "\n".join(out) + "\n"


def _tier_text(tier: Sequence[int]) -> str:
    if len(tier) == 1:
        return str(tier[0] + 1)
    return "{" + ",".join(str(c + 1) for c in tier) + "}"


def write_profile(profile: Profile, path: str | Path, *, seats: int | None = None) -> None:
    """Write the profile to ``path`` as BLT or PrefLib, chosen by the extension."""
    p = Path(path)
    ext = p.suffix.lower().lstrip(".")
    if ext == "blt":
        text = write_blt(profile, seats)
    elif ext in PREFLIB_KINDS:
        text = write_preflib(profile, ext)
    else:
        raise TallyInputError(
            "unknown ballot file type; expected .blt, .soi, .soc, .toi or .toc", path=str(p)
        )
    p.write_text(text, encoding="utf-8")


def rankings_equal(a: Ranking, b: Ranking) -> bool:
    """Whether two rankings put the same candidates in the same tiers (order within a tier ignored)."""
    return [sorted(t) for t in a] == [sorted(t) for t in b]
