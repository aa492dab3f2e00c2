"""``govbot tally``: JSON/text output, options, and clear errors with exit status 2."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from governance.tally.cli import main


def test_json_for_scottish_stv(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = data_dir / "droop/blt/scotland/Calton-2007.blt"
    assert main([str(path), "--method", "stv-scottish", "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["method"] == "stv-scottish" and out["seats"] == 3
    assert out["elected"] == ["George Redmond", "Alison E Thewliss", "Ruth Simpson"]
    assert out["rounds"][1]["counts"]["Gary Barton"] == "130.40863"


def test_names_exactly_as_in_file(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = data_dir / "droop/blt/scotland/Canal-2007.blt"
    assert main([str(path), "--method", "stv-meek", "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert "Ellen   Hurcombe" in out["elected"]


def test_text_for_irv_with_overvote_and_seed(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = data_dir / "preflib/burlington/00005-00000002.toi"
    code = main([str(path), "--method", "irv", "--seats", "1", "--overvote", "exhaust", "--seed", "s"])
    assert code == 0
    assert "Elected: Bob Kiss" in capsys.readouterr().out


def test_plurality_seats_from_option(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "x.soi"
    f.write_text(
        "# ALTERNATIVE NAME 1: A\n# ALTERNATIVE NAME 2: B\n# ALTERNATIVE NAME 3: C\n5: 1\n3: 2\n1: 3\n"
    )
    assert main([str(f), "--method", "plurality", "--seats", "2", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["elected"] == ["A", "B"]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--method", "irv"], "strict rankings"),
        (["--method", "borda"], "invalid choice"),
        (["--method", "irv", "--default", "2"], "only to --method debian"),
        (["--method", "debian", "--default", "99"], "between 1 and"),
        (["--method", "debian", "--supermajority", "x"], "N:R"),
        (["--method", "plurality", "--overvote", "skip"], "only to --method irv"),
    ],
)
def test_errors_exit_2_without_traceback(
    data_dir: Path, capsys: pytest.CaptureFixture[str], args: list[str], expected: str
) -> None:
    path = data_dir / "preflib/burlington/00005-00000002.toi"
    assert main([str(path), *args]) == 2
    err = capsys.readouterr().err
    assert expected in err and "Traceback" not in err


def test_malformed_file_reports_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "bad.blt"
    f.write_text('2 1\n1 1 7 0\n0\n"A"\n"B"\n')
    assert main([str(f), "--method", "stv-scottish"]) == 2
    err = capsys.readouterr().err
    assert "bad.blt, line 2" in err and "candidate number between 1 and 2" in err


def test_module_entry_point(data_dir: Path) -> None:
    path = data_dir / "droop/blt/42.blt"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "governance.tally.cli",
            str(path),
            "--method",
            "stv-scottish",
            "--format",
            "json",
        ],
        capture_output=True,
        text=True,
        check=False,
        cwd=Path(__file__).parents[3],
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["method"] == "stv-scottish"
    missing = subprocess.run(
        [sys.executable, "-m", "governance.tally.cli", "nope.blt", "--method", "irv"],
        capture_output=True,
        text=True,
        check=False,
        cwd=Path(__file__).parents[3],
    )
    assert missing.returncode == 2 and "Traceback" not in missing.stderr
