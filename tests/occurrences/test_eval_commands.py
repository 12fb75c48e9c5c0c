"""casebridge eval duplicates|logs on tiny data sets in the documented formats."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

REPORTS = [
    (
        "1",
        "2024-01-01 10:00:00",
        "NameNode crashes with OutOfMemoryError on startup",
        "heap exhausted",
    ),
    ("2", "2024-01-02 10:00:00", "Docs typo in the quickstart guide", "spelling"),
    (
        "3",
        "2024-01-03 10:00:00",
        "NameNode OutOfMemoryError during startup",
        "the heap is exhausted",
    ),
    ("4", "2024-01-04 10:00:00", "Balancer too slow on large clusters", "takes days"),
    (
        "5",
        "2024-01-05 10:00:00",
        "Balancer very slow for large clusters",
        "it takes days to finish",
    ),
    ("6", "2024-01-06 10:00:00", "Web UI shows wrong timezone", "UTC instead of local"),
]
PAIRS = [("3", "1"), ("5", "4"), ("7", "6")]  # 7 does not exist: one skipped pair


def _write(path: Path, header: list[str], rows: list[tuple[str, ...]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "casebridge.cli", "eval", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


def test_eval_duplicates_json_shape_and_figures(tmp_path: Path) -> None:
    _write(
        tmp_path / "tiny_bugs.csv",
        ["Summary", "Issue id", "Created", "Description", "Affects Version/s"],
        [(s, i, c, d, "1.0") for i, c, s, d in REPORTS],
    )
    _write(tmp_path / "tiny_bugs-combined.csv", ["Issue id", "Duplicate id"], PAIRS)
    done = _run("duplicates", "--data", str(tmp_path), "--json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["dataset"] == "tiny" and result["queries"] == 2 and result["skipped"] == 1
    keys = {"recall@1", "recall@5", "recall@10", "map", "ms_per_query"}
    assert set(result["ours"]) == keys and set(result["bm25"]) == keys
    assert result["ours"]["recall@5"] == 1.0


def test_eval_duplicates_refuses_a_folder_without_data(tmp_path: Path) -> None:
    done = _run("duplicates", "--data", str(tmp_path))
    assert done.returncode == 2
    assert "*_bugs.csv" in done.stderr


def test_eval_logs_on_a_labelled_system(tmp_path: Path) -> None:
    system = tmp_path / "Tiny"
    system.mkdir()
    lines, rows = [], []
    for n in range(40):
        if n % 2:
            content, template, event = (
                f"Connection from 10.0.0.{n} closed",
                "Connection from <*> closed",
                "E1",
            )
        else:
            content, template, event = (
                f"Job {1000 + n} finished with status {n}",
                "Job <*> finished with status <*>",
                "E2",
            )
        lines.append(f"2024-01-01 10:00:{n:02d} INFO worker: {content}")
        rows.append((str(n + 1), content, event, template))
    (system / "Tiny_2k.log").write_text("\n".join(lines) + "\n", encoding="utf-8")
    _write(
        system / "Tiny_2k.log_structured.csv",
        ["LineId", "Content", "EventId", "EventTemplate"],
        rows,
    )
    done = _run("logs", "--data", str(tmp_path), "--json", "--repeats", "1")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert set(result["average"]) == {"ours_raw", "ours_content", "drain3_content"}
    assert result["systems"]["Tiny"]["ours_raw"]["ga"] == 1.0
    assert result["systems"]["Tiny"]["ours_raw"]["pa"] == 1.0


@pytest.mark.parametrize("verb", ["duplicates", "logs"])
def test_eval_refuses_a_missing_folder(verb: str, tmp_path: Path) -> None:
    done = _run(verb, "--data", str(tmp_path / "missing"))
    assert done.returncode == 2
    assert "is not a directory" in done.stderr
