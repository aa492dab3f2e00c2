"""French readers read French: refusals, role changes, counts and policies rendered in French carry no
English word in a sentence (a stored state, phase, role, choice or round note is translated, not quoted).

Each text is built the way its reader gets it: refusals raised by the services under ``using_locale``,
notifications rendered from the outbox in the recipient's language, results re-read from storage and
shown with ``Result.to_text``, the site's round notes, and ``policy <body>`` for every shipped preset.
"""

from __future__ import annotations

import json
import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from bot import publish
from bot.commands import dispatch
from bot.present.notices import render_pending
from governance import tally
from governance.errors import GovError
from governance.i18n import using_locale
from governance.policies import load_policy
from governance.policies.base import ACTIONS, BodyFacts, PersonFacts, state_refusal
from governance.policies.explain import PRESET_RULES, explain
from governance.services import bodies, elections, motions, outbox, roster
from governance.services.common import Context
from governance.tally.motion import reason_text
from governance.tally.result import notes_in
from tests.factories import Run, as_

# English words a French sentence must not carry (where French writes the same word, e.g. "quorum",
# the word is not listed).
DENY = (
    "active",
    "emeritus",
    "suspended",
    "withdrawn",
    "nominations",
    "voting",
    "closed",
    "elected",
    "excluded",
    "quorum dropped",
    "member",
    "chair",
    "yes",
    "no",
)
ENGLISH = re.compile(r"\b(" + "|".join(re.escape(w) for w in DENY) + r")\b", re.IGNORECASE)
PRESETS = ("alliance", "asf", "debian", "kubernetes", "lazy_consensus")
UTC = ZoneInfo("UTC")


def english_in(text: str) -> list[str]:
    """The deny-listed English words found in ``text``, each with the line it is on."""
    return [f"{m.group(0)!r} in {line!r}" for line in text.splitlines() for m in ENGLISH.finditer(line)]


def person(status: str, body_state: str | None = None) -> PersonFacts:
    """A person in ``status`` on the roster (and ``body_state`` in the body asked about)."""
    return PersonFacts(
        person_id=1,
        handle="arjun",
        name="Arjun Rao",
        status=status,
        is_admin=False,
        organisation="acme",
        organisation_name="Acme AI",
        organisation_active=True,
        organisation_tier="premier",
        is_voting_rep=True,
        body_role="member",
        body_status="active",
        body_state=body_state,
    )


def test_the_word_check_finds_english_and_passes_french() -> None:
    assert english_in("Arjun Rao is suspended; suspended members may not vote.") == [
        "'suspended' in 'Arjun Rao is suspended; suspended members may not vote.'",
        "'suspended' in 'Arjun Rao is suspended; suspended members may not vote.'",
    ]
    assert english_in("R2: A dropped: quorum dropped") == [
        "'quorum dropped' in 'R2: A dropped: quorum dropped'"
    ]
    assert english_in("Quorum : la moitié des membres en fonction ; élu·e, contre, abstention.") == []


@pytest.mark.parametrize("state", ["emeritus", "withdrawn", "suspended"])
def test_state_refusals_name_the_state_in_french(state: str) -> None:
    for action in ACTIONS:
        if state == "emeritus" and action == "join":
            continue  # emeritus members may join working groups
        with using_locale("fr"):
            roster_refusal = state_refusal(person(state), action)
            body_refusal = state_refusal(person("active", state), action)
        assert roster_refusal is not None and body_refusal is not None
        for message in (roster_refusal.message, body_refusal.message):
            assert message.startswith("Arjun Rao ") and english_in(message) == [], message
        assert "cette instance" in body_refusal.message
    with using_locale("fr"):
        refusal = state_refusal(person("suspended"), "vote")
    assert refusal is not None
    assert refusal.message == ("Arjun Rao est suspendu·e ; les membres suspendus ne peuvent pas voter.")
    with using_locale("en"):
        english = state_refusal(person("active", "suspended"), "propose")
    assert english is not None
    assert (
        english.message == "Arjun Rao is suspended in this body; suspended members may not propose motions."
    )


