"""Verify an audit bundle (``governance.export``) on its own: no database, no network, no trust in the bot.

``verify_bundle(path)`` checks, and reports exactly what differs:

1. the manifest: every file listed is present with its SHA-256, and no file is unlisted; and the layout:
   every file a bundle must hold is there (``REQUIRED``; a poll's ``settings.json``, ``events.jsonl`` and,
   unless a secret poll not counted withholds them, its ballots), and no other file is;
2. every chain (each poll's ``events.jsonl``, other streams, ``anchor.jsonl``): sequence, previous
   hash and each event's hash, naming the first event that breaks, and the head in ``heads.json``;
3. the anchor: each exported stream still has, at the place the anchor recorded, the head it recorded
   (a stream rewritten or cut short after it was anchored);
4. for a counted election: the ballots match the close event (number, SHA-256 of the ballots, the seed
   derived from them), ``ballots.blt`` holds the same ballots as ``ballots.csv``, and re-counting them
   with the recorded method, seats, seed and caps (``governance.tally``) gives ``result.json`` exactly;
   for a motion: the counts and the decision re-computed from the ballots; for both, the log accounts
   for every ballot (``governance.ledger_rules.log_differences``: one exported ballot per first-ballot
   event, and the figures the close recorded);
5. secrecy: a secret poll's ballots name no voter; and an election's electorate summary is the one its
   log recorded (``election.electorate_fixed`` and later grants: count, digest, breakdowns);
6. the signed checkpoints (``governance.checkpoint_verify``): signatures with the given or pinned key,
   and every signed head in place in the chains, also for checkpoints the verifier kept from earlier.

The heads it prints are what to compare with the heads the bot published (in its result messages, or
an earlier export): a bundle rewritten wholesale is consistent with itself, not with those.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

from governance import chain, checkpoint_verify, ledger_rules, tally
from governance.bundle import FORMAT, election_profile, read_ballots_csv
from governance.i18n import _
from governance.tally.caps import GroupCap
from governance.tally.formats import parse_blt
from governance.tally.motion import count_motion
from governance.tally.result import as_recorded
from governance.tally.seed import SEED_RULE, ballot_seed, legacy_seed, stated_seed


@dataclass
class Report:
    """The outcome of verifying a bundle: problems (empty when it verifies), heads, what was checked."""

    problems: list[str] = field(default_factory=list)
    heads: dict[str, str] = field(default_factory=dict)
    checked: list[str] = field(default_factory=list)
    events: int = 0

    @property
    def ok(self) -> bool:
        """Whether nothing differs."""
        return not self.problems

    def to_text(self) -> str:
        """The report for people: OK with the heads, or each difference on its own line."""
        if self.ok:
            lines = [
                _(
                    "OK: {events} events in {chains} chain(s) verified.",
                    events=self.events,
                    chains=len(self.heads),
                )
            ]
            lines += [
                "  " + _("head of {stream}: {digest}", stream=stream, digest=digest)
                for stream, digest in sorted(self.heads.items())
            ]
            lines += [f"  {line}" for line in self.checked]
            return "\n".join(lines)
        return "\n".join([_("FAILED:"), *(f"  {p}" for p in self.problems)])


def read_bundle(path: Path) -> dict[str, bytes]:
    """Every file of a bundle (a directory or a .zip) by its relative name."""
    if not path.exists():
        raise FileNotFoundError(f"{path} does not exist")
    if path.is_dir():
        return {
            p.relative_to(path).as_posix(): p.read_bytes() for p in sorted(path.rglob("*")) if p.is_file()
        }
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist() if not name.endswith("/")}


def check_lines(
    stream: str, lines: Sequence[bytes | str], head: str | None = None, head_seq: int | None = None
) -> chain.ChainCheck:
    """Verify one exported chain (JSONL lines) like ``chain.verify_chain``; name the first bad event.

    Lines in the canonical spelling govbot writes are checked as bytes: the hashed body is the line
    without its ``"hash"`` member, and the expected ``prev``, ``seq`` and ``stream`` must stand in it
    where canonical JSON puts them. At the first line that does not pass so, the chain is checked
    again field by field from parsed JSON, which names exactly what differs.
    """
    fast = _check_canonical(stream, lines, head, head_seq)
    return fast if fast is not None else _check_parsed(stream, lines, head, head_seq)


def _check_canonical(
    stream: str, lines: Sequence[bytes | str], head: str | None, head_seq: int | None
) -> chain.ChainCheck | None:
    """The byte-level pass of ``check_lines``: a verdict of OK, or None to re-check field by field."""
    sha256 = hashlib.sha256
    stream_key = b',"stream":' + chain._quote(stream).encode() + b',"subject":'
    prev = chain.GENESIS.encode()
    count = 0
    for count, raw in enumerate(lines, start=1):
        line = raw.encode() if isinstance(raw, str) else raw
        cut = line.find(b',"hash":"')
        if cut < 0 or line[cut + 73 : cut + 74] != b'"' or not line.startswith(b'{"actor":'):
            return None
        digest = line[cut + 9 : cut + 73]
        body = line[:cut] + line[cut + 74 :]
        if b',"prev":"' + prev + b'","seq":' + str(count).encode() + stream_key not in body:
            return None
        if sha256(body).hexdigest().encode() != digest:
            return None
        prev = digest
    final = prev.decode()
    if (head is not None and head != final) or (head_seq is not None and head_seq != count):
        return None
    return chain.ChainCheck(stream, True, count, final)


def _check_parsed(
    stream: str, lines: Sequence[bytes | str], head: str | None, head_seq: int | None
) -> chain.ChainCheck:
    prev = chain.GENESIS
    quote = chain._quote
    sha256 = hashlib.sha256
    loads = json.loads
    head_at: int | None = 0 if head == chain.GENESIS else None
    count = 0
    for count, line in enumerate(lines, start=1):
        try:
            e = loads(line)
            seq, stated_prev, digest = e["seq"], e["prev"], e["hash"]
            if e["stream"] != stream:
                return chain.ChainCheck(
                    stream, False, count, prev, count, f"it belongs to stream {e['stream']!r}"
                )
            if seq != count:
                problem = f"expected event {count}, found {seq} (events deleted or reordered)"
                return chain.ChainCheck(stream, False, count, prev, count, problem)
            if stated_prev != prev:
                problem = (
                    "its previous-hash does not match the event before it (deleted, inserted or swapped)"
                )
                return chain.ChainCheck(stream, False, count, prev, count, problem)
            body = (
                f'{{"actor":{quote(e["actor"])},"at":{quote(e["at"])},"kind":{quote(e["kind"])},'
                f'"payload":{quote(e["payload"])},"prev":{quote(prev)},"seq":{count},'
                f'"stream":{quote(stream)},"subject":{quote(e["subject"])}}}'
            )
        except (ValueError, KeyError, TypeError) as exc:
            return chain.ChainCheck(
                stream, False, count, prev, count, f"line {count} is not an event ({exc})"
            )
        if sha256(body.encode()).hexdigest() != digest:
            return chain.ChainCheck(
                stream, False, count, prev, count, "its content does not match its hash (edited)"
            )
        prev = digest
        if head_at is None and head is not None and digest == head:
            head_at = count
    if head is not None and head != prev:
        if head_at is not None:
            problem = f"events after the recorded head (event {head_at}) were added"
            return chain.ChainCheck(stream, False, count, prev, head_at + 1, problem)
        problem = "events are missing after the last one (its hash is not the recorded head)"
        return chain.ChainCheck(stream, False, count, prev, count + 1, problem)
    if head_seq is not None and head_seq != count:
        problem = f"the recorded head is event {head_seq}, but {count} events are in the file"
        return chain.ChainCheck(stream, False, count, prev, min(count, head_seq) + 1, problem)
    return chain.ChainCheck(stream, True, count, prev)


def _lines(data: bytes) -> list[bytes]:
    return [line for line in data.split(b"\n") if line.strip()]


def _check_manifest(files: Mapping[str, bytes], report: Report) -> None:
    raw = files.get("manifest.json")
    if raw is None:
        report.problems.append("manifest.json is missing")
        return
    try:
        manifest = json.loads(raw)
        listed: dict[str, Any] = manifest["files"]
    except (ValueError, KeyError, TypeError):
        report.problems.append(_("manifest.json is not a bundle manifest"))
        return
    if manifest.get("format") != FORMAT:
        report.problems.append(
            _(
                "manifest.json: unknown format {found!r} (expected {expected})",
                found=manifest.get("format"),
                expected=FORMAT,
            )
        )
    for name, entry in sorted(listed.items()):
        data = files.get(name)
        if data is None:
            report.problems.append(_("{name}: listed in the manifest but missing", name=name))
        elif hashlib.sha256(data).hexdigest() != entry.get("sha256"):
            report.problems.append(
                _("{name}: its SHA-256 differs from the manifest (the file was changed)", name=name)
            )
    for name in sorted(set(files) - set(listed) - {"manifest.json"}):
        report.problems.append(_("{name}: not listed in the manifest (a file was added)", name=name))


def _chain(
    files: Mapping[str, bytes], name: str, stream: str, heads: Mapping[str, Any], report: Report
) -> list[dict[str, Any]] | None:
    """Verify one chain file; return its events (parsed) when it verifies."""
    lines = _lines(files.get(name, b""))
    head = heads.get(stream)
    check = check_lines(stream, lines, head["hash"] if head else None, int(head["seq"]) if head else None)
    report.events += check.events if check.ok else 0
    if not check.ok:
        report.problems.append(
            _(
                "{name}: BROKEN at event {seq} of {stream}: {problem}",
                name=name,
                seq=check.broken_seq,
                stream=stream,
                problem=check.problem,
            )
        )
        return None
    if head is None and lines:
        report.problems.append(_("heads.json records no head for {stream}", stream=stream))
        return None
    report.heads[stream] = check.head
    return [json.loads(line) for line in lines]


def _diff(expected: Any, got: Any, where: str = "") -> str:
    """The first place two JSON values differ, for a message."""
    if isinstance(expected, dict) and isinstance(got, dict):
        for key in sorted(set(expected) | set(got)):
            if expected.get(key) != got.get(key):
                return _diff(expected.get(key), got.get(key), f"{where}.{key}" if where else key)
    if isinstance(expected, list) and isinstance(got, list) and len(expected) == len(got):
        for i, (a, b) in enumerate(zip(expected, got, strict=True)):
            if a != b:
                return _diff(a, b, f"{where}[{i}]")
    return (
        f"{where or 'value'}: recorded {json.dumps(expected)[:200]}, re-count gives {json.dumps(got)[:200]}"
    )


def _ballots_withheld(
    files: Mapping[str, bytes],
    folder: str,
    settings: Mapping[str, Any],
    events: list[dict[str, Any]],
    kind: str,
    report: Report,
) -> bool:
    """Whether the poll's ballots are rightly left out (a secret poll not counted): then say so and
    return True. Otherwise every ballot file of the poll is required (a missing one is a problem)."""
    counted = any(e["kind"] == f"{kind}.closed" for e in events)
    if settings.get("ballots_withheld") and not counted:
        cast = sum(1 for e in events if e["kind"] in (ledger_rules.FIRST[kind], ledger_rules.REPLACED[kind]))
        report.checked.append(
            _(
                "{folder}: a secret ballot not counted: its ballots stay sealed ({n} ballot events in "
                "the log)",
                folder=folder,
                n=cast,
            )
        )
        return True
    for base in ("ballots.csv", "ballots.blt") if kind == "election" else ("ballots.csv",):
        if f"{folder}/{base}" not in files:
            report.problems.append(
                _("{name} is missing: the bundle must hold the poll's ballots", name=f"{folder}/{base}")
            )
    return False


REQUIRED = ("manifest.json", "heads.json", "anchor.jsonl", "deployment.pub")
# checkpoints.jsonl is required too; its absence is named by the checkpoint check.
TOP_FILES = (*REQUIRED, "checkpoints.jsonl")
"""The files every bundle holds at its top (``governance.export``)."""
POLL_FILES = {"settings.json", "events.jsonl", "ballots.csv", "ballots.blt", "result.json"}
"""The files a poll's folder may hold; ``settings.json`` and ``events.jsonl`` always."""


