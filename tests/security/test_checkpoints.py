"""Signed checkpoints, as an outsider would attack them: a log edited and everything rehashed after it
(stream, anchor, heads, manifest) passes every hash check, and is caught by the deployment's public key
or by a checkpoint held from before the edit."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat
from sqlalchemy import select

from bot.cli import main as cli_main
from governance import audit, export, seed, signing
from governance.checkpoint_verify import parse_items
from governance.clock import ManualClock
from governance.models import Checkpoint, OutboxMessage
from governance.services import elections, motions, roster, scheduling
from governance.services.common import Actor, Context
from governance.verify import verify_files
from tests.factories import bundle
from tests.fakes.notices import notice_text

SYSTEM = Actor.system("setup")
STREAM = "election:board-2027"
EVENTS = "election-board-2027/events.jsonl"
RANKINGS = {"alice": ["chen", "arjun"], "bea": ["farid"], "carlos": ["chen", "dana"], "dana": ["dana"]}


async def closed_election(ctx: Context, clock: ManualClock) -> None:
    await seed.seed(ctx)
    await elections.open_voting(ctx, SYSTEM, "board-2027", clock.now() + timedelta(days=7))
    for handle, ranking in RANKINGS.items():
        await elections.cast_ballot(ctx, await roster.actor_for_handle(ctx, handle), "board-2027", ranking)
    await elections.close(ctx, SYSTEM, "board-2027")


def _lines(data: bytes) -> list[dict[str, Any]]:
    return [json.loads(line) for line in data.splitlines() if line.strip()]


def _write(events: list[dict[str, Any]]) -> bytes:
    return "".join(
        export.event_line(
            e["stream"],
            e["seq"],
            e["at"],
            e["actor"],
            e["kind"],
            e["subject"],
            e["payload"],
            e["prev"],
            e["hash"],
        )
        for e in events
    ).encode()


def _rechain(events: list[dict[str, Any]]) -> None:
    prev = audit.GENESIS
    for e in events:
        e["prev"] = prev
        e["hash"] = audit.event_hash_text(
            prev, e["stream"], e["seq"], e["at"], e["actor"], e["kind"], e["subject"], e["payload"]
        )
        prev = e["hash"]


def forge(files: dict[str, bytes]) -> tuple[dict[str, bytes], dict[str, list[str]]]:
    """Edit the election's first event, then rehash everything after it as a careful forger would: the
    stream, the anchor's records of it, the anchor, heads.json and the manifest. Returns the forged
    bundle and its chains (stream -> hashes)."""
    events = _lines(files[EVENTS])
    payload = json.loads(events[0]["payload"])
    payload["title"] = "Board 2027 (amended)"
    events[0]["payload"] = audit.canonical_json(payload)
    _rechain(events)
    anchor = _lines(files["anchor.jsonl"])
    for e in anchor:
        entry = json.loads(e["payload"])
        if entry["stream"] == STREAM:
            entry["hash"] = events[entry["seq"] - 1]["hash"]
            e["payload"] = audit.canonical_json(entry)
    _rechain(anchor)
    heads = json.loads(files["heads.json"])
    heads["heads"][STREAM] = {"seq": events[-1]["seq"], "hash": events[-1]["hash"]}
    heads["heads"][audit.ANCHOR] = {"seq": anchor[-1]["seq"], "hash": anchor[-1]["hash"]}
    out = {k: v for k, v in files.items() if k != "manifest.json"}
    out[EVENTS], out["anchor.jsonl"] = _write(events), _write(anchor)
    out["heads.json"] = json.dumps(heads).encode()
    chains = {STREAM: [e["hash"] for e in events], audit.ANCHOR: [e["hash"] for e in anchor]}
    return export.with_manifest(out), chains


def resign(files: dict[str, bytes], chains: dict[str, list[str]], key: Ed25519PrivateKey) -> dict[str, bytes]:
    """The forger's last step: re-sign every checkpoint over the forged heads with a key of their own."""
    public, prev, lines = signing.public_hex(key), audit.GENESIS, []
    for item in parse_items(files["checkpoints.jsonl"]):
        body = json.loads(item["body"])
        for stream, head in [*body["heads"].items(), (audit.ANCHOR, body["anchor"])]:
            if stream in chains and head["seq"]:
                head["hash"] = chains[stream][head["seq"] - 1]
        body.update(prev=prev, key_id=signing.key_id(public))
        text = audit.canonical_json(body)
        prev = audit_hash = hashlib.sha256(text.encode()).hexdigest()
        signed = {"body": text, "hash": audit_hash, "signature": signing.sign(key, text.encode())}
        lines.append(audit.canonical_json({**signed, "public_key": public, "cosignatures": []}) + "\n")
    out = {k: v for k, v in files.items() if k != "manifest.json"}
    out["checkpoints.jsonl"] = "".join(lines).encode()
    out["deployment.pub"] = f"{public}\n".encode()
    return export.with_manifest(out)


