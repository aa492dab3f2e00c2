"""Attachments on Discord: a reply's files (an audit export) go as ``discord.File`` on the interaction's
follow-up — a multipart upload that reaches the fake byte for byte, with the reply's privacy; a file over
the server's upload limit is left off and the answer says so."""

from __future__ import annotations

import dataclasses
import io
import zipfile
from typing import Any

import pytest

from bot.discord import client as discord_client
from bot.discord.delivery import deliver_due
from bot.present.replies import Attachment, Reply
from governance.services import bodies, elections, motions, roster
from tests.fakes.discord_harness import Running, slash

EPHEMERAL = 64


def attach(monkeypatch: pytest.MonkeyPatch, *files: Attachment) -> None:
    """Make the client's dispatcher add ``files`` to every reply (as ``audit export`` does)."""
    real = discord_client.dispatch

    async def dispatch(*args: Any, **kwargs: Any) -> Reply:
        return dataclasses.replace(await real(*args, **kwargs), attachments=files)

    monkeypatch.setattr(discord_client, "dispatch", dispatch)


async def test_attachment_is_uploaded_on_the_follow_up(bot: Running, monkeypatch: pytest.MonkeyPatch) -> None:
    bundle = Attachment("board-2027-audit.zip", bytes(range(256)) * 64, "application/zip", "Audit bundle")
    attach(monkeypatch, bundle)
    answered = await slash(bot, "sec", ["gov", "whoami"])
    assert answered.type == 5 and answered.ephemeral  # deferred, privately
    await bot.fake.wait_for(lambda: bot.fake.followups)
    followup = bot.fake.followups[-1]
    assert followup.files == [("board-2027-audit.zip", bundle.data)]
    assert followup.content.startswith("You are")
    assert int(followup.payload.get("flags") or 0) & EPHEMERAL
    assert followup.payload["attachments"][0]["filename"] == "board-2027-audit.zip"
    assert followup.payload["attachments"][0]["description"] == "Audit bundle"


async def test_a_file_over_the_upload_limit_is_left_off_with_a_note(
    bot: Running, monkeypatch: pytest.MonkeyPatch
) -> None:
    huge = Attachment("huge.zip", b"\0" * (10 * 1024 * 1024 + 1), "application/zip")
    small = Attachment("small.csv", b"a,b\n1,2\n", "text/csv")
    attach(monkeypatch, huge, small)
    await slash(bot, "sec", ["gov", "whoami"])
    await bot.fake.wait_for(lambda: bot.fake.followups)
    followup = bot.fake.followups[-1]
    assert followup.files == [("small.csv", small.data)]
    assert "huge.zip: larger than this server's upload limit" in followup.content


async def test_a_reply_without_attachments_is_answered_directly(bot: Running) -> None:
    answered = await slash(bot, "sec", ["gov", "whoami"])
    assert answered.type == 4 and answered.files == []
    assert answered.content.startswith("You are")
    assert not bot.fake.followups


async def test_audit_export_arrives_as_a_zip_on_the_follow_up(bot: Running) -> None:
    answered = await slash(bot, "sec", ["audit", "export"], subject="board-2027")
    assert answered.type == 5 and answered.ephemeral  # deferred before the bundle is packed
    await bot.fake.wait_for(lambda: bot.fake.followups)
    followup = bot.fake.followups[-1]
    assert followup.content.startswith("Audit export of election:board-2027 (zip)")
    [(name, data)] = followup.files
    assert name == "govbot-audit-election-board-2027.zip"
    with zipfile.ZipFile(io.BytesIO(data)) as bundle:
        assert bundle.testzip() is None
        assert any(n.endswith("heads.json") for n in bundle.namelist())


async def test_audit_export_is_refused_to_a_member_without_a_file(bot: Running) -> None:
    answered = await slash(bot, "alice", ["audit", "export"], subject="board-2027")
    await bot.fake.wait_for(lambda: bot.fake.followups or answered.type == 4)
    sent = bot.fake.followups[-1] if bot.fake.followups else answered
    assert "Only the secretariat" in sent.text
    assert all(not f.files for f in bot.fake.followups) and answered.files == []


async def test_results_are_posted_with_their_charts(bot: Running) -> None:
    """Election and motion results go to the body's channel with their chart PNGs attached; the
    election's first chart is the image of its result embed."""
    fake, ctx = bot.fake, bot.ctx
    await deliver_due(bot.client, ctx, guild_id=fake.guild_id)
    sec = await roster.actor_for_handle(ctx, "sec")
    await bodies.create_body(ctx, sec, "council", "Council", "committee", channel="#toc")
    for handle in ("alice", "bea", "chen"):
        await bodies.seat(ctx, sec, "council", handle)
    await elections.create_election(
        ctx, sec, "council", "council-chair", "Council chair", seats=1, method="irv"
    )
    await elections.open_nominations(ctx, sec, "council-chair")
    for handle in ("alice", "chen"):
        await elections.nominate(ctx, await roster.actor_for_handle(ctx, handle), "council-chair")
    await elections.open_voting(ctx, sec, "council-chair")
    for voter, ranking in (("alice", ["alice"]), ("bea", ["chen", "alice"]), ("chen", ["chen"])):
        await elections.cast_ballot(ctx, await roster.actor_for_handle(ctx, voter), "council-chair", ranking)
    await elections.close(ctx, sec, "council-chair")
    motion = await motions.propose(ctx, await roster.actor_for_handle(ctx, "alice"), "council", "Adopt it")
    for voter in ("alice", "bea"):
        await motions.vote(ctx, await roster.actor_for_handle(ctx, voter), str(motion.id), "yes")
    await motions.close(ctx, sec, str(motion.id))
    report = await deliver_due(bot.client, ctx, guild_id=fake.guild_id)
    assert not report.failed
    toc = fake.in_channel("810000000000000003")
    [result] = [m for m in toc if m.content.startswith("Result of Council chair")]
    [(name, data)] = result.files
    assert name.startswith("council-chair-") and data.startswith(b"\x89PNG")
    assert result.payload["embeds"][0]["image"]["url"] == f"attachment://{name}"
    [decided] = [m for m in toc if m.content.startswith(f"Motion M{motion.id} (Adopt it)")]
    assert [n for n, _ in decided.files] == [f"motion-{motion.id}-motion.png"]