def _check_layout(files: Mapping[str, bytes], report: Report) -> None:
    """Every file a bundle must hold is there, and nothing else is: a file removed, with its manifest
    entry, or added, with a manifest made anew, is named."""
    for name in REQUIRED:
        if name not in files and (name != "manifest.json"):  # a missing manifest is named by its check
            report.problems.append(_("{name} is missing: every bundle holds it", name=name))
    folders = set()
    for name in sorted(files):
        folder, _sep, base = name.rpartition("/")
        if not folder and name in TOP_FILES:
            continue
        if folder == "streams" and base.endswith(".jsonl") and ":" not in base:
            continue
        if folder.startswith(("election-", "motion-")) and "/" not in folder and base in POLL_FILES:
            folders.add(folder)
            continue
        report.problems.append(_("{name}: not a file of an audit bundle (a file was added)", name=name))
    for folder in sorted(folders):
        for base in ("settings.json", "events.jsonl"):
            if f"{folder}/{base}" not in files:
                report.problems.append(
                    _("{name} is missing: every poll's folder holds it", name=f"{folder}/{base}")
                )


def check_electorate(
    folder: str,
    settings: Mapping[str, Any],
    events: list[dict[str, Any]],
    report: Report,
    *,
    name: str | None = None,
) -> None:
    """The electorate summary in ``settings.json`` agrees with the log: its count and digest are those of
    the last ``election.electorate_fixed`` or later grant event, its breakdowns add up to its count, and
    its number of exceptions is what those events recorded. ``name`` names the summary's source in
    messages (the database's check passes the stream)."""
    records = [
        (e, json.loads(e["payload"]))
        for e in events
        if e["kind"] in ("election.electorate_fixed", "election.exception_granted")
    ]
    records = [(e, p) for e, p in records if "sha256" in p]  # grants before the cut-off change no record
    summary = settings.get("electorate")
    name = name or f"{folder}/settings.json"
    if not records:
        if summary is not None:
            report.problems.append(
                _("{name}: it states an electorate, but the log never fixed one", name=name)
            )
        return
    last_event, last = records[-1]
    if not isinstance(summary, dict):
        report.problems.append(
            _(
                "{name}: the log fixed the electorate (event {seq}), but the file states none",
                name=name,
                seq=last_event["seq"],
            )
        )
        return
    fixed = next(p for e, p in records if e["kind"] == "election.electorate_fixed")
    exceptions = int(fixed.get("exceptions", 0)) + sum(
        1 for e, _p in records if e["kind"] == "election.exception_granted"
    )
    count = summary.get("count")
    same = (
        count == last.get("count")
        and summary.get("sha256") == last.get("sha256")
        and summary.get("exceptions") == exceptions
        and all(
            isinstance(summary.get(key), dict) and sum(summary[key].values()) == count
            for key in ("by_organisation", "by_tier")
        )
    )
    if not same:
        report.problems.append(
            _(
                "{name}: its electorate differs from the one the log recorded (event {seq}: {count} people, "
                "SHA-256 {digest})",
                name=name,
                seq=last_event["seq"],
                count=last.get("count"),
                digest=last.get("sha256"),
            )
        )
        return
    report.checked.append(
        _("{folder}: electorate of {count} as the log recorded it", folder=folder, count=count)
    )


