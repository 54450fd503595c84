"""``kscale handout DEST``: the learner notebooks, copied without ever overwriting a file."""

from pathlib import Path

import pytest

from kscale_lab import cli

ROOT = Path(__file__).resolve().parent.parent


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = cli.main(["handout", *map(str, args)])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_everything_a_learner_needs_and_no_solutions(tmp_path, capsys):
    code, out, _ = run(capsys, tmp_path)
    assert code == 0
    copied = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*.ipynb"))
    expected = sorted(p.relative_to(ROOT).as_posix()
                      for folder in ("notebooks", "exercises")
                      for p in (ROOT / folder).glob("*.ipynb")
                      if not p.stem.endswith("-solutions"))
    assert copied == expected
    for rel in copied:
        assert (tmp_path / rel).read_bytes() == (ROOT / rel).read_bytes()
    assert f"{len(expected)} copied, 0 skipped" in out


def test_an_existing_file_is_never_overwritten_and_is_named(tmp_path, capsys):
    mine = tmp_path / "exercises" / "01-envelope.ipynb"
    mine.parent.mkdir()
    mine.write_text("my answers")
    code, out, _ = run(capsys, tmp_path, "envelope")
    assert code == 0
    assert mine.read_text() == "my answers"
    assert "skipped  exercises/01-envelope.ipynb" in out
    assert "copied   notebooks/01-envelope.ipynb" in out


def test_a_second_handout_skips_everything(tmp_path, capsys):
    run(capsys, tmp_path, "heartbeats")
    (tmp_path / "notebooks" / "02-heartbeats.ipynb").write_text("edited")
    code, out, _ = run(capsys, tmp_path, "heartbeats")
    assert code == 0 and "0 copied, 2 skipped" in out
    assert (tmp_path / "notebooks" / "02-heartbeats.ipynb").read_text() == "edited"


def test_keys_limit_the_handout(tmp_path, capsys):
    run(capsys, tmp_path, "prerequisites", "envelope")
    assert sorted(p.name for p in tmp_path.rglob("*.ipynb")) == \
        ["00-prerequisites.ipynb", "01-envelope.ipynb", "01-envelope.ipynb"]


@pytest.mark.parametrize("args, needle", [
    ((), "needs a destination"),
    (("{tmp}", "nope"), "unknown chapter 'nope'"),
    (("{file}",), "is not a folder"),
])
def test_bad_arguments_exit_2_with_one_line(tmp_path, capsys, args, needle):
    afile = tmp_path / "a-file"
    afile.write_text("")
    args = [a.format(tmp=tmp_path / "d", file=afile) for a in args]
    code, _, err = run(capsys, *args)
    assert code == 2 and needle in err and err.count("\n") == 1
