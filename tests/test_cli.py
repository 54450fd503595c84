"""The ``kscale`` command: list, run (table and JSON), and its errors (exit status 2)."""

import json
import subprocess
import sys

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


def test_run_heartbeats_json_has_the_contract_keys(capsys):
    code, out, _ = run(capsys, "run", "heartbeats", "--json")
    assert code == 0
    data = json.loads(out)
    assert set(data) == {"chapter", "dimensions", "naive", "improved"}
    assert data["chapter"] == "heartbeats"
    for version in ("naive", "improved"):
        for key in ("api_writes_per_s", "etcd_write_bytes_per_s", "etcd_peak_db_bytes",
                    "nospace_at_s", "notready_detection_s"):
            assert key in data[version]
    assert data["naive"]["nospace_at_s"] > 0
    assert data["improved"]["nospace_at_s"] is None


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
    (["run", "heartbeats", "--pods", "3"], "unknown dimension --pods for heartbeats"),
    (["run", "heartbeats", "--nodes", "-5"], "nodes must be a whole number from 1 to 15,000"),
    (["run", "heartbeats", "--nodes", "abc"], "nodes must be a number; got 'abc'"),
    (["run", "heartbeats", "--nodes", "2.5"], "got 2.5"),
    (["run", "heartbeats", "--nodes"], "--nodes needs a value"),
    (["run", "heartbeats", "--quota-gib", "nan"], "quota_gib must be a number from"),
    (["run"], "kscale run needs a chapter"),
    (["frobnicate"], "unknown command 'frobnicate'"),
])
def test_errors_exit_2_with_one_line_naming_the_problem(capsys, argv, needle):
    code, out, err = run(capsys, *argv)
    assert code == 2
    assert out == ""
    assert needle in err
    assert len(err.strip().splitlines()) == 1


def test_console_script_is_installed():
    out = subprocess.run([sys.executable, "-m", "kscale_lab.cli", "run", "heartbeats",
                          "--nodes", "0"], capture_output=True, text=True)
    assert out.returncode == 2 and "nodes must be" in out.stderr