def _check_quorum_base(
    folder: str, settings: Mapping[str, Any], close: Mapping[str, Any], seq: int, report: Report
) -> None:
    """A quorum computed from the electorate (Debian's 3Q): the re-count's electorate is the one the close
    event recorded, and the frozen electorate's size when the election has one; so a bundle cannot
    re-count with a quorum base the signed log does not hold."""
    recorded = (close.get("count_options") or {}).get("electorate")
    used = ((settings.get("count") or {}).get("method_params") or {}).get("electorate")
    frozen = (settings.get("electorate") or {}).get("count")
    if recorded is None and used is None:
        return
    if used != recorded or (frozen is not None and recorded != frozen):
        report.problems.append(
            _(
                "{folder}: the count's quorum base is {used} people, the close (event {seq}) recorded "
                "{recorded} and the frozen electorate holds {frozen}",
                folder=folder,
                used=used,
                seq=seq,
                recorded=recorded,
                frozen=frozen if frozen is not None else "-",
            )
        )


def _check_blt(files: Mapping[str, bytes], blt_name: str, profile: tally.Profile, report: Report) -> None:
    """The optional ``ballots.blt`` holds the same ballots, withdrawals and candidates as ballots.csv."""
    try:
        blt = parse_blt(files[blt_name].decode(), path=blt_name)
    except tally.TallyInputError as exc:
        report.problems.append(_("{name}: unreadable ({error})", name=blt_name, error=exc))
        return
    same = (
        Counter(dict(zip(blt.rankings, blt.counts, strict=True)))
        == Counter(dict(zip(profile.rankings, profile.counts, strict=True)))
        and blt.withdrawn == profile.withdrawn
        and len(blt.candidates) == len(profile.candidates)
    )
    if not same:
        report.problems.append(_("{name}: its ballots differ from ballots.csv", name=blt_name))


