"""The roster service on both backends: organisations, people, voting representatives, chat identities
and the CSV import (all or nothing, every bad line named)."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from governance.errors import Conflict, Forbidden, InvalidInput, NotFound
from governance.models import Organisation, Person, VotingRep
from governance.services import roster
from governance.services.common import Actor, Context
from governance.services.roster import csv_import
from tests.factories import events, small_roster, snapshot


@pytest.fixture
async def who(ctx: Context) -> dict[str, Actor]:
    return await small_roster(ctx)


async def reps(ctx: Context) -> dict[str, str]:
    return {row.slug: row.voting_rep for row in await roster.list_organisations(ctx) if row.voting_rep}


# ---------------------------------------------------------------- organisations and people


async def test_add_and_update_organisation(ctx: Context, who: dict[str, Actor]) -> None:
    org = await roster.add_organisation(ctx, who["sec"], " Initech ", "Initech Labs", "academic")
    assert (org.slug, org.name, org.tier, org.active) == ("initech", "Initech Labs", "academic", True)
    org = await roster.update_organisation(
        ctx, who["sec"], "initech", name="Initech", tier="general", active=False
    )
    assert (org.name, org.tier, org.active) == ("Initech", "general", False)
    rows = {r.slug: r for r in await roster.list_organisations(ctx)}
    assert rows["initech"].active is False and rows["acme"].people == 2
    last = (await events(ctx, "roster"))[-1]
    assert last.kind == "organisation.updated" and last.subject == "initech"
    assert '"tier":"general"' in last.payload and '"active":false' in last.payload


async def test_organisation_refusals_change_nothing(ctx: Context, who: dict[str, Actor]) -> None:
    before = await snapshot(ctx)
    with pytest.raises(Conflict, match="already exists"):
        await roster.add_organisation(ctx, who["sec"], "acme", "Another Acme")
    with pytest.raises(Conflict, match="named 'Acme AI'"):
        await roster.add_organisation(ctx, who["sec"], "acme2", "acme ai")
    with pytest.raises(InvalidInput, match="Unknown tier"):
        await roster.add_organisation(ctx, who["sec"], "x", "X", "platinum")
    with pytest.raises(InvalidInput, match="not a valid organisation id"):
        await roster.add_organisation(ctx, who["sec"], "Bad Slug!", "Bad")
    with pytest.raises(InvalidInput, match="too long"):
        await roster.add_organisation(ctx, who["sec"], "long", "L" * 201)
    with pytest.raises(InvalidInput, match="cannot be empty"):
        await roster.add_organisation(ctx, who["sec"], "blank", "   ")
    with pytest.raises(Conflict, match="Another organisation is named 'Globex Research'"):
        await roster.update_organisation(ctx, who["sec"], "acme", name="Globex Research")
    with pytest.raises(InvalidInput, match="Nothing to change"):
        await roster.update_organisation(ctx, who["sec"], "acme", tier="premier")
    with pytest.raises(NotFound, match="No organisation 'nope'"):
        await roster.update_organisation(ctx, who["sec"], "nope", tier="general")
    assert await snapshot(ctx) == before


@pytest.mark.parametrize(
    ("call", "action"),
    [
        (lambda ctx, a: roster.add_organisation(ctx, a, "x", "X"), "add organisations"),
        (lambda ctx, a: roster.update_organisation(ctx, a, "acme", tier="general"), "change organisations"),
        (lambda ctx, a: roster.add_person(ctx, a, "zed", "Zed"), "add people"),
        (lambda ctx, a: roster.update_person(ctx, a, "bea", name="Bea"), "change people"),
        (lambda ctx, a: roster.set_voting_rep(ctx, a, "acme", "alice"), "designate voting representatives"),
        (lambda ctx, a: roster.link_identity(ctx, a, "alice", "slack", "T1", "U1"), "link chat accounts"),
        (lambda ctx, a: roster.import_roster_csv(ctx, a, "handle,name\nzed,Zed\n"), "import the roster"),
    ],
)
async def test_only_the_secretariat_keeps_the_roster(
    ctx: Context, who: dict[str, Actor], call, action
) -> None:  # type: ignore[no-untyped-def]
    before = await snapshot(ctx)
    with pytest.raises(Forbidden) as refused:
        await call(ctx, who["alice"])
    assert refused.value.rule == "secretariat-only"
    assert refused.value.message == f"Only the secretariat (an admin) may {action}."
    assert "rule 'secretariat-only' of policy alliance" in (refused.value.hint or "")
    assert await snapshot(ctx) == before


async def test_add_and_update_person(ctx: Context, who: dict[str, Actor]) -> None:
    person = await roster.add_person(
        ctx, who["sec"], "@Chen", " Chen Wei ", organisation="globex", email="chen@example.org"
    )
    assert (person.handle, person.name, person.email, person.is_admin) == (
        "chen",
        "Chen Wei",
        "chen@example.org",
        False,
    )
    person = await roster.update_person(
        ctx, who["sec"], "chen", name="Wei Chen", admin=True, status="emeritus", organisation="acme"
    )
    assert (person.name, person.is_admin, person.status) == ("Wei Chen", True, "emeritus")
    people = {p.handle: o.slug if o else None for p, o in await roster.list_people(ctx)}
    assert people["chen"] == "acme" and people["nobody"] is None
    assert [p.handle for p, _ in await roster.list_people(ctx, "acme")] == ["alice", "arjun", "chen"]
    person = await roster.update_person(ctx, who["sec"], "chen", organisation="-")
    assert person.organisation_id is None
    assert (await roster.get_person(ctx, "CHEN")).name == "Wei Chen"


async def test_person_refusals_change_nothing(ctx: Context, who: dict[str, Actor]) -> None:
    before = await snapshot(ctx)
    with pytest.raises(Conflict, match="already on the roster"):
        await roster.add_person(ctx, who["sec"], "alice", "Alice Again")
    with pytest.raises(NotFound, match="No organisation 'nope'"):
        await roster.add_person(ctx, who["sec"], "zed", "Zed", organisation="nope")
    with pytest.raises(InvalidInput, match="not an e-mail address"):
        await roster.add_person(ctx, who["sec"], "zed", "Zed", email="zed at example")
    with pytest.raises(InvalidInput, match="too long"):
        await roster.add_person(ctx, who["sec"], "zed", "Z" * 300)
    with pytest.raises(InvalidInput, match="Unknown member state"):
        await roster.update_person(ctx, who["sec"], "alice", status="banned")
    with pytest.raises(InvalidInput, match="cannot remove your own admin flag"):
        await roster.update_person(ctx, who["sec"], "sec", admin=False)
    with pytest.raises(InvalidInput, match="Nothing to change"):
        await roster.update_person(ctx, who["sec"], "alice", name="Alice Martin")
    with pytest.raises(NotFound, match="No person with handle 'ghost'"):
        await roster.update_person(ctx, who["sec"], "ghost", name="Ghost")
    assert await snapshot(ctx) == before


# ---------------------------------------------------------------- voting representatives


async def test_voting_rep_is_designated_replaced_and_dropped_on_move(
    ctx: Context, who: dict[str, Actor]
) -> None:
    await roster.set_voting_rep(ctx, who["sec"], "acme", "alice")
    assert await reps(ctx) == {"acme": "alice"}
    await roster.set_voting_rep(ctx, who["sec"], "acme", "arjun")
    assert await reps(ctx) == {"acme": "arjun"}
    kinds = [(e.kind, e.subject, e.payload) for e in await events(ctx, "roster")][-2:]
    assert kinds == [
        ("organisation.voting_rep", "acme", '{"person":"alice"}'),
        ("organisation.voting_rep", "acme", '{"person":"arjun"}'),
    ]
    # moving to another organisation ends being the old one's representative
    await roster.update_person(ctx, who["sec"], "arjun", organisation="globex")
    assert await reps(ctx) == {}


async def test_voting_rep_refusals(ctx: Context, who: dict[str, Actor]) -> None:
    await roster.set_voting_rep(ctx, who["sec"], "acme", "alice")
    before = await snapshot(ctx)
    with pytest.raises(InvalidInput, match="Béatrice Dubois is not with Acme AI") as wrong:
        await roster.set_voting_rep(ctx, who["sec"], "acme", "bea")
    assert wrong.value.suggestion is not None
    assert wrong.value.suggestion.commands == (("roster", "person", "set", "bea", "--org", "acme"),)
    with pytest.raises(Conflict, match="already the voting representative"):
        await roster.set_voting_rep(ctx, who["sec"], "acme", "alice")
    with pytest.raises(NotFound):
        await roster.set_voting_rep(ctx, who["sec"], "nope", "alice")
    assert await snapshot(ctx) == before
    await roster.update_person(ctx, who["sec"], "arjun", status="suspended")
    with pytest.raises(InvalidInput, match="must be active"):
        await roster.set_voting_rep(ctx, who["sec"], "acme", "arjun")
    assert await reps(ctx) == {"acme": "alice"}


# ---------------------------------------------------------------- chat identities


async def test_link_resolve_and_unlink_identity(ctx: Context, who: dict[str, Actor]) -> None:
    await roster.link_identity(ctx, who["sec"], "alice", "Slack", " T01 ", "U42")
    await roster.link_identity(ctx, who["sec"], "alice", "discord", "G9", "1234")
    alice = await roster.resolve_identity(ctx, "slack", "T01", "U42")
    assert alice == who["alice"]
    assert await roster.resolve_identity(ctx, "discord", "G9", "1234") == who["alice"]
    assert await roster.resolve_identity(ctx, "slack", "T02", "U42") is None  # other workspace
    assert await roster.resolve_identity(ctx, "discord", "T01", "U42") is None  # other platform
    assert await roster.unlink_identity(ctx, who["sec"], "slack", "T01", "U42") == "alice"
    assert await roster.resolve_identity(ctx, "slack", "T01", "U42") is None
    await roster.link_identity(ctx, who["sec"], "bea", "slack", "T01", "U42")
    assert await roster.resolve_identity(ctx, "slack", "T01", "U42") == who["bea"]
    kinds = [e.kind for e in await events(ctx, "roster")][-4:]
    assert kinds == ["identity.linked", "identity.linked", "identity.unlinked", "identity.linked"]


async def test_identity_conflicts_change_nothing(ctx: Context, who: dict[str, Actor]) -> None:
    await roster.link_identity(ctx, who["sec"], "alice", "slack", "T01", "U42")
    before = await snapshot(ctx)
    with pytest.raises(Conflict, match="already linked to Alice Martin"):
        await roster.link_identity(ctx, who["sec"], "alice", "slack", "T01", "U42")
    with pytest.raises(Conflict, match="linked to Alice Martin") as taken:
        await roster.link_identity(ctx, who["sec"], "bea", "slack", "T01", "U42")
    assert taken.value.suggestion is not None and taken.value.suggestion.sentence == "unlink_first"
    assert taken.value.suggestion.commands == (("roster", "unlink"),)
    with pytest.raises(InvalidInput, match="Unknown platform"):
        await roster.link_identity(ctx, who["sec"], "bea", "teams", "T01", "U1")
    with pytest.raises(InvalidInput, match="needs a workspace"):
        await roster.link_identity(ctx, who["sec"], "bea", "slack", " ", "U1")
    with pytest.raises(InvalidInput, match="too long"):
        await roster.link_identity(ctx, who["sec"], "bea", "slack", "T01", "U" * 65)
    with pytest.raises(NotFound):
        await roster.unlink_identity(ctx, who["sec"], "slack", "T01", "U999")
    with pytest.raises(Forbidden) as refusal:
        await roster.unlink_identity(ctx, who["alice"], "slack", "T01", "U42")
    assert refusal.value.rule == "secretariat-only"
    assert await snapshot(ctx) == before


async def test_unlink_names_the_person_it_expects(ctx: Context, who: dict[str, Actor]) -> None:
    """Unlinking by handle is one use case: an unknown handle or an account that speaks for someone else
    is refused with nothing written; the right handle unlinks, with its audit event."""
    await roster.link_identity(ctx, who["sec"], "alice", "slack", "T01", "U42")
    before = await snapshot(ctx)
    roster_events = len(await events(ctx, "roster"))
    with pytest.raises(NotFound, match="ghost"):
        await roster.unlink_identity(ctx, who["sec"], "slack", "T01", "U42", handle="ghost")
    with pytest.raises(InvalidInput, match="linked to @alice, not @bea") as wrong:
        await roster.unlink_identity(ctx, who["sec"], "slack", "T01", "U42", handle="bea")
    assert wrong.value.suggestion is not None and wrong.value.suggestion.sentence == "unlink_anyway"
    assert wrong.value.suggestion.commands == (("roster", "unlink", "alice", "slack", "T01", "U42"),)
    with pytest.raises(Forbidden):
        await roster.unlink_identity(ctx, who["alice"], "slack", "T01", "U42", handle="alice")
    assert await snapshot(ctx) == before
    assert len(await events(ctx, "roster")) == roster_events
    assert await roster.unlink_identity(ctx, who["sec"], "slack", "T01", "U42", handle="alice") == "alice"
    assert await roster.resolve_identity(ctx, "slack", "T01", "U42") is None
    last = (await events(ctx, "roster"))[-1]
    assert (last.kind, last.subject) == ("identity.unlinked", "alice")


# ---------------------------------------------------------------- CSV import

GOOD_CSV = """handle,name,email,organisation,organisation_name,tier,admin,voting_rep
zoe,Zoé Leroy,zoe@initech.example,initech,Initech Labs,academic,,yes
yan,Yan Liu,,initech,,,no,
alice,Alice M. Martin,alice@acme.example,,,,,
bea,Béatrice Dubois,,acme,,,,yes
"""


async def test_csv_import_adds_and_upserts(ctx: Context, who: dict[str, Actor]) -> None:
    await roster.set_voting_rep(ctx, who["sec"], "globex", "bea")
    report = await roster.import_roster_csv(ctx, who["sec"], "\ufeff" + GOOD_CSV.replace("\n", "\r\n"))
    assert report == roster.ImportReport(organisations_added=1, people_added=2, people_updated=2, reps_set=2)
    people = {p.handle: (p.name, p.email, o.slug if o else None) for p, o in await roster.list_people(ctx)}
    assert people["zoe"] == ("Zoé Leroy", "zoe@initech.example", "initech")
    assert people["yan"] == ("Yan Liu", None, "initech")
    assert people["alice"] == ("Alice M. Martin", "alice@acme.example", "acme")  # empty org cell keeps acme
    assert people["bea"] == ("Béatrice Dubois", None, "acme")
    orgs = {r.slug: r for r in await roster.list_organisations(ctx)}
    assert (orgs["initech"].name, orgs["initech"].tier) == ("Initech Labs", "academic")
    # bea moved to acme: she no longer speaks for globex, and now speaks for acme
    assert await reps(ctx) == {"initech": "zoe", "acme": "bea"}
    # importing the same file again changes nothing and says so
    again = await roster.import_roster_csv(ctx, who["sec"], GOOD_CSV)
    assert again == roster.ImportReport(0, 0, 0, 0, people_unchanged=4)
    csv_events = [(e.kind, e.subject) for e in await events(ctx, "roster") if '"source":"csv"' in e.payload]
    assert csv_events == [
        ("organisation.added", "initech"),
        ("person.added", "zoe"),
        ("organisation.voting_rep", "initech"),
        ("person.added", "yan"),
        ("person.updated", "alice"),
        ("person.updated", "bea"),
        ("organisation.voting_rep", "acme"),
    ]  # and the second, unchanged import added none


BAD_CSV = """handle,name,email,organisation,organisation_name,tier,admin,voting_rep
ok1,Okay One,,initech,Initech Labs,,,
Bad Handle,Someone,,,,,,
nameless,,,,,,,
ok2,Okay Two,not-an-email,,,,,

