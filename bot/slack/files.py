"""Files on Slack: the attachments of a reply (an audit export) go to the person's direct messages with the
app, and result charts to a body's channel, through the Web API's external upload flow
(``files.getUploadURLExternal``, the upload itself, ``files.completeUploadExternal``) as slack_sdk's
``files_upload_v2`` runs it.

A reply to ``/gov`` is ephemeral and cannot carry a file, and an export must not land in a shared
channel where the command happened to be typed: the DM keeps it with the person who asked for it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from bot.present.replies import Attachment
from governance.i18n import _, format_number


def size_text(size: int) -> str:
    """A file size for people: bytes, kB or MB (powers of 1,000, as Slack shows them), in the reader's
    language (``10.2 kB``, ``10,2 ko``)."""
    if size < 1000:
        return _("{size} B", size=format_number(size))
    if size < 1_000_000:
        return _("{size} kB", size=format_number(round(size / 1000, 1)))
    return _("{size} MB", size=format_number(round(size / 1_000_000, 1)))


def describe(attachments: Sequence[Attachment]) -> str:
    """One line naming the files a reply sends by DM (shown under the reply)."""
    names = ", ".join(f"{a.filename} ({size_text(len(a.data))})" for a in attachments)
    return ":paperclip: " + _("{names}: sent to your direct messages with govbot.", names=names)


def _upload(attachment: Attachment) -> dict[str, Any]:
    image = attachment.media_type.startswith("image/")
    item: dict[str, Any] = {
        "file": attachment.data,
        "filename": attachment.filename,
        "title": attachment.filename if image else (attachment.description or attachment.filename),
    }
    if image and attachment.description:  # an image's description is its alt text for screen readers
        item["alt_txt"] = attachment.description[:1000]
    return item


async def upload(
    client: AsyncWebClient, channel: str, attachments: Sequence[Attachment], comment: str | None = None
) -> list[str]:
    """Upload ``attachments`` and share them in ``channel`` as one message; returns Slack's file ids.

    Raises ``SlackApiError`` / ``SlackRequestError`` (or a network error) when Slack refuses or the
    upload fails; nothing is shared then.
    """
    if not attachments:
        return []
    done = await client.files_upload_v2(
        file_uploads=[_upload(a) for a in attachments], channel=channel, initial_comment=comment
    )
    return [str(f.get("id")) for f in done.get("files") or []]


async def send_to_user(
    client: AsyncWebClient, user_id: str, attachments: Sequence[Attachment], comment: str | None = None
) -> list[str]:
    """Open the app's DM with ``user_id`` and share ``attachments`` there; returns the file ids."""
    opened = await client.conversations_open(users=user_id)
    return await upload(client, str(opened["channel"]["id"]), attachments, comment)