def _check_ballots_and_seed(
    files: Mapping[str, bytes],
    folder: str,
    settings: Mapping[str, Any],
    profile: tally.Profile,
    contents: list[str],
    closed: Mapping[str, Any],
    report: Report,
) -> None:
    """The exported ballots are those the close event counted (number, then SHA-256), and the tie-break
    seed is the one derived from them, in the close, the count settings and any file that states one."""
    payload = json.loads(closed["payload"])
    count = settings["count"]
    digest = hashlib.sha256("\n".join(contents).encode()).hexdigest()
    seed = (
        ballot_seed(profile)
        if payload.get("seed_rule") == SEED_RULE
        else legacy_seed(settings["slug"], contents)  # a close from before seeds had a named rule
    )
    if payload.get("ballots") != len(contents):
        report.problems.append(
            _(
                "{folder}: the close (event {seq}) counted {counted} ballots, the export has {exported}",
                folder=folder,
                seq=closed["seq"],
                counted=payload.get("ballots"),
                exported=len(contents),
            )
        )
    elif payload.get("ballots_sha256", digest) != digest:
        report.problems.append(
            _(
                "{folder}: the ballots differ from those the close (event {seq}) counted (SHA-256)",
                folder=folder,
                seq=closed["seq"],
            )
        )
    if payload.get("seed") != seed or count.get("seed") != seed:
        report.problems.append(
            _("{folder}: the seed is not the one derived from the ballots ({seed})", folder=folder, seed=seed)
        )
    for name in (f"{folder}/ballots.csv", f"{folder}/ballots.blt"):
        stated = stated_seed(files.get(name, b"").decode(errors="replace"))
        if stated is not None and stated != count.get("seed"):
            report.problems.append(
                _(
                    "{name}: it states seed {stated}, the count used {seed}",
                    name=name,
                    stated=stated,
                    seed=count.get("seed"),
                )
            )
    report.checked.append(
        _("{folder}: tie-break seed {seed}, derived from the ballots", folder=folder, seed=seed)
    )


