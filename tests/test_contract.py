"""The model contract, checked once over every registered chapter model.

Every chapter's model must: give the same JSON in any process; carry the shared ``load``
object for both versions; refuse every kind of bad value for every dimension with a message
that names it and its range (in Python and on the command line); refuse another chapter's
dimensions; drive an explorer whose controls follow the metadata and whose figure changes
when a control moves, on axes that stay put; and play as a sweep player.
"""

from __future__ import annotations

import json
import math
import os
import re
import subprocess
import sys
from html import escape as html_escape

import ipywidgets as W
import pytest

from kscale_lab.chapters import CHAPTERS, MODELS
from kscale_lab.cli import main
from kscale_lab.dimensions import SHARED
from kscale_lab.figures import new_figure
from kscale_lab.player import sweep_player
from kscale_lab.widgets import Explorer

KEYS = list(MODELS)
LOAD_KEYS = {"requests_per_s", "rejected_per_s", "etcd_write_bytes_per_s",
             "watch_events_per_s", "watch_bytes_per_s"}


def _cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _moved(spec, value):
    """Another valid value of a dimension (for a control to move to)."""
    if spec.kind == "bool":
        return not value
    if spec.kind == "choice":
        return next(c for c in spec.choices if c != value)
    step = spec.step or (1 if spec.integer else (spec.hi - spec.lo) / 10)
    if spec.log:
        up = value * 2
        return (int(up) if spec.integer else up) if up <= spec.hi else \
            (int(value / 2) if spec.integer else value / 2)
    return value + step if value + step <= spec.hi else value - step


def _bad_values(spec) -> list:
    if spec.kind == "bool":
        return ["on", 2, None]
    if spec.kind == "choice":
        return ["no-such-choice", 3, None]
    return [spec.lo - (spec.step or 1), spec.hi + (spec.step or 1), float("nan"),
            float("inf"), -float("inf"), 10**400, "ten", True, None]


@pytest.mark.parametrize("key", KEYS)
def test_json_has_metrics_and_load_for_both_versions_and_round_trips(key, capsys):
    code, out, _ = _cli(capsys, "run", key, "--json")
    assert code == 0
    data = json.loads(out)
    summary = MODELS[key].summary(MODELS[key].compare())      # the model's own top-level keys
    assert set(data) == {"chapter", "dimensions", "naive", "improved"} | set(summary)
    assert data["chapter"] == key
    metrics = {f.name for f in MODELS[key].naive(MODELS[key].dimensions()).metric_fields()}
    for side in ("naive", "improved"):
        assert set(data[side]) == metrics | {"load"}
        assert LOAD_KEYS <= set(data[side]["load"])
    # the dimensions it printed, given back as options, give the same answer
    args = [f"--{name.replace('_', '-')}="
            f"{('on' if value else 'off') if isinstance(value, bool) else value}"
            for name, value in data["dimensions"].items()]
    code, again, _ = _cli(capsys, "run", key, "--json", *args)
    assert code == 0 and again == out


def test_a_summary_may_not_hide_the_comparison(monkeypatch):
    model = MODELS["heartbeats"]
    assert set(model.compare().as_dict()) == {"chapter", "dimensions", "naive", "improved"}
    monkeypatch.setattr(type(model), "summary", lambda self, c: {"naive": 0})
    with pytest.raises(ValueError, match="summary keys must not be .*heartbeats gives naive"):
        model.compare().as_dict()


def test_every_chapter_gives_byte_identical_json_in_two_processes():
    script = ("import sys\nfrom kscale_lab.cli import main\n"
              f"for key in {KEYS!r}:\n    main(['run', key, '--json'])\n")
    outs = []
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                              env=env, check=True)
        outs.append(proc.stdout)
    assert outs[0] == outs[1]
    assert len(outs[0].splitlines()) == len(KEYS)


@pytest.mark.parametrize("key", KEYS)
def test_every_dimension_refuses_every_kind_of_bad_value(key):
    model = MODELS[key]
    base = model.dimensions()
    for spec in model.dimensions.specs():
        for bad in _bad_values(spec):
            with pytest.raises(ValueError) as err:
                base.replace(**{spec.name: bad})
            message = str(err.value)
            assert message.startswith(f"{spec.name} must be {spec.allowed()}; got "), message
            assert len(message) < 300                    # no 300-digit numbers echoed


