"""Files on Slack: a reply's attachments reach the person's DM through the external upload flow
(``files.getUploadURLExternal``, the upload, ``files.completeUploadExternal``) with their exact bytes; a
refused upload is reported privately and shares nothing."""

from __future__ import annotations

import dataclasses
import io
import json
import zipfile
from zoneinfo import ZoneInfo

import pytest
from slack_sdk.errors import SlackApiError

from bot.commands import dispatch
from bot.present.replies import Attachment, Reply
from bot.slack import files
from bot.slack.render import reply_blocks
from governance.services.common import Actor
from tests.fakes.slack_harness import USERS, SlackHarness

BUNDLE = Attachment("board-2027-audit.zip", bytes(range(256)) * 40, "application/zip", "Audit bundle")


def _with_bundle(slack: SlackHarness) -> None:
    """Make every command's reply carry BUNDLE (as ``audit export`` does), through the real dispatcher."""

    async def run_command(actor: Actor, text: str, locale: str | None = None) -> Reply:
        reply = await dispatch(slack.ctx, actor, text, tz=ZoneInfo("UTC"), platform="slack", locale=locale)
        return dataclasses.replace(reply, attachments=(BUNDLE,))

    slack.runtime.run_command = run_command  # type: ignore[method-assign]


async def test_send_to_user_uploads_the_bytes_and_shares_them_in_the_dm(slack: SlackHarness) -> None:
    ids = await files.send_to_user(slack.runtime.client, USERS["sec"], [BUNDLE], comment="Your export")
    assert len(ids) == 1
    step1 = slack.api.calls_to("files.getUploadURLExternal")
    assert step1[-1].args["filename"] == "board-2027-audit.zip"
    assert int(step1[-1].args["length"]) == len(BUNDLE.data)
    assert slack.api.calls_to("upload")[-1].args["length"] == len(BUNDLE.data)
    complete = slack.api.calls_to("files.completeUploadExternal")[-1].args
    assert complete["channel_id"] == "D0SEC" and complete["initial_comment"] == "Your export"
    assert slack.api.shared_files() == [("D0SEC", "Audit bundle", BUNDLE.data)]


async def test_a_command_reply_with_attachments_sends_them_by_dm(slack: SlackHarness) -> None:
    _with_bundle(slack)
    body = await slack.reply("sec", "whoami")
    assert body["response_type"] == "ephemeral" and body["text"].startswith("You are")
    note = body["blocks"][-1]
    assert note["type"] == "context"
    assert "board-2027-audit.zip (10.2 kB)" in note["elements"][0]["text"]
    await slack.api.wait_for("files.completeUploadExternal")
    assert slack.api.shared_files() == [("D0SEC", "Audit bundle", BUNDLE.data)]
    assert len(slack.api.calls_to("response_url")) == 1  # the reply, and no error follow-up


async def test_a_refused_upload_is_reported_privately_and_shares_nothing(slack: SlackHarness) -> None:
    _with_bundle(slack)
    slack.api.fail("files.getUploadURLExternal", "not_allowed_token_type")
    assert (await slack.reply("sec", "whoami"))["text"].startswith("You are")
    told = await slack.api.wait_for("response_url", count=2)  # the reply, then what became of the file
    assert "Slack would not take board-2027-audit.zip (not_allowed_token_type)" in told[-1].args["text"]
    assert told[-1].args["response_type"] == "ephemeral"
    assert not slack.api.calls_to("files.completeUploadExternal")
    assert slack.api.shared_files() == []


async def test_a_wrong_length_upload_is_not_completed(slack: SlackHarness) -> None:
    """The fake checks what a real upload must satisfy: the bytes announced are the bytes sent."""
    client = slack.runtime.client
    announced = await client.files_getUploadURLExternal(filename="x.bin", length=3)
    await client._upload_file(  # the step files_upload_v2 runs between the two API calls
        url=announced["upload_url"], data=b"four", logger=client._logger, timeout=5, proxy=None, ssl=None
    )
    with pytest.raises(SlackApiError):
        await client.files_completeUploadExternal(files=[{"id": announced["file_id"], "title": "x"}])


def test_reply_blocks_name_the_files_and_their_sizes() -> None:
    small = Attachment("a.csv", b"x" * 999, "text/csv")
    big = Attachment("b.zip", b"x" * 2_500_000, "application/zip")
    blocks = reply_blocks(Reply(text="Exported.", attachments=(small, big)))
    text = json.dumps(blocks[-1])
    assert "a.csv (999 B)" in text and "b.zip (2.5 MB)" in text
    assert reply_blocks(Reply(text="Nothing attached."))[-1]["type"] == "section"


async def test_audit_export_from_slack_reaches_the_admin_dm_as_a_zip(slack: SlackHarness) -> None:
    body = await slack.reply("sec", "audit export board-2027")
    assert body["text"].startswith("Audit export of election:board-2027 (zip)")
    assert "govbot-audit-election-board-2027.zip" in json.dumps(body["blocks"])
    await slack.api.wait_for("files.completeUploadExternal")
    [(channel, title, data)] = slack.api.shared_files()
    assert channel == "D0SEC" and title == "govbot-audit-election-board-2027.zip"
    with zipfile.ZipFile(io.BytesIO(data)) as bundle:
        names = bundle.namelist()
        assert bundle.testzip() is None
    assert any(n.endswith("heads.json") for n in names)


async def test_audit_export_is_refused_to_a_member_and_nothing_is_uploaded(slack: SlackHarness) -> None:
    text = await slack.reply_text("alice", "audit export board-2027")
    assert "Only the secretariat" in text
    assert not slack.api.calls_to("files.getUploadURLExternal")
    assert slack.api.shared_files() == []
