"""The explorer's promises: what the controls show is what was computed; ranges follow."""

import pytest

from kscale_lab.widgets import explore


def test_moving_a_slider_recomputes_naive_and_improved():
    ex = explore("heartbeats", only=["nodes", "quota_gib"])
    assert set(ex.controls) == {"nodes", "quota_gib"}
    before = ex.comparison.naive.nospace_at_s
    ex.controls["nodes"].value = 100                   # what a user's slider does
    assert ex.dims.nodes == 100
    assert ex.comparison.naive.nospace_at_s is None and before is not None
    assert "never" in ex.table.value


def test_log_slider_values_are_rounded_into_the_dimension():
    ex = explore("heartbeats", only=["nodes"])
    ex.controls["nodes"].value = 1234.56
    assert ex.dims.nodes == 1235 and isinstance(ex.dims.nodes, int)


def test_a_refused_move_puts_the_control_back_and_says_why():
    ex = explore("heartbeats", only=["status_update_period_s", "grace_period_s"])
    good, image = ex.comparison, ex.image.value
    ex.controls["status_update_period_s"].value = 120
    assert ex.comparison is good and ex.image.value == image
    assert ex.controls["status_update_period_s"].value == good.dimensions.status_update_period_s
    assert "grace_period_s must be longer" in ex.message.value
    # the next accepted move computes with what the controls show, not the refused value
    ex.controls["grace_period_s"].value = 200
    assert ex.dims.status_update_period_s == ex.controls["status_update_period_s"].value
    assert ex.message.value == ""


def test_a_range_that_depends_on_another_dimension_follows_it():
    ex = explore("heartbeats", only=["failed_node_at_s", "horizon_s"])
    assert ex.controls["failed_node_at_s"].max == ex.dims.horizon_s - 1
    ex.controls["horizon_s"].value = 600
    assert ex.controls["failed_node_at_s"].max == 599
    ex.controls["horizon_s"].value = 7200
    assert ex.controls["failed_node_at_s"].max == 7199


def test_static_parts_are_drawn_once_and_again_only_when_an_axis_changes():
    ex = explore("heartbeats", only=["nodes", "quota_gib"])
    assert ex.live.full_redraws == 1
    ex.controls["nodes"].value = 3000
    assert ex.live.full_redraws == 1                   # same axes: data only
    ex.controls["quota_gib"].value = 4.0
    assert ex.live.full_redraws == 2                   # the quota sets the y-axis


def test_unknown_dimension_in_only_is_an_error():
    with pytest.raises(ValueError, match="unknown dimension 'pods'"):
        explore("heartbeats", only=["pods"])