async def test_close_and_certify_sign_checkpoints_that_verify(ctx: Context, clock: ManualClock) -> None:
    await closed_election(ctx, clock)
    await elections.certify(ctx, SYSTEM, "board-2027")
    public = signing.public_hex(ctx.deployment_key())
    async with ctx.db.reading() as session:
        made = list((await session.execute(select(Checkpoint).order_by(Checkpoint.seq))).scalars())
        head = await session.get(audit.AuditHead, STREAM)
        notices = list(
            (
                await session.execute(
                    select(OutboxMessage)
                    .where(OutboxMessage.kind == "audit.checkpoint")
                    .order_by(OutboxMessage.id)
                )
            ).scalars()
        )
    assert [(c.seq, c.reason, c.subject) for c in made] == [
        (1, "election.closed", STREAM),
        (2, "election.certified", STREAM),
    ]
    for checkpoint in made:
        assert checkpoint.public_key == public and checkpoint.key_id == signing.key_id(public)
        assert signing.verify(public, checkpoint.body.encode(), checkpoint.signature)
    signed = json.loads(made[1].body)
    assert head is not None and signed["heads"][STREAM] == {"seq": head.seq, "hash": head.hash}
    assert json.loads(made[1].body)["prev"] == made[0].hash
    # the body's channel is told each checkpoint's hash, in the transaction of the decision
    assert [json.loads(n.payload)["hash"] for n in notices] == [c.hash for c in made]
    assert all(n.body_id is not None and c.hash in notice_text(n) for n, c in zip(notices, made, strict=True))
    # a decided motion is checkpointed too
    m = await motions.propose(ctx, await roster.actor_for_handle(ctx, "alice"), "toc", "Adopt the licence")
    await motions.close(ctx, await roster.actor_for_handle(ctx, "sec"), m.id or 0)
    async with ctx.db.reading() as session:
        last = (await session.execute(select(Checkpoint).order_by(Checkpoint.seq.desc()))).scalars().first()
    assert last is not None and (last.reason, last.subject) == ("motion.closed", f"motion:{m.id}")


async def test_a_consistent_forgery_passes_the_hashes_and_fails_on_the_signed_checkpoint(
    ctx: Context, clock: ManualClock
) -> None:
    await closed_election(ctx, clock)
    files = await bundle(ctx)
    public = signing.public_hex(ctx.deployment_key())
    assert verify_files(files, key=public).ok, verify_files(files, key=public).problems
    forged, chains = forge(files)
    problems = verify_files(forged, key=public).problems
    assert problems, "the forgery went unnoticed"
    # every hash check passes: only the signed checkpoints catch it, and they say which and where
    assert all(p.startswith("checkpoint ") for p in problems), problems
    assert any(
        re.search(rf"^checkpoint \d: event \d+ of {STREAM} is not the one it signed", p) for p in problems
    )
    # the forger re-signs the checkpoints with a key of their own and pins it in the bundle ...
    resigned = resign(forged, chains, signing.generate())
    alone = verify_files(resigned)
    assert alone.ok, alone.problems  # ... which the bundle alone cannot show, and says so
    assert any(line.startswith("warning: checkpoints checked with the key pinned") for line in alone.checked)
    # ... but the deployment's published key fails it, naming the checkpoint
    problems = verify_files(resigned, key=public).problems
    assert problems and problems[0].startswith("checkpoint 1: its signature does not verify with key")


async def test_an_earlier_checkpoint_catches_a_rewrite(ctx: Context, clock: ManualClock) -> None:
    await closed_election(ctx, clock)
    files = await bundle(ctx)
    held = parse_items(files["checkpoints.jsonl"])[0]  # kept by a member from the close's message
    held_bytes = json.dumps(held).encode()
    assert verify_files(files, held=[held_bytes]).ok
    forged, chains = forge(files)
    resigned = resign(forged, chains, signing.generate())
    problems = verify_files(resigned, held=[held_bytes]).problems
    assert any(p.startswith("held checkpoint 1: it was signed by key") for p in problems), problems
    assert any(
        re.search(rf"^held checkpoint 1: event \d+ of {STREAM} is not the one it signed", p) for p in problems
    )


async def test_a_wrong_key_fails_and_a_missing_checkpoint_file_is_named(
    ctx: Context, clock: ManualClock
) -> None:
    await closed_election(ctx, clock)
    files = await bundle(ctx)
    other = signing.public_hex(signing.generate())
    problems = verify_files(files, key=other).problems
    assert problems and all("its signature does not verify with key" in p for p in problems), problems
    cut = export.with_manifest(
        {k: v for k, v in files.items() if k not in ("manifest.json", "checkpoints.jsonl")}
    )
    assert verify_files(cut).problems == [
        "checkpoints.jsonl is missing: the bundle carries no signed checkpoint."
    ]