@pytest.mark.parametrize("key", KEYS)
def test_command_line_refuses_bad_values_in_one_line_with_the_range(key, capsys):
    model = MODELS[key]
    for spec in model.dimensions.specs():
        option = "--" + spec.name.replace("_", "-")
        for text in (["inf", "-inf", "-1e3", "1e999", "abc", str(spec.hi * 10 + 1)]
                     if spec.numeric else ["maybe"]):
            code, out, err = _cli(capsys, "run", key, option, text)
            assert code == 2 and out == "", (spec.name, text)
            assert len(err.strip().splitlines()) == 1
            assert spec.allowed() in err, err


@pytest.mark.parametrize("key", KEYS)
def test_command_line_help_lists_only_this_chapters_options(key, capsys):
    code, out, _ = _cli(capsys, "run", key, "--help")
    assert code == 0
    own = {"--" + s.name.replace("_", "-") for s in MODELS[key].dimensions.specs()}
    for other in KEYS:
        for s in MODELS[other].dimensions.specs():
            option = "--" + s.name.replace("_", "-")
            listed = re.search(rf"{re.escape(option)}(?![\w-])", out) is not None
            assert listed == (option in own), (key, option)


@pytest.mark.parametrize("key", KEYS)
def test_a_model_refuses_another_chapters_dimensions(key):
    model = MODELS[key]
    for other in KEYS:
        if MODELS[other].dimensions is model.dimensions:
            continue
        with pytest.raises(ValueError, match=f"{key} takes {model.dimensions.__name__}"):
            model.naive(MODELS[other].dimensions())


def test_shared_dimensions_have_one_range_everywhere():
    for model in MODELS.values():
        for spec in model.dimensions.specs():
            if spec.name in SHARED:
                shared = SHARED[spec.name]
                assert (spec.lo, spec.hi, spec.unit, spec.log) == \
                    (shared["lo"], shared["hi"], shared["unit"], shared.get("log", False)), \
                    (model.key, spec.name)


#: Dimensions that two chapters name alike but that are not (yet) one shared dimension:
#: ``horizon_s`` is each chapter's own simulated span (events simulates at most an hour);
#: ``hot_objects_per_node`` is counted in objects in chapter 6 and in pods in the capstone.
NOT_SHARED_YET = {"horizon_s", "hot_objects_per_node"}


def test_a_dimension_two_chapters_name_alike_is_declared_once():
    """A numeric dimension declared by two or more models is one of SHARED (so its range
    comes from one place), or has the same range, unit and scale everywhere."""
    seen: dict[str, set] = {}
    for model in MODELS.values():
        for spec in model.dimensions.specs():
            if spec.numeric:
                seen.setdefault(spec.name, set()).add((spec.lo, spec.hi, spec.unit, spec.log))
    for name, ranges in seen.items():
        if name in SHARED or name in NOT_SHARED_YET:
            continue
        assert len(ranges) == 1, (name, ranges)
    for name in ("grace_period_s", "max_requests_inflight", "endpoint_changes_per_s"):
        assert name in SHARED and len(seen[name]) == 1, (name, seen[name])


@pytest.mark.parametrize("key", KEYS)
def test_a_model_declares_its_dimensions_and_outcome_types(key):
    """``class XModel(Model[XDimensions, XOutcome])``: the declared dimensions are the
    model's ``dimensions`` and both versions return the declared outcome type."""
    import typing

    from kscale_lab.model import Model

    model = MODELS[key]
    bases = [b for b in type(model).__orig_bases__ if typing.get_origin(b) is Model]
    assert len(bases) == 1, type(model).__orig_bases__
    dims_type, outcome_type = typing.get_args(bases[0])
    assert dims_type is model.dimensions
    comparison = model.compare()
    assert type(comparison.naive) is outcome_type and type(comparison.improved) is outcome_type


def test_registry_names_each_chapter_once_and_its_files_exist():
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    numbers = [c.number for c in CHAPTERS]
    assert numbers == sorted(set(numbers))
    for chapter in CHAPTERS:
        assert all(m.chapter == chapter.number for m in chapter.models)
        for part, path in chapter.files.items():
            assert (root / path).exists(), (chapter.key, part, path)
        __import__(chapter.exercises_module)


