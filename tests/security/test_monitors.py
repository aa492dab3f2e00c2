"""Election monitors: named by admins before the close, read-only on a poll, co-signing its close
checkpoint with their own keys; a policy's k co-signatures gate certification, naming the rule."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Awaitable
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.commands import dispatch
from governance import export, seed, signing
from governance.clock import ManualClock
from governance.errors import Conflict, Forbidden, GovError, InvalidInput
from governance.policies import load_policy
from governance.policies.base import BodyFacts
from governance.services import elections, monitors
from governance.services.common import Actor, Context
from governance.verify import verify_files
from tests.factories import as_, events, snapshot

SYSTEM = Actor.system("setup")
SLUG = "board-2027"


def monitored_policy(tmp_path: Path, k: int) -> str:
    """The alliance charter, except that certifying an election needs ``k`` monitor co-signatures."""
    path = tmp_path / f"monitored{k}.py"
    path.write_text(
        "import dataclasses\n"
        "from governance.policies.alliance import *  # noqa: F403\n"
        "from governance.policies import alliance as _base\n"
        f"NAME = 'monitored{k}'\nVERSION = '0.1'\n"
        "def election_rules(body):\n"
        f"    return dataclasses.replace(_base.election_rules(body), monitor_signatures={k})\n"
    )
    return str(path)


async def refused(
    ctx: Context, error: type[GovError], call: Awaitable[Any], rule: str | None = None
) -> GovError:
    """Run ``call``, expect ``error`` (with ``rule``), and check nothing at all was written."""
    before = await snapshot(ctx)
    with pytest.raises(error) as caught:
        await call
    assert await snapshot(ctx) == before, "a refused request changed something"
    if rule is not None:
        assert getattr(caught.value, "rule", None) == rule
    return caught.value


async def test_k_monitor_cosignatures_gate_certification(
    ctx: Context, clock: ManualClock, tmp_path: Path
) -> None:
    ctx = dataclasses.replace(ctx, default_policy=monitored_policy(tmp_path, 2))
    await seed.seed(ctx)
    sec, keys = await as_(ctx, "sec"), {h: signing.generate() for h in ("bea", "carlos")}
    for handle, key in keys.items():
        await monitors.add_monitor(ctx, sec, SLUG, handle, signing.public_hex(key))
    added = [e for e in await events(ctx, f"election:{SLUG}") if e.kind == "election.monitor_added"]
    assert [json.loads(e.payload)["monitor"] for e in added] == ["bea", "carlos"]  # audited
    # refusals name their rule and change nothing
    other = signing.public_hex(signing.generate())
    await refused(
        ctx,
        Forbidden,
        monitors.add_monitor(ctx, await as_(ctx, "alice"), SLUG, "dana", other),
        "monitor.admin_only",
    )
    await refused(ctx, Forbidden, monitors.add_monitor(ctx, sec, SLUG, "chen", other), "monitor.candidate")
    await refused(ctx, Conflict, monitors.add_monitor(ctx, sec, SLUG, "bea", other))
    await refused(ctx, InvalidInput, monitors.add_monitor(ctx, sec, SLUG, "alice", "12ab"))
    no_close = monitors.cosign(ctx, await as_(ctx, "bea"), SLUG, "00" * 64)
    await refused(ctx, Conflict, no_close)  # nothing to co-sign before the close
    await elections.open_voting(ctx, SYSTEM, SLUG, clock.now() + timedelta(days=7))
    await elections.cast_ballot(ctx, await as_(ctx, "alice"), SLUG, ["chen", "arjun"])
    await elections.close(ctx, SYSTEM, SLUG)
    await refused(
        ctx, Forbidden, monitors.add_monitor(ctx, sec, SLUG, "alice", other), "monitor.added_after_close"
    )
    error = await refused(ctx, Forbidden, elections.certify(ctx, sec, SLUG), "monitor_signatures")
    assert "needs 2 monitor co-signature(s)" in error.message and "it has 0" in error.message

    _election, checkpoint = await monitors.close_checkpoint(ctx, SLUG)
    body = checkpoint.body.encode()
    bea = await as_(ctx, "bea")
    await refused(ctx, InvalidInput, monitors.cosign(ctx, bea, SLUG, signing.sign(keys["carlos"], body)))
    await refused(
        ctx,
        Forbidden,
        monitors.cosign(ctx, await as_(ctx, "alice"), SLUG, signing.sign(keys["bea"], body)),
        "monitor.not_a_monitor",
    )
    _found, count = await monitors.cosign(ctx, bea, SLUG, signing.sign(keys["bea"], body))
    assert count == 1
    await refused(ctx, Conflict, monitors.cosign(ctx, bea, SLUG, signing.sign(keys["bea"], body)))
    await refused(ctx, Forbidden, elections.certify(ctx, sec, SLUG), "monitor_signatures")
    await monitors.cosign(ctx, await as_(ctx, "carlos"), SLUG, signing.sign(keys["carlos"], body))
    certified = await elections.certify(ctx, sec, SLUG)
    assert certified.phase == "certified"
    # the co-signatures travel in the bundle and verify there
    files = await export.export_bundle(ctx, sec, export.parse_subject(SLUG))
    report = verify_files(files, key=signing.public_hex(ctx.deployment_key()))
    assert report.ok, report.problems
    assert any("(2 monitor co-signature(s))" in line for line in report.checked)
    line = next(
        json.loads(x)
        for x in files["checkpoints.jsonl"].splitlines()
        if json.loads(x)["hash"] == checkpoint.hash
    )
    assert sorted(c["monitor"] for c in line["cosignatures"]) == ["bea", "carlos"]


async def test_monitor_status_is_read_only_and_names_no_choice(ctx: Context, clock: ManualClock) -> None:
    await seed.seed(ctx)
    sec = await as_(ctx, "sec")
    key = signing.generate()
    tz = ZoneInfo("UTC")
    reply = await dispatch(ctx, sec, f"election monitor add {SLUG} bea {signing.public_hex(key)}", tz=tz)
    assert reply.ok, reply.text
    await elections.open_voting(ctx, SYSTEM, SLUG, clock.now() + timedelta(days=7))
    await elections.cast_ballot(ctx, await as_(ctx, "alice"), SLUG, ["farid", "arjun"])
    bea = await as_(ctx, "bea")
    before = await snapshot(ctx)
    reply = await dispatch(ctx, bea, f"election monitor status {SLUG}", tz=tz)
    assert reply.ok and "1 voter(s) so far" in reply.text and "No close checkpoint yet" in reply.text
    assert "farid" not in reply.text and "alice" not in reply.text  # never who chose what
    refused_reply = await dispatch(ctx, await as_(ctx, "alice"), f"election monitor status {SLUG}", tz=tz)
    assert not refused_reply.ok and "not a monitor" in refused_reply.text
    assert await snapshot(ctx) == before
    await elections.close(ctx, SYSTEM, SLUG)
    reply = await dispatch(ctx, bea, f"election monitor checkpoint {SLUG}", tz=tz)
    assert reply.ok and reply.attachments[0].filename == f"checkpoint-{SLUG}.json"
    item = json.loads(reply.attachments[0].data)
    signature = signing.sign(key, item["body"].encode())
    reply = await dispatch(ctx, bea, f"election monitor cosign {SLUG} {signature}", tz=tz)
    assert reply.ok and "1 so far" in reply.text, reply.text
    reply = await dispatch(ctx, bea, f"election monitor status {SLUG}", tz=tz)
    assert "co-signed by bea" in reply.text


def test_monitor_signatures_is_validated(tmp_path: Path) -> None:
    policy = load_policy(monitored_policy(tmp_path, 0))
    assert policy.election_rules(BodyFacts("board", "Board", "board")).monitor_signatures == 0
    with pytest.raises(GovError) as caught:
        load_policy(monitored_policy(tmp_path, -1))
    assert "monitor_signatures" in str(caught.value)