async def test_phase_refusals_and_role_changes_are_french(run: Run) -> None:
    ctx = run.ctx
    problems: list[str] = []
    with using_locale("fr"):
        for attempt in (
            elections.cast_ballot(ctx, await as_(ctx, "alice"), "board-2027", ["chen"]),
            elections.close(ctx, await as_(ctx, "sec"), "board-2027"),
            motions.vote(ctx, await as_(ctx, "alice"), run.roll_call_id, "no"),
            motions.close(ctx, await as_(ctx, "sec"), run.roll_call_id),
        ):
            with pytest.raises(GovError) as refused:
                await attempt
            problems += english_in(refused.value.message)
            assert "phase" in refused.value.message, refused.value.message
    assert problems == []

    sec = await as_(ctx, "sec")
    reply = await dispatch(ctx, sec, "body seat toc farid --role chair", tz=UTC, locale="fr")
    assert reply.ok, reply.text
    assert reply.text == "@farid a désormais le rôle présidence dans toc."
    await bodies.set_state(ctx, sec, "toc", "dana", "emeritus", "Congé sabbatique.")
    queued = await outbox.due(ctx, limit=500)
    notices = [notice_text(m, "fr") for m in queued if m.kind in ("membership.seated", "membership.state")]
    assert "Votre rôle dans Technical Oversight Committee est désormais : présidence." in notices
    assert (
        "Votre statut dans Technical Oversight Committee est désormais : émérite. Congé sabbatique."
        in notices
    )
    english = [notice_text(m, "en") for m in queued if m.kind in ("membership.seated", "membership.state")]
    assert "You are now chair of Technical Oversight Committee." in english
    assert [w for n in notices for w in english_in(n)] == []


async def test_a_meek_stv_result_and_motion_reasons_read_in_french(run: Run) -> None:
    stored = await elections.result(run.ctx, "board-2027")  # re-read from the database
    french = stored.to_text("fr")
    assert english_in(french) == [], french
    assert "Méthode : VUT Meek" in french and "T1 : premiers choix" in french
    assert "perdants certains éliminés" in french  # the round where Arjun Rao is excluded
    assert stored.to_text() == stored.to_text("en")
    assert "R1: first preferences" in stored.to_text()
    table = publish.round_table(json.loads(stored.dumps()), "fr")
    assert table is not None and all(lang == "fr" and not english_in(note) for _, note, lang in table.notes)

    with using_locale("fr"):
        reply = await dispatch(run.ctx, await as_(run.ctx, "sec"), "election result board-2027", locale="fr")
    assert reply.ok and reply.block is not None
    assert english_in(reply.text + "\n" + reply.block) == []

    for result in (run.roll_call, run.charter):
        reason = reason_text(result, "fr")
        assert reason != result["reason"] and english_in(reason) == [], reason
        assert reason.startswith(("Adoptée : quorum atteint", "Rejetée : quorum atteint"))
    alice = await as_(run.ctx, "alice")
    for command in (f"motion show {run.roll_call_id}", "election show board-2027", "body show toc", "whoami"):
        shown = await dispatch(run.ctx, alice, command, locale="fr")
        text = "\n".join([shown.text, shown.block or "", *(t.to_text() for t in shown.tables)])
        assert shown.ok and english_in(text) == [], text