async def test_periodic_checkpoints_only_when_heads_moved(ctx: Context, clock: ManualClock) -> None:
    await closed_election(ctx, clock)
    await scheduling.seal_pending(ctx)  # anchors the other streams; the close checkpoint is under an hour old
    clock.advance(timedelta(hours=2))
    await scheduling.seal_pending(ctx)  # the anchor moved: signed
    await roster.add_person(ctx, SYSTEM, "zoe", "Zoe Z")
    await scheduling.seal_pending(ctx)  # moved, but within the hour
    clock.advance(timedelta(hours=2))
    await scheduling.seal_pending(ctx)  # signed
    clock.advance(timedelta(hours=2))
    await scheduling.seal_pending(ctx)  # nothing moved
    async with ctx.db.reading() as session:
        reasons = [
            c.reason for c in (await session.execute(select(Checkpoint).order_by(Checkpoint.seq))).scalars()
        ]
    assert reasons == ["election.closed", "periodic", "periodic"]


def test_cli_keygen_cosign_and_verify_with_key(tmp_path: Path) -> None:
    """A monitor's key pair and co-signature, made offline by the CLI; no database involved."""
    assert cli_main(["audit", "keygen", "--out", str(tmp_path / "farid")]) == 0
    private, public_file = tmp_path / "farid.key", tmp_path / "farid.pub"
    assert private.stat().st_mode & 0o077 == 0  # readable by its owner only
    assert cli_main(["audit", "keygen", "--out", str(tmp_path / "farid")]) == 1  # never overwritten
    deployment = signing.generate()
    body = audit.canonical_json({"format": "govbot-checkpoint/1", "seq": 1, "subject": STREAM})
    item = {"body": body, "hash": "x", "signature": signing.sign(deployment, body.encode())}
    (tmp_path / "checkpoint.json").write_text(json.dumps(item))
    assert cli_main(["audit", "cosign", str(tmp_path / "checkpoint.json"), "--key", str(private)]) == 0
    key = signing.read_private_key(private)
    assert signing.public_hex(key) == public_file.read_text().strip()


async def test_cli_verify_takes_the_key_and_a_held_checkpoint(
    ctx: Context, clock: ManualClock, tmp_path: Path, capsys: Any
) -> None:
    await closed_election(ctx, clock)
    files = await bundle(ctx)
    export.write_bundle(files, tmp_path / "b.zip")
    (tmp_path / "deployment.pub").write_bytes(files["deployment.pub"])
    (tmp_path / "held.json").write_text(json.dumps(parse_items(files["checkpoints.jsonl"])[0]))
    path = str(tmp_path / "b.zip")
    assert cli_main(["audit", "verify", path, "--key", str(tmp_path / "deployment.pub")]) == 0
    assert cli_main(["audit", "verify", path, "--checkpoint", str(tmp_path / "held.json")]) == 0
    assert "held checkpoint 1 (checkpoint 1" in capsys.readouterr().out
    wrong = signing.public_hex(signing.generate())
    assert cli_main(["audit", "verify", path, "--key", wrong]) == 1
    assert cli_main(["audit", "verify", path, "--key", "not-a-key"]) == 2


async def test_the_private_key_is_in_no_bundle_site_message_or_event(
    ctx: Context, clock: ManualClock, tmp_path: Path
) -> None:
    from bot.publish import publish

    key = signing.generate()
    ctx = dataclasses.replace(ctx, signing_key=key)
    await closed_election(ctx, clock)
    await elections.certify(ctx, SYSTEM, "board-2027")
    raw = key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    pem = signing.private_pem(key)
    secrets = [
        raw,
        raw.hex().encode(),
        base64.b64encode(raw),
        *[line for line in pem.splitlines() if b"-" not in line],
    ]
    published: dict[str, bytes] = dict(await bundle(ctx, "all"))
    await publish(ctx, tmp_path / "site")
    published |= {str(p): p.read_bytes() for p in (tmp_path / "site").rglob("*") if p.is_file()}
    async with ctx.db.reading() as session:
        for row in (await session.execute(select(OutboxMessage))).scalars():
            published[f"outbox {row.id}"] = f"{row.text}{row.payload}".encode()
    assert (tmp_path / "site" / "deployment.pub").read_text() == signing.public_hex(key) + "\n"
    assert json.loads((tmp_path / "site" / "checkpoints.json").read_text())[0][
        "public_key"
    ] == signing.public_hex(key)
    assert published["deployment.pub"] == (signing.public_hex(key) + "\n").encode()
    for name, data in published.items():
        for secret in secrets:
            assert secret not in data, f"the private key is in {name}"


def test_the_deployment_key_is_generated_once_into_a_private_file(tmp_path: Path, monkeypatch: Any) -> None:
    from bot.config import Settings

    monkeypatch.delenv("GOVBOT_SECRET", raising=False)
    settings = Settings(_env_file=None, GOVBOT_SECRET_FILE=tmp_path / "govbot.secret")  # type: ignore[call-arg]
    first = settings.signing_key()
    assert first is not None and (tmp_path / "govbot.signing.key").stat().st_mode & 0o077 == 0
    again = settings.signing_key()
    assert again is not None and signing.public_hex(again) == signing.public_hex(first)
    given = Settings(_env_file=None, GOVBOT_SECRET="s3cret")  # type: ignore[call-arg]
    assert given.signing_key() is None  # derived from the given secret (Context.deployment_key)