ok3,Okay Three,,,,platinum,,
ok1,Duplicate,,,,,,
ok4,Okay Four,,,,,maybe,
ok5,Okay Five,,,,,,yes
ok6,"Okay
Six",,,,,,
ok7,Okay Seven,,acme,,,,,extra
ok8,Okay Eight,,initech,Other Name,,,
"""


async def test_csv_import_with_bad_lines_names_each_and_writes_nothing(
    ctx: Context, who: dict[str, Actor]
) -> None:
    before = await snapshot(ctx)
    with pytest.raises(InvalidInput) as refused:
        await roster.import_roster_csv(ctx, who["sec"], BAD_CSV)
    assert refused.value.message.startswith("The roster was not imported: 10 problems, the first line 3:")
    message = "\n".join(refused.value.details)
    bad = {int(n) for n in re.findall(r"line (\d+):", message)}
    assert bad == {3, 4, 5, 7, 8, 9, 10, 11, 13, 14}, message
    assert "line 2:" not in message and "line 6:" not in message  # the good line and the blank line
    assert "line 3: 'Bad Handle' is not a valid handle" in message
    assert "line 4: nameless has no name" in message
    assert "line 8: handle ok1 is already on line 2" in message
    assert "line 9: admin is 'maybe'" in message
    assert "line 11: The name must be on one line" in message  # the record starting on line 11
    assert "line 13: 9 fields but the header names 8 columns" in message
    assert "line 14: initech is named 'Initech Labs' on line 2" in message
    assert len(refused.value.details) == 10
    assert "nothing was changed" in (refused.value.hint or "")
    assert await snapshot(ctx) == before


async def test_csv_import_database_checks_also_write_nothing(ctx: Context, who: dict[str, Actor]) -> None:
    await roster.update_person(ctx, who["sec"], "arjun", status="suspended")
    before = await snapshot(ctx)
    text = (
        "handle,name,organisation,organisation_name,voting_rep,admin\n"
        "newbie,New Person,acme2,Acme AI,,\n"  # an existing organisation's name under a new id
        "arjun,Arjun Rao,acme,,yes,\n"  # suspended: cannot be a representative
        "sec,Sam Secretariat,,,,no\n"  # may not drop one's own admin flag
    )
    with pytest.raises(InvalidInput) as refused:
        await roster.import_roster_csv(ctx, who["sec"], text)
    assert [d.split(":")[0] for d in refused.value.details] == ["line 2", "line 3", "line 4"]
    assert await snapshot(ctx) == before


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "empty"),
        ("\n\n", "empty"),
        ("handle,name\n", "no people"),
        ("handle,fullname\nx,X\n", "line 1 (header): unknown column(s) 'fullname'; missing column(s) name"),
        ("handle,name,name\nx,X,Y\n", "column(s) name appear twice"),
        ("handle,name,\nx,X,\n", "column(s) 3 have no name"),
        ("handle,name\nx,X\0\n", "NUL bytes on line 2"),
    ],
)
async def test_csv_import_unreadable_files(
    ctx: Context, who: dict[str, Actor], text: str, expected: str
) -> None:
    before = await snapshot(ctx)
    with pytest.raises(InvalidInput, match=re.escape(expected)):
        await roster.import_roster_csv(ctx, who["sec"], text)
    assert await snapshot(ctx) == before


async def test_csv_import_is_one_transaction(
    ctx: Context, who: dict[str, Actor], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Even a failure the checks cannot foresee (here: the database refuses mid-import) leaves nothing."""
    before = await snapshot(ctx)
    rows = "".join(f"p{i},Person {i},,org{i % 3}\n" for i in range(30))
    original = csv_import.record
    calls = 0

    async def failing_record(*args, **kwargs):  # type: ignore[no-untyped-def]
        nonlocal calls
        calls += 1
        if calls == 20:
            raise RuntimeError("disk full")
        return await original(*args, **kwargs)

    monkeypatch.setattr(csv_import, "record", failing_record)  # the import's own module records
    with pytest.raises(RuntimeError):
        await roster.import_roster_csv(ctx, who["sec"], "handle,name,email,organisation\n" + rows)
    assert calls == 20
    assert await snapshot(ctx) == before