def _check_recount(
    stored: dict[str, Any],
    folder: str,
    settings: Mapping[str, Any],
    profile: tally.Profile,
    ballots: int,
    payload: Mapping[str, Any],
    report: Report,
) -> None:
    """Re-count the exported ballots (``ballots`` of them) with the recorded method, seats, seed and
    caps: the result must be the stored ``result.json``, whose elected must be the close event's."""
    count = settings["count"]
    caps_data = count.get("caps")
    caps = None
    if caps_data:  # per-group limits only when the count recorded some (older caps have none)
        extra = {"limits": caps_data["limits"]} if caps_data.get("limits") else {}
        caps = GroupCap(caps_data["groups"], int(caps_data["cap"]), caps_data.get("held", {}), **extra)
    try:
        recount = tally.count(
            settings["method"],
            profile,
            int(count["seats"]),
            seed=count["seed"],
            caps=caps,
            **(count.get("method_params") or {}),  # debian: default option, quorum, ratios
        )
    except tally.TallyInputError as exc:
        report.problems.append(
            _("{folder}: the ballots cannot be re-counted: {error}", folder=folder, error=exc)
        )
        return
    again = as_recorded(stored, json.loads(recount.dumps()))
    if again != stored:
        report.problems.append(
            _("{folder}: result mismatch — {diff}", folder=folder, diff=_diff(stored, again))
        )
    elif payload.get("elected") != stored.get("elected"):
        report.problems.append(
            _("{folder}: result.json's elected differ from the close event's", folder=folder)
        )
    elif stored["elected"]:
        report.checked.append(
            _(
                "{folder}: {n} ballots re-counted with {method}: elected {elected} (as recorded)",
                folder=folder,
                n=ballots,
                method=settings["method"],
                elected=", ".join(stored["elected"]),
            )
        )
    else:
        report.checked.append(
            _(
                "{folder}: {n} ballots re-counted with {method}: elected nobody (as recorded)",
                folder=folder,
                n=ballots,
                method=settings["method"],
            )
        )