@pytest.mark.parametrize("key", KEYS)
def test_explorer_controls_follow_the_metadata_and_a_move_redraws(key):
    model = MODELS[key]
    ex = Explorer(model)
    specs = model.dimensions.specs()
    assert list(ex.controls) == [s.name for s in specs]
    kinds = {"bool": W.Checkbox, "choice": W.Dropdown}
    for s in specs:
        control = ex.controls[s.name]
        expected = kinds.get(s.kind) or (W.FloatLogSlider if s.log else
                                         W.IntSlider if s.integer else W.FloatSlider)
        assert isinstance(control, expected), s.name
        assert control.tooltip == s.help
        if s.numeric:
            assert control.continuous_update is False     # no recompute while dragging
    first = ex.image.value
    assert first[:8] == b"\x89PNG\r\n\x1a\n"
    moved = False
    for s in specs:                      # the first dimension whose move the model accepts
        value = _moved(s, getattr(ex.dims, s.name))
        if ex.update(**{s.name: value}) is not None:
            moved = True
            break
    assert moved
    assert ex.image.value != first
    assert getattr(ex.dims, s.name) == value


@pytest.mark.parametrize("key", KEYS)
def test_figure_draws_data_on_axes_that_stay_put(key):
    model = MODELS[key]
    a = model.compare()
    numeric = [s for s in model.dimensions.specs() if s.numeric]
    b = None
    for s in numeric:
        try:
            b = model.compare(a.dimensions.replace(**{s.name: _moved(s, getattr(a.dimensions,
                                                                                 s.name))}))
        except ValueError:
            continue
        painter_class = model.painter()
        if painter_class.layout_key(b.dimensions) == painter_class.layout_key(a.dimensions):
            break
    fig = new_figure(model.painter().height_in)
    painter = model.painter()(fig, a.dimensions)
    limits = [(ax.get_xlim(), ax.get_ylim()) for ax in fig.axes]
    assert all(not ax.get_autoscale_on() for ax in fig.axes)
    for comparison in (a, b, a):
        artists = painter.draw(comparison)
        assert artists, "draw must return the artists it added"
        fig.canvas.draw()
        assert [(ax.get_xlim(), ax.get_ylim()) for ax in fig.axes] == limits
        for item in artists:
            item.remove()


@pytest.mark.parametrize("key", KEYS)
def test_sweep_player_has_a_frame_per_value(key):
    model = MODELS[key]
    spec = next(s for s in model.dimensions.specs() if s.numeric and s.hi_dim is None
                and model.painter().layout_key(model.dimensions()) ==
                model.painter().layout_key(model.dimensions().replace(
                    **{s.name: _moved(s, s.default)})))
    values = [spec.default, _moved(spec, spec.default)]
    html = sweep_player(model, spec.name, values).data
    assert html.count("data:image/png;base64") == 2
    alt = html_escape(model.painter().describe(), quote=True)
    assert 'type="range"' in html and f'alt="{alt}' in html
    assert "http" not in html.replace("http://www.w3.org", "")   # nothing from other hosts


def test_numbers_are_never_negative_zero():
    for model in MODELS.values():
        for _, outcome in model.compare():
            for name, value in outcome.metrics().items():
                if isinstance(value, float):
                    assert not (value == 0 and math.copysign(1, value) < 0), (model.key, name)


def test_every_model_runs_at_the_ends_of_every_range():
    """A slider pushed to either end of its range (or all of them to the top) gives an answer
    or a clear refusal, within bounded memory: run in a process limited to 3 GiB (a model
    that allocates without bound, as one once did at saturation, fails here instead of
    taking the learner's machine down). The timeout only guards against a hang."""
    script = """
import resource, sys
resource.setrlimit(resource.RLIMIT_AS, (3 * 1024**3, 3 * 1024**3))
from kscale_lab.chapters import MODELS
for key, m in MODELS.items():
    points = m.dimensions.range_ends()
    for _label, dims in points:
        m.compare(dims)
    print(key, len(points))
"""
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=900)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert len(proc.stdout.splitlines()) == len(KEYS)
