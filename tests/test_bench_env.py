"""``python scripts/bench.py`` started by an interpreter without the project's packages hands
over to ``./dev bench``; the project's own venv never does (a broken install must not loop)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from scripts import bench_env

ROOT = Path(__file__).resolve().parent.parent


def test_everything_importable_runs_here() -> None:
    assert bench_env.decide([], [], in_venv=False) == "run"
    assert bench_env.decide([], [], in_venv=True) == "run"


def test_a_foreign_interpreter_missing_anything_hands_over() -> None:
    assert bench_env.decide(["plyvel"], [], in_venv=False) == "dev"
    assert bench_env.decide([], ["pysyncobj"], in_venv=False) == "dev"


def test_the_project_venv_never_hands_over() -> None:
    assert bench_env.decide([], ["pysyncobj"], in_venv=True) == "run"  # peer says it is skipped
    assert bench_env.decide(["plyvel"], ["pysyncobj"], in_venv=True) == "fail"


def test_missing_reads_the_finder() -> None:
    absent = {"plyvel", "pysyncobj"}
    core, peer = bench_env.missing(lambda m: None if m in absent else object())
    assert core == ["plyvel"] and peer == ["pysyncobj"]
    assert bench_env.missing(lambda m: object()) == ([], [])


def test_the_venv_is_recognised_by_prefix() -> None:
    assert bench_env.in_project_venv(str(bench_env.VENV))
    assert not bench_env.in_project_venv("/usr")


def test_hand_over_execs_dev_bench_with_the_same_arguments(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[str, list[str]]] = []
    monkeypatch.setattr(bench_env, "missing", lambda: (["plyvel"], []))
    monkeypatch.setattr(bench_env, "in_project_venv", lambda: False)
    monkeypatch.setattr(bench_env.os, "execv", lambda path, args: calls.append((path, args)))
    bench_env.ensure(["all", "--base-port", "50000"])
    assert calls == [(str(ROOT / "dev"), [str(ROOT / "dev"), "bench", "all", "--base-port", "50000"])]


def test_a_broken_venv_exits_with_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bench_env, "missing", lambda: (["plyvel"], []))
    monkeypatch.setattr(bench_env, "in_project_venv", lambda: True)
    with pytest.raises(SystemExit) as exc:
        bench_env.ensure(["all"])
    assert "plyvel" in str(exc.value) and "\n" not in str(exc.value)


def test_dev_knows_the_bench_command() -> None:
    out = subprocess.run([str(ROOT / "dev"), "nonsense"], capture_output=True, text=True)
    assert out.returncode == 2 and "./dev bench" in out.stderr


def test_bench_runs_in_this_environment_without_handing_over() -> None:
    out = subprocess.run([sys.executable, str(ROOT / "scripts" / "bench.py"), "--help"], capture_output=True,
                         text=True, cwd=ROOT, timeout=60)
    assert out.returncode == 0 and "limits" in out.stdout and "./dev bench" not in out.stderr