def _check_election(
    files: Mapping[str, bytes], folder: str, events: list[dict[str, Any]], report: Report
) -> None:
    """One election's folder of a bundle: electorate, ballots (secret, same in the .blt), the close's
    figures, the seed and a re-count equal to the stored result."""
    settings = json.loads(files[f"{folder}/settings.json"])
    check_electorate(folder, settings, events, report)
    if _ballots_withheld(files, folder, settings, events, "election", report):
        return
    rows = read_ballots_csv(files.get(f"{folder}/ballots.csv", b"").decode())
    if settings.get("secret") and rows and "voter" in rows[0]:
        report.problems.append(
            _("{folder}/ballots.csv names voters, but the election is secret", folder=folder)
        )
    contents = sorted(r["ballot"] for r in rows)
    profile = election_profile(settings["count"], contents, settings.get("title", ""))
    if f"{folder}/ballots.blt" in files:
        _check_blt(files, f"{folder}/ballots.blt", profile, report)
    closed = [e for e in events if e["kind"] == "election.closed"]
    if not closed:
        report.checked.append(
            _("{folder}: not counted yet ({n} ballots exported)", folder=folder, n=len(rows))
        )
        return
    payload = json.loads(closed[-1]["payload"])
    report.problems += [
        f"{folder}: {p}" for p in ledger_rules.log_differences(events, "election", len(rows), payload)
    ]
    _check_quorum_base(folder, settings, payload, closed[-1]["seq"], report)
    _check_ballots_and_seed(files, folder, settings, profile, contents, closed[-1], report)
    stored_raw = files.get(f"{folder}/result.json")
    if stored_raw is None:
        report.problems.append(_("{folder}/result.json is missing", folder=folder))
        return
    _check_recount(json.loads(stored_raw), folder, settings, profile, len(contents), payload, report)


def _check_motion(
    files: Mapping[str, bytes], folder: str, events: list[dict[str, Any]], report: Report
) -> None:
    settings = json.loads(files[f"{folder}/settings.json"])
    if _ballots_withheld(files, folder, settings, events, "motion", report):
        return
    rows = read_ballots_csv(files.get(f"{folder}/ballots.csv", b"").decode())
    if settings.get("secret") and rows and "voter" in rows[0]:
        report.problems.append(
            _("{folder}/ballots.csv names voters, but the motion is secret", folder=folder)
        )
    close = ledger_rules.close_payload(events, "motion")
    if close is not None:
        report.problems += [
            f"{folder}: {p}" for p in ledger_rules.log_differences(events, "motion", len(rows), close)
        ]
    choices = Counter(json.loads(r["ballot"]) for r in rows)
    stored_raw = files.get(f"{folder}/result.json")
    if stored_raw is None:
        report.checked.append(
            _("{folder}: not decided yet ({n} ballots exported)", folder=folder, n=len(rows))
        )
        return
    stored = json.loads(stored_raw)
    counts = {k: choices.get(k, 0) for k in ("yes", "no", "abstain")}
    if {k: stored.get("counts", {}).get(k, 0) for k in counts} != counts:
        report.problems.append(
            _(
                "{folder}: result mismatch — counts recorded {recorded}, ballots give {counts}",
                folder=folder,
                recorded=stored.get("counts"),
                counts=counts,
            )
        )
        return
    closed = [e for e in events if e["kind"] == "motion.closed"]
    if closed and json.loads(closed[-1]["payload"]).get("result") != stored:
        report.problems.append(
            _(
                "{folder}: result.json differs from the close event (event {seq})",
                folder=folder,
                seq=closed[-1]["seq"],
            )
        )
        return
    if not settings.get("lazy_consensus"):
        again = count_motion(
            counts["yes"],
            counts["no"],
            counts["abstain"],
            seated=int(stored["seated"]),
            quorum=Fraction(stored["quorum"]),
            quorum_counts_abstentions=bool(stored["quorum_counts_abstentions"]),
            threshold=Fraction(stored["threshold"]),
            threshold_of=stored["threshold_of"],
            strict=stored.get("comparison") == ">",
        ).to_json()
        if again != stored:
            report.problems.append(
                _("{folder}: result mismatch — {diff}", folder=folder, diff=_diff(stored, again))
            )
            return
    if stored.get("passed"):
        checked = _(
            "{folder}: {n} ballots re-counted: passed (as recorded)", folder=folder, n=sum(counts.values())
        )
    else:
        checked = _(
            "{folder}: {n} ballots re-counted: did not pass (as recorded)",
            folder=folder,
            n=sum(counts.values()),
        )
    report.checked.append(checked)