def test_a_debian_result_with_drops_reads_in_french() -> None:
    # A beats the default on quorum but not by its 3:1 supermajority; B falls short of the quorum.
    ballots = (
        [["A", "FD", "B"]] * 4 + [["FD", "A", "B"]] * 2 + [["B", "FD", "A"]] * 1 + [["FD", "B", "A"]] * 3
    )
    profile = tally.Profile.from_names(["A", "B", "FD"], ballots)
    result = tally.count("debian", profile, 1, quorum=2, supermajority={0: 3})
    english = result.to_text()
    assert "dropped: quorum (1 < 2 above the default)" in english
    assert "dropped: majority (4/6 = 0.667 does not meet 3:1)" in english
    again = tally.Result.from_json(json.loads(result.dumps()))
    french = again.to_text("fr")
    assert english_in(french) == [], french
    assert "B abandonné·e : quorum (1 < 2 devant l'option par défaut)" in french
    assert "A abandonné·e : majorité (4/6 = 0,667 n'atteint pas 3:1)" in french
    assert french.splitlines()[1] == (
        "Paramètres : option par défaut : FD ; majorité qualifiée : A 3:1 ; quorum : 2 ; règle de majorité : "
        "règle actuelle"
    )


@pytest.mark.parametrize("preset", PRESETS)
def test_every_preset_explains_itself_in_french(preset: str) -> None:
    policy = load_policy(preset)
    for body in (
        BodyFacts("board", "Conseil", "board"),
        BodyFacts("toc", "Comité technique", "committee"),
        BodyFacts("docs", "Documentation", "working_group"),
    ):
        with using_locale("fr"):
            french = "\n".join(explain(policy, body))
        assert english_in(french) == [], french
        assert "Qui participe :" in french and "Statuts des membres :" in french
        assert "émérite : peut" in french or "émérite : aucune action permise." in french


def test_every_preset_rule_sentence_is_in_the_catalog() -> None:
    for preset in PRESETS:
        policy = load_policy(preset)
        for fn in (
            policy.may_vote,
            policy.may_stand,
            policy.may_nominate,
            policy.may_propose,
            policy.may_vote_on_motion,
            policy.may_run_elections,
            policy.may_chair,
        ):
            first = (fn.__doc__ or "").strip().split("\n\n")[0]
            sentence = " ".join(first.split())
            assert sentence in PRESET_RULES, f"{preset}.{fn.__name__}: add its docstring to PRESET_RULES"


async def test_a_result_recorded_before_notes_kept_their_ids_still_shows(run: Run) -> None:
    data = json.loads(run.board.dumps())
    data.pop("notes_i18n", None)
    for r in data["rounds"]:
        r.pop("note_i18n", None)
    old = tally.Result.from_json(data)
    assert "T1 : first preferences" in old.to_text("fr")  # shown as recorded, in English
    table = publish.round_table(data, "fr")
    assert table is not None and table.notes[0][1:] == ("first preferences", "en")


async def test_a_french_refusal_to_stand_names_no_english_state(ctx: Context) -> None:
    from governance import seed

    await seed.seed(ctx)
    sec = await roster.actor_for_handle(ctx, "sec")
    await roster.update_person(ctx, sec, "arjun", status="suspended")
    arjun = await roster.actor_for_handle(ctx, "arjun")
    reply = await dispatch(ctx, arjun, "election nominate board-2027", locale="fr")
    assert not reply.ok and english_in(reply.text) == [], reply.text
    assert "suspendu·e" in reply.text
    await elections.open_voting(ctx, sec, "board-2027", ctx.now() + timedelta(days=7))
    refused = await dispatch(ctx, arjun, "vote board-2027 chen", locale="fr")
    assert not refused.ok and english_in(refused.text) == [], refused.text


def _none_of_the_above_won() -> tally.Result:
    """A Debian count as govbot makes it (the default option added to the ballot), re-read from storage:
    None Of The Above wins over two candidates who pass the 3Q quorum but not the majority."""
    ballots = [["None Of The Above", "Developer 01", "Developer 02"]] * 8 + [
        ["Developer 01", "Developer 02", "None Of The Above"]
    ] * 6
    profile = tally.Profile.from_names(["Developer 01", "Developer 02", "None Of The Above"], ballots)
    result = tally.count(
        "debian", profile, 1, default=2, default_elects_nobody=True, quorum="3Q", electorate=16
    )
    return tally.Result.from_json(json.loads(result.dumps()))


