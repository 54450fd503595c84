"""Sweep players: precomputed frames that play in plain HTML, on one set of axes."""

import pytest

from kscale_lab.player import sweep_frames, sweep_player


def test_frames_follow_the_dimension():
    frames = sweep_frames("heartbeats", "nodes", [1000, 5000], quota_gib=2)
    assert [f.dimensions.nodes for f in frames] == [1000, 5000]
    assert frames[0].naive.nospace_at_s is None and frames[1].naive.nospace_at_s is not None


def test_bad_sweep_values_name_the_dimension():
    with pytest.raises(ValueError, match="nodes must be a whole number from 1"):
        sweep_frames("heartbeats", "nodes", [0, 10])
    with pytest.raises(ValueError, match="unknown dimension 'pods'"):
        sweep_frames("heartbeats", "pods", [1])
    with pytest.raises(ValueError, match="values must list at least one nodes"):
        sweep_frames("heartbeats", "nodes", [])


def test_a_sweep_that_would_move_the_axes_is_refused():
    with pytest.raises(ValueError, match="changes the figure's axes"):
        sweep_player("heartbeats", "quota_gib", [1.0, 2.0])