def verify_files(files: Mapping[str, bytes], *, key: str | None = None, held: Sequence[bytes] = ()) -> Report:
    """Verify a bundle given as its files (see the module note); never raises on a bad bundle.

    ``key`` (the deployment's public key) and ``held`` (checkpoints kept from earlier) are given to the
    signed-checkpoint check (``governance.checkpoint_verify``).
    """
    report = Report()
    _check_manifest(files, report)
    _check_layout(files, report)
    try:
        heads = json.loads(files.get("heads.json", b"{}")).get("heads", {})
    except ValueError:
        report.problems.append(_("heads.json is not JSON"))
        heads = {}
    anchor_events = (
        _chain(files, "anchor.jsonl", chain.ANCHOR, heads, report) if "anchor.jsonl" in files else None
    )
    chains: dict[str, list[str]] = {}
    polls: list[tuple[str, str, list[dict[str, Any]]]] = []
    for name in sorted(files):
        folder, _sep, base = name.rpartition("/")
        if base == "events.jsonl" and folder:
            try:
                stream = json.loads(files[f"{folder}/settings.json"])["stream"]
            except (KeyError, ValueError):
                report.problems.append(_("{folder}/settings.json is missing or unreadable", folder=folder))
                continue
        elif folder == "streams" and base.endswith(".jsonl"):
            stream = base.removesuffix(".jsonl").replace("-", ":", 1)
        else:
            continue
        events = _chain(files, name, stream, heads, report)
        if events is None:
            continue
        chains[stream] = [e["hash"] for e in events]
        if folder != "streams":
            polls.append((folder, stream, events))
    if anchor_events is not None:
        entries = [
            (int(e["seq"]), json.loads(e["payload"])) for e in anchor_events if e["kind"] == "anchor.head"
        ]
        broken = chain.check_anchors(entries, chains, streams=list(chains))
        if broken is not None:
            report.problems.append(
                _(
                    "BROKEN at event {seq} of {stream}: {problem}",
                    seq=broken.broken_seq,
                    stream=broken.stream,
                    problem=broken.problem,
                )
            )
    for folder, stream, events in polls:
        try:
            if stream.startswith("election:"):
                _check_election(files, folder, events, report)
            else:
                _check_motion(files, folder, events, report)
        except (KeyError, ValueError, TypeError) as exc:
            report.problems.append(
                _(
                    "{folder}: malformed export ({kind}: {error})",
                    folder=folder,
                    kind=type(exc).__name__,
                    error=exc,
                )
            )
    if not report.heads and report.ok:
        report.problems.append(_("the bundle holds no audit chain"))
    signed = {**chains, **({chain.ANCHOR: [e["hash"] for e in anchor_events]} if anchor_events else {})}
    outcome = checkpoint_verify.check(files, signed, key=key, held=held)
    report.problems += outcome.problems
    report.checked += outcome.notes
    return report


def verify_bundle(path: Path, *, key: str | None = None, held: Sequence[bytes] = ()) -> Report:
    """Verify the bundle at ``path`` (a directory or a .zip); ``key`` and ``held`` as ``verify_files``."""
    try:
        files = read_bundle(path)
    except (OSError, zipfile.BadZipFile) as exc:
        return Report(problems=[_("cannot read {path}: {error}", path=path, error=exc)])
    return verify_files(files, key=key, held=held)
