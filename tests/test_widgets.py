"""Widgets from metadata: one explorer for every chapter model."""

import ipywidgets as W
import matplotlib
import pytest

from kscale_lab.chapters import CHAPTERS
from kscale_lab.widgets import Explorer, explore

matplotlib.use("Agg")


@pytest.mark.parametrize("key", list(CHAPTERS))
def test_explorer_has_one_slider_per_dimension_from_metadata(key):
    model = CHAPTERS[key]
    ex = Explorer(model)
    specs = model.dimensions.specs()
    assert list(ex.sliders) == [s.name for s in specs]
    for s in specs:
        sl = ex.sliders[s.name]
        assert sl.continuous_update is False          # no recompute while dragging
        if s.log:
            assert isinstance(sl, W.FloatLogSlider)
            assert sl.min == pytest.approx(__import__("math").log10(max(s.lo, 1e-12)))
        elif s.integer:
            assert isinstance(sl, W.IntSlider) and (sl.min, sl.max) == (s.lo, s.hi)
        else:
            assert isinstance(sl, W.FloatSlider)
        assert s.help == sl.tooltip
    assert ex.comparison is not None


def test_moving_a_slider_recomputes_naive_and_improved():
    ex = explore("heartbeats", only=["nodes", "quota_gib"])
    assert set(ex.sliders) == {"nodes", "quota_gib"}
    before = ex.comparison.naive.nospace_at_s
    ex.sliders["nodes"].value = 100                    # what a user's slider does
    assert ex.dims.nodes == 100
    assert ex.comparison.naive.nospace_at_s is None and before is not None
    assert "never" in ex.table.value


def test_log_slider_values_are_rounded_into_the_dimension():
    ex = explore("heartbeats", only=["nodes"])
    ex.sliders["nodes"].value = 1234.56
    assert ex.dims.nodes == 1235 and isinstance(ex.dims.nodes, int)


def test_invalid_combination_keeps_last_figure_and_says_why():
    ex = explore("heartbeats", only=["status_update_period_s", "grace_period_s"])
    good = ex.comparison
    ex.sliders["status_update_period_s"].value = 120
    assert ex.comparison is good
    assert "grace_period_s must be longer" in ex.message.value
    ex.sliders["grace_period_s"].value = 200
    assert ex.comparison is not good and ex.message.value == ""


def test_unknown_dimension_in_only_is_an_error():
    with pytest.raises(ValueError, match="unknown dimension 'pods'"):
        explore("heartbeats", only=["pods"])
