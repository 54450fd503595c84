"""Cross-cutting promises from the robustness review: the package is a regular one, the
command line starts without Matplotlib and survives a closed pipe, figures never pile up."""

from __future__ import annotations

import subprocess
import sys
import warnings
from pathlib import Path

import kscale_lab


def test_kscale_lab_is_a_regular_package_not_a_namespace():
    assert kscale_lab.__file__ is not None
    assert Path(kscale_lab.__file__).name == "__init__.py"
    assert len(list(kscale_lab.__path__)) == 1


def test_kscale_list_does_not_import_matplotlib():
    script = ("import sys, io, contextlib\nfrom kscale_lab.cli import main\n"
              "with contextlib.redirect_stdout(io.StringIO()):\n    main(['list'])\n"
              "print('matplotlib' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"


def test_a_closed_pipe_ends_the_command_quietly():
    proc = subprocess.Popen([sys.executable, "-m", "kscale_lab.cli", "list"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.close()          # like `kscale list | head -0`: gone before the first write
    err = proc.stderr.read().decode()
    proc.wait(timeout=60)
    assert "Traceback" not in err


def test_model_figures_are_not_kept_by_pyplot():
    import matplotlib.pyplot as plt

    from kscale_lab.chapters import get

    model = get("envelope")
    before = plt.get_fignums()
    with warnings.catch_warnings():
        warnings.simplefilter("error")     # pyplot warns when more than 20 figures are open
        for _ in range(25):
            model.figure()
    assert plt.get_fignums() == before


def test_the_vectorised_etcd_refuses_impossible_streams():
    import numpy as np
    import pytest

    from kscale_lab.etcd import PeriodicWriter, usage_timeline

    for kwargs, needle in ((dict(size_bytes=-1, period_s=10), "size_bytes"),
                           (dict(size_bytes=100, period_s=0), "period_s"),
                           (dict(size_bytes=100, period_s=2.5), "period_s"),
                           (dict(size_bytes=float("inf"), period_s=10), "size_bytes")):
        with pytest.raises(ValueError, match=needle):
            PeriodicWriter("w", np.zeros(3), **kwargs)
    with pytest.raises(ValueError, match="phases_s"):
        PeriodicWriter("w", np.array([-1.0]), 100, 10)
    for kwargs, needle in ((dict(live_bytes=-5), "live_bytes"),
                           (dict(live_bytes=0, quota_bytes=float("nan")), "quota_bytes"),
                           (dict(live_bytes=0, step_s=0), "step_s")):
        with pytest.raises(ValueError, match=needle):
            usage_timeline(np.ones(10), **kwargs)
    with pytest.raises(ValueError, match="bytes_per_step"):
        usage_timeline(np.array([1.0, -1.0]), live_bytes=0)


def test_a_refused_value_is_shown_with_every_digit_it_has():
    """Just above the top of every numeric range (by one part in 10¹²): the message shows
    the value as Python reads it back (its repr), not rounded to the allowed top."""
    import pytest

    from kscale_lab.chapters import MODELS

    for model in MODELS.values():
        for spec in model.dimensions.specs():
            if not spec.numeric:
                continue
            above = spec.hi * (1 + 1e-12) + 1e-12
            with pytest.raises(ValueError) as err:
                spec.check(above)
            assert str(err.value).endswith(f"; got {above!r}"), (model.key, str(err.value))


def test_an_outcome_that_allows_no_node_count_says_none():
    """A metric that has no value is None, and tables print its none-label, never a number
    that could be read as one (the envelope once printed "0 nodes")."""
    from kscale_lab.envelope import ClusterDimensions, EnvelopeModel

    out = EnvelopeModel().improved(ClusterDimensions(namespaces=1, services=50_000))
    assert out.min_nodes is None and out.max_nodes is None
    assert out.formatted()["max_nodes"] == ("none", "nodes")
