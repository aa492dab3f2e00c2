"""Replies carry attached files (audit exports); the console saves them without overwriting any file."""

from __future__ import annotations

from pathlib import Path

from bot.console import save_attachments
from bot.present.replies import Attachment, Reply


def test_reply_lists_its_attachments_as_text() -> None:
    reply = Reply(text="Export ready.", attachments=(Attachment("a.zip", b"1234", "application/zip"),))
    assert reply.to_text() == "Export ready.\n\n[attached: a.zip, 4 bytes]"
    assert Reply(text="x").attachments == ()


def test_console_saves_attachments_and_never_overwrites(tmp_path: Path) -> None:
    first = save_attachments([Attachment("board.tar.gz", b"one")], tmp_path)
    second = save_attachments(
        [Attachment("board.tar.gz", b"two"), Attachment("../../evil.csv", b"x")], tmp_path
    )
    assert [p.name for p in first] == ["board.tar.gz"]
    assert [p.name for p in second] == ["board-1.tar.gz", "evil.csv"]
    assert (tmp_path / "board.tar.gz").read_bytes() == b"one"
    assert (tmp_path / "board-1.tar.gz").read_bytes() == b"two"
    assert second[1].parent == tmp_path.resolve()  # a path in the name cannot escape the directory
