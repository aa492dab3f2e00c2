"""Platform roles: a chat role in a workspace (a Discord guild) mapped to a govbot role."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from governance.errors import Conflict, InvalidInput, NotFound, suggest
from governance.i18n import _
from governance.models import PlatformRoleMap
from governance.services.common import (
    Actor,
    Context,
    check_text,
    record,
    write_transaction,
)
from governance.services.roster.rules import (
    CHAT_ID_MAX,
    GOVBOT_ROLES,
    ROLE_NAME_MAX,
    ROLE_PLATFORMS,
    require_admin,
)


@dataclass(frozen=True)
class RoleMapping:
    """A platform role mapped to a govbot role (``govbot_role`` is "none" once it was removed)."""

    platform: str
    workspace: str
    role_id: str
    govbot_role: str
    role_name: str | None


def _check_role_key(platform: str, workspace: str, role_id: str) -> tuple[str, str, str]:
    platform = platform.strip().lower()
    if platform not in ROLE_PLATFORMS:
        raise InvalidInput(
            _("Roles on {platform!r} cannot be mapped.", platform=platform),
            _(
                "Only {join_role_platforms} roles can be mapped to govbot roles; the roster's admin flag "
                "and chair roles govern everywhere.",
                join_role_platforms=", ".join(ROLE_PLATFORMS),
            ),
        )
    space = check_text(workspace, _("the workspace (or guild) id"), CHAT_ID_MAX)
    role = check_text(role_id, _("the role id"), CHAT_ID_MAX)
    assert space is not None and role is not None
    return platform, space, role


async def _role_rows(session: AsyncSession, platform: str, workspace: str) -> list[PlatformRoleMap]:
    return list(
        (
            await session.execute(
                select(PlatformRoleMap)
                .where(
                    col(PlatformRoleMap.platform) == platform,
                    col(PlatformRoleMap.workspace) == workspace,
                )
                .order_by(col(PlatformRoleMap.govbot_role), col(PlatformRoleMap.role_id))
            )
        ).scalars()
    )


def _check_target(govbot_role: str) -> str:
    """The govbot role asked for (lower case), or "none" to remove a mapping; refuses any other."""
    target = govbot_role.strip().lower()
    if target not in (*GOVBOT_ROLES, "none"):
        raise InvalidInput(
            _("Unknown govbot role {govbot_role!r}.", govbot_role=govbot_role),
            _(
                "Give one of {join_govbot_roles}, or none to remove the mapping.",
                join_govbot_roles=", ".join(GOVBOT_ROLES),
            ),
        )
    return target


def _refuse_unmap(
    existing: PlatformRoleMap | None, others: list[PlatformRoleMap], label: str, platform: str, workspace: str
) -> PlatformRoleMap:
    """The mapping to remove; refuses one that does not exist, or the last admin role while other
    mappings remain (no one could run admin commands in the workspace any more)."""
    if existing is None:
        raise NotFound(
            _("The role {label} is not mapped in {workspace}.", label=label, workspace=workspace),
            suggest=suggest("see", ("roster", "roles", platform, workspace)),
        )
    if existing.govbot_role == "admin" and others and not any(r.govbot_role == "admin" for r in others):
        raise Conflict(
            _(
                "The role {label} is the last role mapped to admin in {workspace}; without it no one "
                "could run admin commands there.",
                label=label,
                workspace=workspace,
            ),
            _("Map another role to admin first, or remove the other mappings before this one."),
        )
    return existing


def _refuse_map(
    existing: PlatformRoleMap | None,
    others: list[PlatformRoleMap],
    target: str,
    name: str | None,
    label: str,
    platform: str,
    workspace: str,
) -> None:
    """Refuse a mapping that would leave the workspace without an admin role (the first mapping must be
    to admin, the last admin role cannot be turned into another), or that changes nothing."""
    if target != "admin" and not any(r.govbot_role == "admin" for r in others):
        if existing is not None and existing.govbot_role == "admin":
            raise Conflict(
                _(
                    "The role {label} is the last role mapped to admin in {workspace}; without it no "
                    "one could run admin commands there.",
                    label=label,
                    workspace=workspace,
                ),
                _("Map another role to admin first."),
            )
        raise Conflict(
            _(
                "{workspace} has no role mapped to admin yet; once a {platform} workspace has a "
                "mapping, admin commands there need a role mapped to admin.",
                workspace=workspace,
                platform=platform,
            ),
            suggest=suggest("map_admin_first", ("roster", "role", platform, workspace, "<role-id>", "admin")),
        )
    unchanged_name = name is None or (existing is not None and name == existing.role_name)
    if existing is not None and existing.govbot_role == target and unchanged_name:
        raise Conflict(
            _(
                "The role {label} is already mapped to {target} in {workspace}.",
                label=label,
                target=target,
                workspace=workspace,
            )
        )


async def map_platform_role(
    ctx: Context,
    actor: Actor,
    platform: str,
    workspace: str,
    role_id: str,
    govbot_role: str,
    role_name: str | None = None,
) -> RoleMapping:
    """Map a platform role in one workspace (a Discord guild) to a govbot role, or remove it with "none".

    Admins only. Once a workspace has any mapping, its adapter asks for a role mapped to ``admin`` for
    admin-only commands (on top of the roster's admin flag), and for a role mapped to ``chair`` for
    chair-only commands when one is mapped. So that a mapping never locks every admin out, a workspace
    with mappings always keeps at least one role mapped to ``admin``: map that first, remove it last.
    """
    platform, workspace, role_id = _check_role_key(platform, workspace, role_id)
    target = _check_target(govbot_role)
    name = check_text(role_name, _("the role name"), ROLE_NAME_MAX, required=False)
    race = _("The role mapping was changed by someone else at the same moment.")
    async with write_transaction(ctx, race) as session:
        await require_admin(session, ctx, actor, _("map platform roles"))
        rows = await _role_rows(session, platform, workspace)
        existing = next((r for r in rows if r.role_id == role_id), None)
        others = [r for r in rows if r.role_id != role_id]
        label = name or (existing.role_name if existing else None) or role_id
        if target == "none":
            removed = _refuse_unmap(existing, others, label, platform, workspace)
            await session.delete(removed)
            kind = "role.unmapped"
            name = name or removed.role_name
        else:
            _refuse_map(existing, others, target, name, label, platform, workspace)
            if existing is None:
                existing = PlatformRoleMap(
                    platform=platform,
                    workspace=workspace,
                    role_id=role_id,
                    govbot_role=target,
                    role_name=name,
                    created_at=ctx.now(),
                    created_by_id=actor.person_id,
                )
                session.add(existing)
            else:
                existing.govbot_role = target
                existing.role_name = name or existing.role_name
                existing.created_at = ctx.now()
                existing.created_by_id = actor.person_id
            name = existing.role_name
            kind = "role.mapped"
        await session.flush()
        await record(
            session,
            ctx,
            actor,
            stream="roster",
            kind=kind,
            subject=f"{platform}:{workspace}:{role_id}",
            payload={
                "platform": platform,
                "workspace": workspace,
                "role_id": role_id,
                "govbot_role": target,
                "role_name": name,
            },
        )
        return RoleMapping(platform, workspace, role_id, target, name)


async def platform_role_map(ctx: Context, platform: str, workspace: str) -> dict[str, str]:
    """The roles mapped in a workspace (a Discord guild): role id -> govbot role; empty when none is."""
    return {m.role_id: m.govbot_role for m in await platform_roles(ctx, platform, workspace)}


async def platform_roles(ctx: Context, platform: str, workspace: str) -> list[RoleMapping]:
    """The roles mapped in a workspace, admin first, with their names as last given."""
    async with ctx.db.reading() as session:
        rows = await _role_rows(session, platform.strip().lower(), workspace.strip())
    order = {r: i for i, r in enumerate(GOVBOT_ROLES)}
    return sorted(
        (RoleMapping(r.platform, r.workspace, r.role_id, r.govbot_role, r.role_name) for r in rows),
        key=lambda m: (order.get(m.govbot_role, 9), m.role_name or "", m.role_id),
    )
