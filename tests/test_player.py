"""Sweep players: precomputed frames that play in plain HTML."""

import re

import matplotlib
import pytest

from kscale_lab.player import sweep_frames, sweep_player

matplotlib.use("Agg")


def test_player_has_one_frame_per_value_and_a_slider():
    html = sweep_player("heartbeats", "nodes", [100, 1000, 5000]).data
    assert len(re.findall(r"data:image/png;base64", html)) == 3
    assert 'type="range"' in html
    assert 'alt="Node heartbeats: the chapter' in html and "from 100 to 5,000 nodes" in html
    assert "http" not in html.replace("http://www.w3.org", "")   # nothing from other hosts


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