# Hypothesis: arbitrary CSV-ish text never escapes as anything but a clean import or an InvalidInput
# naming lines, and a refused file writes nothing. One database per backend; rows it adds are removed.

_cell = st.one_of(
    st.sampled_from(
        [
            "",
            "ok",
            "x",
            "yes",
            "no",
            "maybe",
            "acme",
            "initech",
            "@alice",
            "Bad Id",
            "a@b.c",
            "general",
            "platinum",
            '"quoted, cell"',
            '"multi\nline"',
            "é",
            "\r",
            "-",
        ]
    ),
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=12),
)
_line = st.lists(_cell, min_size=0, max_size=10).map(",".join)
_header = st.sampled_from(
    [
        "handle,name",
        "handle,name,organisation,voting_rep",
        "handle,name,email,organisation,organisation_name,tier,admin,voting_rep",
        "name,handle,admin",
        "handle,name,bogus",
    ]
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(header=_header, lines=st.lists(_line, max_size=8), newline=st.sampled_from(["\n", "\r\n", "\r"]))
async def test_csv_import_fuzz(
    ctx: Context, who: dict[str, Actor], header: str, lines: list[str], newline: str
) -> None:
    before = await snapshot(ctx)
    text = newline.join([header, *lines]) + newline
    try:
        report = await roster.import_roster_csv(ctx, who["sec"], text)
    except InvalidInput as exc:
        assert exc.message
        assert (
            exc.details
            or "line" in exc.message.lower()
            or "empty" in exc.message
            or "no people" in exc.message
        )
        for detail in exc.details:
            assert re.match(r"line \d+: ", detail), detail
        assert await snapshot(ctx) == before
    else:
        assert report.people_added + report.people_updated + report.people_unchanged >= 1
        await _restore(ctx, before)


async def _restore(ctx: Context, before: dict[str, list[tuple[object, ...]]]) -> None:
    """Put the roster back as it was (the fuzz shares one database across examples)."""
    from governance.models import AuditEvent, AuditHead

    async with ctx.db.transaction() as session:
        for table in (AuditEvent, AuditHead, VotingRep, Person, Organisation):
            await session.execute(table.__table__.delete())  # type: ignore[attr-defined]
        for table in (Organisation, Person, VotingRep, AuditHead, AuditEvent):
            name = table.__tablename__  # type: ignore[attr-defined]
            cols = [c.name for c in table.__table__.columns]  # type: ignore[attr-defined]
            for row in before[name]:
                await session.execute(table.__table__.insert().values(dict(zip(cols, row, strict=True))))  # type: ignore[attr-defined]
    assert await snapshot(ctx) == before
    async with ctx.db.reading() as session:
        assert (await session.execute(select(Person).where(Person.handle == "sec"))).scalar_one()  # type: ignore[arg-type]


# ---------------------------------------------------------------- platform role mapping

GUILD = "800000000000000001"
SECRETARIAT, CHAIRS, MEMBERS = "820000000000000001", "820000000000000003", "820000000000000002"


async def test_map_platform_roles_lists_updates_and_removes(ctx: Context, who: dict[str, Actor]) -> None:
    assert await roster.platform_role_map(ctx, "discord", GUILD) == {}
    mapped = await roster.map_platform_role(
        ctx, who["sec"], "Discord", GUILD, SECRETARIAT, "Admin", role_name="Secretariat"
    )
    assert mapped == roster.RoleMapping("discord", GUILD, SECRETARIAT, "admin", "Secretariat")
    await roster.map_platform_role(ctx, who["sec"], "discord", GUILD, CHAIRS, "chair", "WG chairs")
    await roster.map_platform_role(ctx, who["sec"], "discord", GUILD, MEMBERS, "member")
    assert await roster.platform_role_map(ctx, "discord", GUILD) == {
        SECRETARIAT: "admin",
        CHAIRS: "chair",
        MEMBERS: "member",
    }
    assert await roster.platform_role_map(ctx, "discord", "another-guild") == {}
    # a role changes meaning, keeping its name; then it is removed
    await roster.map_platform_role(ctx, who["sec"], "discord", GUILD, MEMBERS, "chair")
    listed = await roster.platform_roles(ctx, "discord", GUILD)
    assert [(m.role_id, m.govbot_role) for m in listed] == [
        (SECRETARIAT, "admin"),
        (MEMBERS, "chair"),
        (CHAIRS, "chair"),
    ]
    removed = await roster.map_platform_role(ctx, who["sec"], "discord", GUILD, CHAIRS, "none")
    assert removed.govbot_role == "none" and removed.role_name == "WG chairs"
    assert CHAIRS not in await roster.platform_role_map(ctx, "discord", GUILD)
    roster_events = [e for e in await events(ctx, "roster") if e.kind.startswith("role.")]
    assert [e.kind for e in roster_events] == ["role.mapped"] * 4 + ["role.unmapped"]
    assert roster_events[0].subject == f"discord:{GUILD}:{SECRETARIAT}"
    assert '"govbot_role":"admin"' in roster_events[0].payload
    assert '"role_name":"Secretariat"' in roster_events[0].payload
    assert roster_events[0].actor == "person:sec"


async def test_role_mapping_refusals_change_nothing(ctx: Context, who: dict[str, Actor]) -> None:
    await roster.map_platform_role(ctx, who["sec"], "discord", GUILD, SECRETARIAT, "admin", "Secretariat")
    before = await snapshot(ctx)
    with pytest.raises(Forbidden) as refusal:
        await roster.map_platform_role(ctx, who["alice"], "discord", GUILD, MEMBERS, "admin")
    assert refusal.value.rule == "secretariat-only"
    with pytest.raises(InvalidInput, match="Unknown govbot role 'boss'"):
        await roster.map_platform_role(ctx, who["sec"], "discord", GUILD, MEMBERS, "boss")
    with pytest.raises(InvalidInput, match="cannot be mapped"):
        await roster.map_platform_role(ctx, who["sec"], "slack", "T01", "S01", "admin")
    with pytest.raises(InvalidInput, match="role id cannot be empty"):
        await roster.map_platform_role(ctx, who["sec"], "discord", GUILD, " ", "admin")
    with pytest.raises(InvalidInput, match="too long"):
        await roster.map_platform_role(ctx, who["sec"], "discord", GUILD, MEMBERS, "member", "n" * 101)
    with pytest.raises(Conflict, match="already mapped to admin"):
        await roster.map_platform_role(ctx, who["sec"], "discord", GUILD, SECRETARIAT, "admin")
    with pytest.raises(NotFound, match="not mapped"):
        await roster.map_platform_role(ctx, who["sec"], "discord", GUILD, MEMBERS, "none")
    assert await snapshot(ctx) == before
    # the last admin role can neither be demoted nor removed while other mappings depend on it
    await roster.map_platform_role(ctx, who["sec"], "discord", GUILD, CHAIRS, "chair")
    before = await snapshot(ctx)
    with pytest.raises(Conflict, match="last role mapped to admin"):
        await roster.map_platform_role(ctx, who["sec"], "discord", GUILD, SECRETARIAT, "none")
    with pytest.raises(Conflict, match="last role mapped to admin"):
        await roster.map_platform_role(ctx, who["sec"], "discord", GUILD, SECRETARIAT, "member")
    assert await snapshot(ctx) == before
    # removing the others first, then the admin role, empties the mapping
    await roster.map_platform_role(ctx, who["sec"], "discord", GUILD, CHAIRS, "none")
    await roster.map_platform_role(ctx, who["sec"], "discord", GUILD, SECRETARIAT, "none")
    assert await roster.platform_role_map(ctx, "discord", GUILD) == {}


async def test_a_first_mapping_must_name_an_admin_role(ctx: Context, who: dict[str, Actor]) -> None:
    before = await snapshot(ctx)
    with pytest.raises(Conflict, match="no role mapped to admin yet") as refused:
        await roster.map_platform_role(ctx, who["sec"], "discord", GUILD, CHAIRS, "chair")
    assert refused.value.suggestion is not None and refused.value.suggestion.sentence == "map_admin_first"
    assert refused.value.suggestion.commands[0][:3] == ("roster", "role", "discord")
    assert await snapshot(ctx) == before


async def test_check_admin(ctx: Context, who: dict[str, Actor]) -> None:
    await roster.check_admin(ctx, who["sec"], "import the roster")
    with pytest.raises(Forbidden) as refusal:
        await roster.check_admin(ctx, who["alice"], "import the roster")
    assert refusal.value.rule == "secretariat-only"
