"""Dimensions as data: validation messages name the field, its range and the value."""

from dataclasses import dataclass

import pytest

from kscale_lab.dimensions import DimensionConflict, Dimensions, choice, dimension, flag
from kscale_lab.heartbeats import HeartbeatDimensions


@dataclass(frozen=True)
class Toy(Dimensions):
    nodes: int = dimension(100, lo=1, hi=5000, unit="nodes", help="Nodes")
    ratio: float = dimension(0.5, lo=0.0, hi=1.0, help="A fraction")


@pytest.mark.parametrize("value, shown", [
    (-3, "got -3"), (0, "got 0"), (5001, "got 5,001"), (2.5, "got 2.5"),
    (float("nan"), "got NaN"), ("ten", "got 'ten' (str)"), (True, "got True (bool)"),
    (None, "got None"),
])
def test_bad_values_name_field_range_and_value(value, shown):
    with pytest.raises(ValueError) as err:
        Toy(nodes=value)
    msg = str(err.value)
    assert msg.startswith("nodes must be a whole number from 1 to 5,000 nodes")
    assert shown in msg


def test_float_dimension_rejects_out_of_range_and_inf():
    with pytest.raises(ValueError, match=r"ratio must be a number from 0 to 1; got 1.5"):
        Toy(ratio=1.5)
    with pytest.raises(ValueError, match="ratio .* got inf"):
        Toy(ratio=float("inf"))


def test_values_are_normalised_and_frozen():
    t = Toy(nodes=10.0, ratio=1)
    assert t.nodes == 10 and isinstance(t.nodes, int)
    assert isinstance(t.ratio, float)
    with pytest.raises(AttributeError):
        t.nodes = 3  # type: ignore[misc]


def test_specs_carry_metadata_and_replace_validates():
    spec = Toy.spec("nodes")
    assert (spec.lo, spec.hi, spec.unit, spec.integer) == (1, 5000, "nodes", True)
    assert spec.default == 100
    assert Toy().replace(nodes=7).nodes == 7
    with pytest.raises(ValueError, match="unknown dimension 'pods'"):
        Toy().replace(pods=3)
    with pytest.raises(ValueError, match="nodes must be"):
        Toy().replace(nodes=0)


def test_cross_field_rule_names_both_fields():
    with pytest.raises(ValueError, match="grace_period_s must be longer than the "
                                         "status_update_period_s"):
        HeartbeatDimensions(status_update_period_s=60, grace_period_s=40)
    with pytest.raises(ValueError, match="failed_node_at_s must be from 0 to horizon_s − 1"):
        HeartbeatDimensions(failed_node_at_s=4000, horizon_s=3600)


def test_a_conflict_names_the_value_given_and_the_value_kept():
    with pytest.raises(DimensionConflict) as err:
        HeartbeatDimensions().replace(horizon_s=60)
    assert str(err.value).startswith("horizon_s = 60 s conflicts with failed_node_at_s = 100 s "
                                     "(its default)")
    assert set(err.value.fields) == {"failed_node_at_s", "horizon_s"}


@dataclass(frozen=True)
class Kinds(Dimensions):
    mode: str = choice("rr", choices=("rr", "lc"), help="IPVS scheduler")
    bookmarks: bool = flag(False, help="allowWatchBookmarks")


def test_choices_and_flags_check_and_parse():
    assert Kinds(mode="LC ").mode == "lc"
    with pytest.raises(ValueError, match="mode must be one of 'rr', 'lc'; got 'wrr'"):
        Kinds(mode="wrr")
    with pytest.raises(ValueError, match="bookmarks must be on or off; got 1"):
        Kinds(bookmarks=1)
    assert Kinds.spec("bookmarks").parse("on") is True
    assert Kinds.spec("bookmarks").parse("off") is False
    assert Kinds.spec("mode").parse("lc") == "lc"


def test_numpy_scalars_are_accepted_and_huge_numbers_refused_plainly():
    import numpy as np

    assert Toy(nodes=np.int64(7)).nodes == 7 and Toy(ratio=np.float32(0.5)).ratio == 0.5
    with pytest.raises(ValueError, match=r"got 1.000e\+400"):
        Toy(nodes=10**400)


@dataclass(frozen=True)
class Capped(Dimensions):
    low: int = dimension(10, lo=1, hi=100, help="At most high")
    high: int = dimension(50, lo=1, hi=100, help="At least low")

    def check(self) -> None:
        if self.low > self.high:
            raise DimensionConflict("low must not exceed high", ("low", "high"))


def test_range_ends_are_the_defaults_each_end_alone_and_all_tops_once():
    points = dict(Toy.range_ends())
    assert points == {"defaults": Toy(), "nodes=lo": Toy(nodes=1), "nodes=hi": Toy(nodes=5000),
                      "ratio=lo": Toy(ratio=0.0), "ratio=hi": Toy(ratio=1.0),
                      "every dimension at its top": Toy(nodes=5000, ratio=1.0)}


def test_range_ends_skip_what_a_rule_forbids_and_repeat_no_point():
    # low=100 and high=1 each break low <= high; all at the top is low=10 (its top refused),
    # high=100: the same point as high=hi, listed once.
    assert Capped.range_ends() == [("defaults", Capped()), ("low=lo", Capped(low=1)),
                                   ("high=hi", Capped(high=100))]
