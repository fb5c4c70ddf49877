"""`make bench`'s report: docs/performance.md's tables are the stored run, the memory model,
and the round-trip budgets that make `make bench` fail."""

import copy
import json

import pytest

from bench import __main__ as bench_main
from bench import report
from localrun import template

RESULTS = json.loads(bench_main.RESULTS.read_text())


def test_the_readme_shows_the_stored_run(tmp_path):
    """Every generated section has its markers in docs/performance.md, and what is between them is exactly
    what `make bench-readme` makes of bench/results.json (edit the run, not the tables)."""
    copy_of_readme = tmp_path / "README.md"
    copy_of_readme.write_text(report.README.read_text())
    replaced = report.rewrite_readme(RESULTS, copy_of_readme)
    assert replaced == list(report.sections(RESULTS))
    assert copy_of_readme.read_text() == report.README.read_text(), "run `make bench-readme`"


def test_rewriting_replaces_only_between_the_markers(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text("before\n<!-- bench:warm -->\nold table\n<!-- /bench:warm -->\nafter\n")
    assert report.rewrite_readme(RESULTS, readme) == ["warm"]
    once = readme.read_text()
    assert once.startswith("before\n<!-- bench:warm -->\n| path |")
    assert once.endswith("<!-- /bench:warm -->\nafter\n")
    assert "old table" not in once
    report.rewrite_readme(RESULTS, readme)
    assert readme.read_text() == once  # idempotent


def test_the_memory_model_is_the_templates():
    tmpl = template.load()
    function = tmpl["Resources"]["TokenFunction"]["Properties"]
    assert function["MemorySize"] == {"Ref": "TokenFunctionMemory"}
    assert tmpl["Parameters"]["TokenFunctionMemory"]["Default"] == report.TOKEN_MEMORY_MB


@pytest.mark.parametrize(("memory", "share"), [(512, 512 / 1769), (1769, 1.0), (4096, 1.0)])
def test_a_single_thread_gets_at_most_one_vcpu(memory, share):
    assert report.vcpu(memory) == pytest.approx(share)
    assert report.duration(10.0, memory, 2) == pytest.approx(10.0 / share + 2 * report.ROUND_TRIP_MS)


def test_cost_grows_with_memory_once_the_vcpu_is_full():
    rows = {row[0]: float(row[3].strip("$")) for row in report.memory_table(RESULTS)}
    assert rows["2048 MB"] > rows["1769 MB"]


def test_a_path_over_its_round_trip_budget_fails_the_bench(capsys):
    assert bench_main.show(RESULTS) == []
    over = copy.deepcopy(RESULTS)
    over["requests"]["authorizer, opaque token"]["round_trips"] = 2
    assert bench_main.show(over) == ["authorizer, opaque token: 2 round trips > budget 1"]
    assert "OVER BUDGET" in capsys.readouterr().out


def test_the_bench_prints_the_four_goal_rows_as_min_median_max(capsys):
    assert "goals" in RESULTS, "run make bench: the stored run predates the goal rows"
    bench_main.show(RESULTS)
    printed = capsys.readouterr().out.split("[goals: paired ratios, min / median / max]")[1]
    rows = [line for line in printed.splitlines()[1:9] if line.startswith("  ")]
    assert len(rows) == 7  # two cold, four warm paths, the logs' share
    assert all(" / " in row and "(goal ≤" in row and row.rstrip().endswith(("met", "MISSED")) for row in rows)


def test_a_missed_goal_says_so():
    missed = copy.deepcopy(RESULTS)
    missed["goals"]["warm"]["client credentials"]["median"] = 9.0
    row = next(r for r in report.goal_rows(missed) if r[0].endswith("client credentials"))
    assert row[2] == "9.00" and row[-1] == "MISSED"