def test_none_of_the_above_and_the_parameters_read_in_french() -> None:
    result = _none_of_the_above_won()
    french = result.to_text("fr").splitlines()
    assert "None Of The Above" not in "\n".join(french) and english_in("\n".join(french)) == []
    assert french[1] == (
        "Paramètres : option par défaut : Aucun des candidats ; quorum : 3Q ; règle de majorité : règle "
        "actuelle ; corps électoral : 16 ; Q : 2 ; R : 6 ; voix nécessaires : 6"
    )
    assert french[4].split() == ["Developer", "01", "6", "6x"]
    assert french[6].split() == ["Aucun", "des", "candidats", "0"]
    assert french[8] == (
        "T1 : quorum 3Q = 6 (Q = 2, corps électoral 16) : voix plaçant chaque option devant Aucun des "
        "candidats"
    )
    assert french[9] == (
        "T2 : majorité sur Aucun des candidats (règle actuelle) ; décomptes = V(option, option par défaut)"
    )
    assert "Classement : Aucun des candidats > Developer 01 = Developer 02" in french
    assert french[-1] == "Aucun des candidats (l'option par défaut) l'emporte : personne n'est élu"
    english = result.to_text().splitlines()
    assert english[1] == (
        "Parameters: default option: None Of The Above; quorum: 3Q; majority rule: current rule; "
        "electorate: 16; Q: 2; R: 6; votes needed: 6"
    )
    assert english[-1] == "None Of The Above (the default option) won: no one is elected"
    assert "Ranking: None Of The Above > Developer 01 = Developer 02" in english
    assert notes_in(result.to_json(), "fr")[-1] == french[-1]  # as the site shows the notes
    table = publish.round_table(result.to_json(), "fr")  # the site's table of rounds
    assert table is not None and [name for name, _cells in table.rows][-1] == "Aucun des candidats"
    assert table.notes[0][1] == french[8].removeprefix("T1 : ")


def test_a_default_option_that_is_a_real_candidate_keeps_its_name() -> None:
    """``govbot tally --default`` names a candidate of the file: it is not govbot's option, not translated."""
    profile = tally.Profile.from_names(["Lead", "None Of The Above"], [["None Of The Above", "Lead"]] * 3)
    result = tally.count("debian", profile, 1, default=1)
    french = result.to_text("fr")
    assert "Paramètres : option par défaut : None Of The Above ; règle de majorité : règle actuelle" in french
    assert "Classement : None Of The Above > Lead" in french


@pytest.mark.parametrize(
    ("method", "line"),
    [
        (
            "schulze",
            "Paramètres : force des défaites : voix gagnantes ; candidats non classés : classés après "
            "les candidats classés",
        ),
        (
            "ranked-pairs",
            "Paramètres : force des défaites : marges ; marges égales : voix gagnantes, puis tirage "
            "au sort ; candidats non classés : classés après les candidats classés",
        ),
        (
            "stv-meek",
            "Paramètres : décimales : 9 ; tolérance de convergence : 0,000001 ; arithmétique : "
            "décimales en virgule fixe",
        ),
        ("irv", "Paramètres : plusieurs candidats au même rang : bulletin rejeté"),
    ],
)
def test_every_methods_parameters_read_in_french(method: str, line: str) -> None:
    profile = tally.Profile.from_names(["A", "B", "C"], [["A", "B", "C"]] * 3 + [["B", "C", "A"]] * 2)
    text = tally.count(method, profile, 1).to_text("fr")
    assert text.splitlines()[1] == line
    assert "=" not in text.splitlines()[1] and "_" not in text.splitlines()[1]


def notice_text(message: outbox.Pending, locale: str) -> str:
    """A queued notice as a reader in ``locale`` gets it in the console."""
    return render_pending(message, locale=locale, platform="console").text
