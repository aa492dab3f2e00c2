"""A Debian count's quorum base (the electorate of 3Q) is bound to the signed log: a bundle re-counted
with another electorate, result.json recomputed to match, is caught against the close event and the
frozen electorate."""

from __future__ import annotations

import json

from governance import export, tally
from governance.services import elections
from governance.services.common import Context
from governance.verify import verify_files
from tests.factories import MEMBERS
from tests.factories import cast_plan as _cast
from tests.factories import dpl_election as _election
from tests.factories import dpl_members as _members
from tests.factories import dpl_secretary as _sec

FOLDER = "election-dpl-2027"


async def test_a_recount_with_another_quorum_base_is_caught(ctx: Context) -> None:
    sec = await _sec(ctx)
    who = await _members(ctx, sec, "dpl", "debian", MEMBERS)
    await _election(ctx, sec, "dpl", "dpl-2027", who, ["dev01", "dev02"])
    await _cast(ctx, "dpl-2027", who, [(6, ["dev01", "nota"]), (1, ["dev02", "nota"])])
    await elections.close(ctx, sec, "dpl-2027")
    files = await export.export_bundle(ctx, sec, export.parse_subject("election:dpl-2027"))
    assert verify_files(files).ok
    # The forger re-counts with an electorate of 15 (R = 5.81: the same person is elected, so the close
    # event's list of the elected still agrees), rewrites result.json from that count and the settings
    # to match, and a new manifest.
    settings = json.loads(files[f"{FOLDER}/settings.json"])
    count = settings["count"]
    count["method_params"]["electorate"] = MEMBERS - 1
    rows = export.read_ballots_csv(files[f"{FOLDER}/ballots.csv"].decode())
    profile = export.election_profile(count, sorted(r["ballot"] for r in rows), settings["title"])
    forged_result = tally.count(
        "debian", profile, int(count["seats"]), seed=count["seed"], **count["method_params"]
    )
    forged = {k: v for k, v in files.items() if k != "manifest.json"}
    forged[f"{FOLDER}/settings.json"] = export.dumps(settings)
    forged[f"{FOLDER}/result.json"] = forged_result.dumps().encode()
    assert forged_result.elected == ["Developer 01"]
    problems = verify_files(export.with_manifest(forged)).problems
    assert any(
        "the count's quorum base is 15 people, the close (event" in p and f"recorded {MEMBERS}" in p
        for p in problems
    ), problems
