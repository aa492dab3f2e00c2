"""Chat identities: which chat account (platform, workspace or guild, user) speaks for which person."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from governance.errors import Conflict, InvalidInput, NotFound, suggest
from governance.i18n import _
from governance.models import ChatIdentity, Person
from governance.services.common import (
    Actor,
    Context,
    check_text,
    person_by_handle,
    record,
    write_transaction,
)
from governance.services.roster.rules import (
    CHAT_ID_MAX,
    PLATFORMS,
    require_admin,
)


def _check_identity(platform: str, workspace: str, user_id: str) -> tuple[str, str, str]:
    platform = platform.strip().lower()
    if platform not in PLATFORMS:
        raise InvalidInput(
            _("Unknown platform {platform!r}.", platform=platform),
            _("Platforms: {join_platforms}.", join_platforms=", ".join(PLATFORMS)),
        )
    space = check_text(workspace, _("the workspace (or guild) id"), CHAT_ID_MAX, required=False)
    user = check_text(user_id, _("the user id"), CHAT_ID_MAX, required=False)
    if space is None or user is None:
        raise InvalidInput(_("A chat identity needs a workspace (or guild) id and a user id."))
    return platform, space, user


async def _identity(
    session: AsyncSession, platform: str, workspace: str, user_id: str
) -> ChatIdentity | None:
    return (
        await session.execute(
            select(ChatIdentity).where(
                col(ChatIdentity.platform) == platform,
                col(ChatIdentity.workspace) == workspace,
                col(ChatIdentity.user_id) == user_id,
            )
        )
    ).scalar_one_or_none()


async def link_identity(
    ctx: Context, actor: Actor, handle: str, platform: str, workspace: str, user_id: str
) -> None:
    """Let a chat account (platform, workspace or guild, user id) speak for a person (admins only)."""
    platform, workspace, user_id = _check_identity(platform, workspace, user_id)
    async with write_transaction(
        ctx, _("That {platform} account was linked by someone else just now.", platform=platform)
    ) as session:
        await require_admin(session, ctx, actor, _("link chat accounts"))
        person = await person_by_handle(session, handle)
        existing = await _identity(session, platform, workspace, user_id)
        if existing is not None:
            if existing.person_id == person.id:
                raise Conflict(
                    _(
                        "That {platform} account is already linked to {person_name}.",
                        platform=platform,
                        person_name=person.name,
                    )
                )
            other = await session.get(Person, existing.person_id)
            raise Conflict(
                _(
                    "That {platform} account is linked to {other_name}.",
                    platform=platform,
                    other_name=other.name,
                )
                if other
                else _("That {platform} account is linked to someone else.", platform=platform),
                suggest=suggest("unlink_first", "roster unlink"),
            )
        assert person.id is not None
        session.add(
            ChatIdentity(
                platform=platform,
                workspace=workspace,
                user_id=user_id,
                person_id=person.id,
                created_at=ctx.now(),
            )
        )
        await record(
            session,
            ctx,
            actor,
            stream="roster",
            kind="identity.linked",
            subject=person.handle,
            payload={"platform": platform, "workspace": workspace, "user_id": user_id},
        )


async def unlink_identity(
    ctx: Context, actor: Actor, platform: str, workspace: str, user_id: str, *, handle: str | None = None
) -> str:
    """Stop a chat account speaking for anyone (admins only); returns the handle it spoke for.

    With ``handle`` (what the secretariat believes the account speaks for), the person must exist and the
    account must speak for them: unlinking someone else's account by a slip of the handle changes
    nothing, and the refusal names whom it does speak for. Checks, removal and audit event are one
    transaction.
    """
    platform, workspace, user_id = _check_identity(platform, workspace, user_id)
    async with write_transaction(ctx) as session:
        await require_admin(session, ctx, actor, _("unlink chat accounts"))
        named = await person_by_handle(session, handle) if handle is not None else None
        existing = await _identity(session, platform, workspace, user_id)
        if existing is None:
            raise NotFound(_("That {platform} account is not linked to anyone.", platform=platform))
        person = await session.get(Person, existing.person_id)
        spoke_for = person.handle if person else str(existing.person_id)
        if named is not None and named.id != existing.person_id:
            raise InvalidInput(
                _(
                    "That {platform_strip_lower} account is linked to @{linked_handle}, not @{handle}; "
                    "nothing was changed.",
                    platform_strip_lower=platform,
                    linked_handle=spoke_for,
                    handle=named.handle,
                ),
                suggest=suggest(
                    "unlink_anyway", ("roster", "unlink", spoke_for, platform, workspace, user_id)
                ),
            )
        await session.delete(existing)
        await record(
            session,
            ctx,
            actor,
            stream="roster",
            kind="identity.unlinked",
            subject=spoke_for,
            payload={"platform": platform, "workspace": workspace, "user_id": user_id},
        )
        return spoke_for


async def resolve_identity(ctx: Context, platform: str, workspace: str, user_id: str) -> Actor | None:
    """The actor a chat account speaks for, or None when it is not linked (or the person is gone)."""
    async with ctx.db.reading() as session:
        row = (
            await session.execute(
                select(Person)
                .join(ChatIdentity, col(ChatIdentity.person_id) == col(Person.id))
                .where(
                    col(ChatIdentity.platform) == platform.strip().lower(),
                    col(ChatIdentity.workspace) == workspace.strip(),
                    col(ChatIdentity.user_id) == user_id.strip(),
                )
            )
        ).scalar_one_or_none()
        return Actor.of(row) if row is not None else None
