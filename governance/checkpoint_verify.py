"""Check signed checkpoints against a bundle's chains: no database, no network, no trust in the bot.

For every checkpoint (a bundle's ``checkpoints.jsonl``, and any the verifier holds from earlier):

1. its hash is the SHA-256 of its signed body, and the bundle's checkpoints follow one another
   (``seq``, and ``prev`` naming the previous one's hash);
2. its signature verifies with the deployment key: the one the verifier gives (``--key``), else the
   key pinned in the bundle (``deployment.pub``) — which proves only that the bundle agrees with itself,
   as whoever rewrote the bundle could have replaced the key too (said as a warning);
3. every head it signed is in the bundle's chains at the place it names: the chains the bundle holds
   extend what was signed. A rewritten, deleted or inserted event anywhere before a signed head changes
   the hash at that place, so a forgery consistent with itself is caught by the key or by a checkpoint
   held from before it;
4. each monitor co-signature verifies with the monitor's public key.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from governance import chain, signing
from governance.i18n import _

FILE = "checkpoints.jsonl"
KEY_FILE = "deployment.pub"


@dataclass
class Outcome:
    """What the checkpoint check found: problems (empty when all hold) and lines for the report."""

    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def parse_items(data: bytes) -> list[dict[str, Any]]:
    """Published checkpoints from a file: one JSON object, a JSON list, or JSON lines.

    Raises ``ValueError`` when the file holds none.
    """
    text = data.decode("utf-8").strip()
    if not text:
        raise ValueError("empty")
    try:
        whole = json.loads(text)
    except ValueError:  # JSON lines
        whole = [json.loads(line) for line in text.splitlines() if line.strip()]
    items = whole if isinstance(whole, list) else [whole]
    if not all(isinstance(i, dict) and isinstance(i.get("body"), str) for i in items):
        raise ValueError("not a checkpoint")
    return list(items)


def _kid(public: str) -> str:
    try:
        return signing.key_id(public)
    except ValueError:
        return "?"


def _key_lines(data: bytes) -> list[str]:
    return [line.strip().lower() for line in data.decode("ascii", "replace").splitlines() if line.strip()]


def _consistent(
    name: str, body: Mapping[str, Any], chains: Mapping[str, Sequence[str]], *, may_be_newer: bool
) -> list[str]:
    """The signed heads that the chains do not extend, as problems (none when every one is in place)."""
    signed = dict(body.get("heads", {}))
    signed[chain.ANCHOR] = body.get("anchor", {"seq": 0, "hash": chain.GENESIS})
    problems = []
    for stream, head in sorted(signed.items()):
        hashes = chains.get(stream)
        seq, digest = int(head["seq"]), str(head["hash"])
        if hashes is None or seq == 0:
            continue  # a stream this bundle does not carry (another poll's)
        if seq > len(hashes):
            if may_be_newer:
                continue
            problems.append(
                _(
                    "{name}: it signed event {seq} of {stream}, but the bundle holds only {count}: events "
                    "were deleted after it was signed.",
                    name=name,
                    seq=seq,
                    stream=stream,
                    count=len(hashes),
                )
            )
        elif hashes[seq - 1] != digest:
            problems.append(
                _(
                    "{name}: event {seq} of {stream} is not the one it signed: the log was rewritten after "
                    "{at}.",
                    name=name,
                    seq=seq,
                    stream=stream,
                    at=body.get("at", "?"),
                )
            )
    return problems


def _check_one(
    item: Mapping[str, Any],
    name: str,
    chains: Mapping[str, Sequence[str]],
    trusted: Sequence[str],
    out: Outcome,
    *,
    may_be_newer: bool = False,
) -> dict[str, Any] | None:
    """Check one published checkpoint; its parsed body when its hash and signature hold."""
    raw = str(item.get("body", ""))
    try:
        body = json.loads(raw)
    except ValueError:
        out.problems.append(_("{name}: its body is not JSON.", name=name))
        return None
    if hashlib.sha256(raw.encode("utf-8")).hexdigest() != item.get("hash"):
        out.problems.append(_("{name}: its hash is not the SHA-256 of its body (changed).", name=name))
        return None
    if not any(signing.verify(key, raw.encode("utf-8"), str(item.get("signature", ""))) for key in trusted):
        out.problems.append(
            _(
                "{name}: its signature does not verify with key {key_id} (signed by another key, or "
                "changed).",
                name=name,
                key_id=", ".join(_kid(k) for k in trusted) or "-",
            )
        )
        return None
    for cosign in item.get("cosignatures", []):
        if not signing.verify(
            str(cosign.get("public_key", "")), raw.encode("utf-8"), str(cosign.get("signature", ""))
        ):
            out.problems.append(
                _(
                    "{name}: the co-signature of monitor {monitor} does not verify.",
                    name=name,
                    monitor=cosign.get("monitor", "?"),
                )
            )
    out.problems += _consistent(name, body, chains, may_be_newer=may_be_newer)
    return dict(body)


def check(
    files: Mapping[str, bytes],
    chains: Mapping[str, Sequence[str]],
    *,
    key: str | None = None,
    held: Sequence[bytes] = (),
) -> Outcome:
    """Check a bundle's checkpoints (and ``held`` ones) against ``chains`` (stream -> event hashes).

    ``key`` is the deployment's public key (hex) the verifier trusts; without it the bundle's pinned
    key is used and a note says what that does not prove.
    """
    out = Outcome()
    if FILE not in files:
        out.problems.append(_("{file} is missing: the bundle carries no signed checkpoint.", file=FILE))
        return out
    pinned = _key_lines(files.get(KEY_FILE, b""))
    if key is not None:
        trusted = [key]
    else:
        trusted = pinned
        out.notes.append(
            _(
                "warning: checkpoints checked with the key pinned in the bundle ({key_id}); that proves "
                "nothing alone. Give --key with the deployment's published public key.",
                key_id=", ".join(_kid(k) for k in pinned) or "-",
            )
        )
    try:
        items = parse_items(files[FILE])
    except ValueError:
        out.problems.append(_("{file} holds no checkpoint.", file=FILE))
        return out
    known: dict[int, str] = {}
    previous = chain.GENESIS
    for place, item in enumerate(items, start=1):
        body = _check_one(item, _("checkpoint {seq}", seq=place), chains, trusted, out)
        if body is None:
            previous = str(item.get("hash", ""))
            continue
        if body.get("seq") != place or body.get("prev") != previous:
            out.problems.append(
                _(
                    "checkpoint {seq}: it does not follow checkpoint {before} (checkpoints removed or "
                    "reordered).",
                    seq=place,
                    before=place - 1,
                )
            )
        known[int(body["seq"])] = str(item["hash"])
        previous = str(item["hash"])
    for number, data in enumerate(held, start=1):
        try:
            held_items = parse_items(data)
        except ValueError:
            out.problems.append(_("held checkpoint {n}: not a published checkpoint.", n=number))
            continue
        for item in held_items:
            name = _("held checkpoint {n}", n=number)
            own = str(item.get("public_key", ""))
            if key is None and own not in pinned:
                out.problems.append(
                    _(
                        "{name}: it was signed by key {key_id}, which the bundle does not pin (the bundle's "
                        "key was replaced).",
                        name=name,
                        key_id=_kid(own),
                    )
                )
            # You hold it from the deployment: its own key checks it unless you give the key yourself.
            body = _check_one(item, name, chains, [key] if key else [own], out, may_be_newer=True)
            if body is None:
                continue
            seq = int(body.get("seq", 0))
            if seq in known and known[seq] != item.get("hash"):
                out.problems.append(
                    _(
                        "{name}: the bundle's checkpoint {seq} differs from it (checkpoints re-signed).",
                        name=name,
                        seq=seq,
                    )
                )
            else:
                out.notes.append(
                    _("{name} (checkpoint {seq}, {at}) is consistent.", name=name, seq=seq, at=body.get("at"))
                )
    if not out.problems:
        cosigned = sum(len(i.get("cosignatures", [])) for i in items)
        out.notes.append(
            _(
                "{n} signed checkpoint(s) verify with key {key_id} and every head they signed is in the "
                "chains ({cosigned} monitor co-signature(s)).",
                n=len(items),
                key_id=", ".join(_kid(k) for k in trusted) or "-",
                cosigned=cosigned,
            )
        )
    return out
