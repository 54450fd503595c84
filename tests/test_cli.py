"""The ``kscale`` command: list, run (table and JSON), and its errors (exit status 2)."""

import importlib.metadata as metadata
import json
import subprocess
import sys
from pathlib import Path

import pytest

from kscale_lab.cli import main


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_list_shows_every_chapter_and_dimension_with_range_and_unit(capsys):
    code, out, _ = run(capsys, "list")
    assert code == 0
    assert "heartbeats  (chapter 2: Node heartbeats)" in out
    assert "--images-per-node" in out and "0 … 50 images" in out
    assert "envelope" in out


def test_run_accepts_dash_and_equals_forms(capsys):
    code, out, _ = run(capsys, "run", "heartbeats", "--nodes", "100", "--quota_gib=4", "--json")
    assert code == 0
    dims = json.loads(out)["dimensions"]
    assert dims["nodes"] == 100 and dims["quota_gib"] == 4.0


def test_run_table_output(capsys):
    code, out, _ = run(capsys, "run", "heartbeats", "--nodes", "500")
    assert code == 0
    assert "nospace_at_s" in out and "never" in out and "nodes=500" in out


@pytest.mark.parametrize("argv, needle", [
    (["run", "nope"], "unknown chapter 'nope'"),
    (["run", "heartbeats", "--pods", "3"], "unrecognized arguments: --pods 3 for heartbeats"),
    (["run", "heartbeats", "--nodes"], "--nodes: expected one argument"),
    (["run"], "kscale run needs a chapter"),
    (["run", "--nodes", "3"], "kscale run needs a chapter first"),
    (["list", "extra"], "kscale list takes no arguments"),
    (["frobnicate"], "unknown command 'frobnicate'"),
    (["run", "heartbeats", "--horizon-s", "60"],
     "horizon_s = 60 s conflicts with failed_node_at_s = 100 s (its default)"),
    # a value that starts with "-" is the option's value, refused with the range
    (["run", "heartbeats", "--nodes", "-inf"],
     "nodes must be a whole number from 1 to 15,000 nodes; got -inf"),
    (["run", "heartbeats", "--nodes", "-5"],
     "nodes must be a whole number from 1 to 15,000 nodes; got -5"),
    (["run", "heartbeats", "--nodes", "-1e3"],
     "nodes must be a whole number from 1 to 15,000 nodes; got -1,000"),
    (["run", "heartbeats", "--quota_gib", "-0.5"],
     "quota_gib must be a number from 0.01 to 8 GiB; got -0.5"),
    # a refused value is shown as given, never rounded to one that looks allowed
    (["run", "heartbeats", "--nodes", "100.0000000001"],
     "nodes must be a whole number from 1 to 15,000 nodes; got 100.0000000001"),
    (["run", "heartbeats", "--quota-gib", "8.000000000000002"],
     "got 8.000000000000002"),
    (["run", "heartbeats", "--nodes", "1e308"], "got 1e+308"),
    (["run", "heartbeats", "--nodes", "--json"], "--nodes: expected one argument"),
])
def test_errors_exit_2_with_one_line_naming_the_problem(capsys, argv, needle):
    code, out, err = run(capsys, *argv)
    assert code == 2
    assert out == ""
    assert needle in err
    assert len(err.strip().splitlines()) == 1


def test_run_help_without_a_chapter_lists_the_chapters(capsys):
    for flag in ("-h", "--help"):
        code, out, _ = run(capsys, "run", flag)
        assert code == 0 and "heartbeats" in out and "kube-proxy" in out


def test_a_metric_with_no_value_is_printed_with_its_none_label(capsys):
    """50,000 services in one namespace exceed the 10,000 services per cluster at any size:
    the envelope allows no node count, printed "none" (JSON null), not 0 nodes."""
    code, out, _ = run(capsys, "run", "envelope", "--namespaces", "1", "--services", "50000")
    assert code == 0
    rows = {line.split()[0]: line.split()[1:] for line in out.splitlines() if line.strip()}
    assert rows["min_nodes"] == ["1", "none", "nodes"]
    assert rows["max_nodes"] == ["5,000", "none", "nodes"]
    code, out, _ = run(capsys, "run", "envelope", "--namespaces", "1", "--services", "50000",
                       "--json")
    improved = json.loads(out)["improved"]
    assert improved["min_nodes"] is None and improved["max_nodes"] is None


def test_minus_zero_is_printed_as_zero(capsys):
    code, out, _ = run(capsys, "run", "heartbeats", "--other-kib-per-node", "-0", "--json")
    assert code == 0 and json.loads(out)["dimensions"]["other_kib_per_node"] == 0
    assert "-0" not in out


def test_a_terminal_that_cannot_show_unicode_gets_ascii():
    out = subprocess.run([sys.executable, "-m", "kscale_lab.cli", "run", "heartbeats",
                          "--nodes", "100"], capture_output=True,
                         env={"PYTHONIOENCODING": "ascii", "PATH": ""})
    assert out.returncode == 0, out.stderr
    assert b"Node heartbeats - NodeStatus" in out.stdout


def test_the_kscale_command_is_installed_and_runs_the_cli():
    (entry,) = [e for e in metadata.entry_points(group="console_scripts") if e.name == "kscale"]
    assert entry.value == "kscale_lab.cli:main"
    script = Path(sys.executable).with_name("kscale")
    assert script.is_file(), f"{script} is missing: run `make setup`"
    out = subprocess.run([str(script), "run", "heartbeats", "--nodes", "0"],
                         capture_output=True, text=True)
    assert out.returncode == 2 and "nodes must be" in out.stderr


def test_heartbeats_table_and_json_flag_a_detection_after_the_run(capsys):
    args = ["run", "heartbeats", "--nodes", "100", "--failed-node-at-s", "3599"]
    assert main(args) == 0
    row = next(line for line in capsys.readouterr().out.splitlines()
               if line.startswith("detected_after_run"))
    assert row.split()[1:3] == ["yes", "yes"]
    assert main(args + ["--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["naive"]["detected_after_run"] is True
    assert out["improved"]["detected_after_run"] is True
