"""Before week one: is a learner's environment ready, and do they have the background?

:func:`report` checks the environment the labs need — the Python the kernel runs, the
``kscale_lab`` package (its version and where it is imported from), the packages the labs
use, and the kernel — and prints one line per item. :func:`widget_check` shows a slider
whose label follows it: if moving the slider changes the sentence, widgets render and talk
to the kernel. :func:`figure_check` draws a small figure inline.

Four background questions follow (``q1`` … ``q4``): binary units, rates, a line of Python,
and which Kubernetes component runs on every node — each answer computed from the lab
package or by brute force, as in the chapters' exercises.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import platform
import re
import sys
from pathlib import Path
from typing import Any

from kscale_lab.exercises import check_choice, check_number, scoring
from kscale_lab.units import MiB

__all__ = ["MIN_PYTHON", "Q4_CHOICES", "WidgetCheck", "figure_check", "not_yet", "q1", "q2",
           "q3", "q4", "report", "score", "widget_check"]

#: The Python versions the course supports when its installed metadata cannot say
#: (``requires-python`` in pyproject.toml is the source; see :func:`required_python`).
MIN_PYTHON = (3, 10)
#: The packages a lab imports, and the distribution each comes from.
LAB_PACKAGES = {"numpy": "numpy", "matplotlib": "matplotlib", "simpy": "simpy",
                "ipywidgets": "ipywidgets", "IPython": "ipython"}

Q4_CHOICES = {"a": "the scheduler", "b": "the kubelet", "c": "etcd", "d": "the apiserver"}


__dir__, score, not_yet = scoring.check_module(__name__, __all__)


def _version(distribution: str) -> str | None:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return None


def required_python() -> str:
    """The course's ``Requires-Python`` (``">=3.10"``), from the installed package's
    metadata, so this check follows pyproject.toml; :data:`MIN_PYTHON` when not installed."""
    try:
        spec = importlib.metadata.metadata("kscale_lab").get("Requires-Python")
    except importlib.metadata.PackageNotFoundError:
        spec = None
    return spec or ">=" + ".".join(map(str, MIN_PYTHON))


def _release(version: str) -> tuple[int, ...]:
    """``"3.11.5"`` → ``(3, 11, 5)`` (a pre-release suffix such as ``rc1`` is dropped)."""
    return tuple(int(re.match(r"\d+", part).group()) for part in version.strip().split(".")
                 if re.match(r"\d+", part))


def python_ok(version: str, spec: str) -> bool:
    """Whether Python ``version`` (``"3.11.7"``) satisfies ``spec`` (``">=3.11.5"``, or
    several clauses separated by commas, with ``>=``, ``>``, ``<=``, ``<``, ``==``, ``!=``)."""
    have = _release(version)
    compare = {">=": lambda a, b: a >= b, ">": lambda a, b: a > b, "<=": lambda a, b: a <= b,
               "<": lambda a, b: a < b, "==": lambda a, b: a == b, "!=": lambda a, b: a != b}
    for clause in filter(None, (c.strip() for c in spec.split(","))):
        m = re.fullmatch(r"(>=|<=|==|!=|>|<)\s*([\d.]+)", clause)
        if not m:
            raise ValueError(f"spec must be clauses such as '>=3.11.5'; got {spec!r}")
        want = _release(m.group(2))
        width = max(len(have), len(want))
        pad = (have + (0,) * width)[:width], (want + (0,) * width)[:width]
        if not compare[m.group(1)](*pad):
            return False
    return True


def environment() -> list[tuple[str, bool, str]]:
    """Each check of the environment: ``(what, ok, detail)``."""
    import kscale_lab

    rows = []
    spec = required_python()
    rows.append(("Python", python_ok(platform.python_version(), spec),
                 f"{platform.python_version()} ({sys.executable}); the course needs "
                 f"Python {spec}"))
    where = Path(kscale_lab.__file__).resolve().parent
    rows.append(("kscale_lab", True, f"{kscale_lab.__version__}, imported from {where}"))
    for module, dist in LAB_PACKAGES.items():
        try:
            importlib.import_module(module)
        except ImportError as err:
            rows.append((module, False, f"cannot be imported: {err}"))
        else:
            rows.append((module, True, _version(dist) or "installed"))
    kernel = _version("ipykernel")
    in_kernel = "ipykernel" in sys.modules
    rows.append(("Jupyter kernel", in_kernel,
                 f"ipykernel {kernel}" if in_kernel else
                 "not running in a Jupyter kernel (open this notebook in JupyterLab)"))
    return rows


def report() -> bool:
    """Print one line per environment check; ``True`` when every one passed."""
    rows = environment()
    width = max(len(what) for what, _, _ in rows)
    for what, ok, detail in rows:
        print(f"{'ok     ' if ok else 'PROBLEM'} {what:<{width}}  {detail}")
    ok = all(ok for _, ok, _ in rows)
    print("Everything the labs need is here." if ok else
          "Fix the PROBLEM lines first (the README's quick start sets everything up).")
    return ok


# The heartbeat period the widget check's sentence counts with: the kubelet's NodeStatus
# update frequency and its Lease renew interval, both 10 s (KEP-589). Private, like the
# helpers below, so that the learner's namespace offers no calculator for question 2.
_HEARTBEAT_PERIOD_S = 10


def _heartbeats_per_min(nodes: int) -> int:
    """Heartbeats a minute from ``nodes`` kubelets, one every ``_HEARTBEAT_PERIOD_S``."""
    return nodes * 60 // _HEARTBEAT_PERIOD_S


def _sentence(nodes: int) -> str:
    """What the widget check says when its slider is at ``nodes``."""
    return (f"The slider is at {nodes}: {nodes} kubelet{'s' if nodes > 1 else ''}, "
            f"{_heartbeats_per_min(nodes)} heartbeats a minute. If this changes when you move "
            "the slider, widgets work.")


class WidgetCheck:
    """A slider and a sentence that follows it: moving the slider must change the sentence.

    In Jupyter it shows as the live widget. A page without a kernel (the course's website)
    cannot recompute the sentence, so there it shows a note that says so instead — with what
    the sentence says at each position, as a chart and a table — never a slider that moves
    while nothing changes (the lab explorers do the same, ``kscale_lab.widgets.Explorer``).
    """

    #: The slider's range and starting position (kubelets).
    NODES = range(1, 11)
    START = 1

    def __init__(self) -> None:
        import ipywidgets as W

        self.slider = W.IntSlider(value=self.START, min=self.NODES.start,
                                  max=self.NODES.stop - 1, description="nodes",
                                  continuous_update=False)
        self.said = W.Output()
        self.slider.observe(lambda change: self.say(change["new"]), names="value")
        self.say(self.slider.value)
        self.widget = W.VBox([self.slider, self.said])

    def say(self, nodes: int) -> None:
        """Replace the sentence under the slider by the one for ``nodes``."""
        self.said.clear_output()
        with self.said:
            print(_sentence(nodes))

    def figure_png(self) -> bytes:
        """The sentence's heartbeats a minute at every slider position, as a PNG chart."""
        import io

        from kscale_lab.style import new_figure

        fig = new_figure(2.6)
        ax = fig.subplots()
        nodes = list(self.NODES)
        ax.plot(nodes, [_heartbeats_per_min(n) for n in nodes], marker="o")
        ax.plot([self.START], [_heartbeats_per_min(self.START)], marker="o", markersize=10,
                fillstyle="none", color="black", label="where the slider starts")
        ax.set_xlabel("slider: nodes (kubelets)")
        ax.set_ylabel("heartbeats a minute")
        ax.set_xticks(nodes)
        ax.set_ylim(0, 1.1 * _heartbeats_per_min(nodes[-1]))
        ax.legend(loc="upper left", fontsize=8)
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=80)
        return buffer.getvalue()

    def figure_alt(self) -> str:
        first, last = self.NODES.start, self.NODES.stop - 1
        return (f"A line chart of the heartbeats a minute that the sentence reports against "
                f"the slider's position: {_heartbeats_per_min(first)} at {first} node, "
                f"{_heartbeats_per_min(1)} more for each node, {_heartbeats_per_min(last)} at "
                f"{last} nodes; a ring marks where the slider starts, at {self.START}.")

    def static_html(self) -> str:
        """What a page without a kernel shows instead of the live slider."""
        import base64
        import html

        from kscale_lab.tables import html_table

        png = base64.b64encode(self.figure_png()).decode("ascii")
        table = html_table(["slider (nodes)", "the sentence under it"],
                           [(n, _sentence(n)) for n in self.NODES], numeric=[0])
        return (
            '<div class="kscale-needs-kernel">'
            '<p class="kscale-needs-kernel-title">Widget check: needs a running Python kernel'
            "</p>"
            "<p>In Jupyter this is a slider (nodes, 1–10) with a sentence under it; moving the "
            "slider must change the sentence, which shows that widgets render and talk to "
            "the kernel. This page has no kernel to recompute the sentence, so instead of a "
            "slider that would move while its sentence stayed, it shows what the sentence "
            "says at each position. "
            '<span class="kscale-launch">Run this notebook in Jupyter to check your own '
            "setup.</span></p>"
            f'<img src="data:image/png;base64,{png}" alt="{html.escape(self.figure_alt())}">'
            f"{table}</div>")

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        """The live widget for Jupyter, and :meth:`static_html` for a page without a kernel."""
        bundle = dict(self.widget._repr_mimebundle_() or {})
        bundle["text/plain"] = ("Widget check: a slider and a sentence that follows it; it "
                                "needs Jupyter with a running kernel to show")
        bundle["text/html"] = self.static_html()
        return bundle


def widget_check() -> WidgetCheck:
    """A slider and a sentence that follows it: moving the slider must change the sentence.

    If the slider does not show at all, or the sentence does not change, widgets are not
    working in this Jupyter (the labs' explorers would not either).
    """
    return WidgetCheck()


def figure_check() -> Any:
    """A small figure: if it shows below the cell, Matplotlib draws inline."""
    from kscale_lab.style import new_figure

    fig = new_figure(2.0)
    ax = fig.subplots()
    ax.plot([0, 10, 20, 30], [0, 1, 2, 3], marker="o")
    ax.set_xlabel("seconds")
    ax.set_ylabel("heartbeats")
    return fig


def q1(answer: Any) -> bool:
    """How many bytes are 3 MiB?"""
    def expected() -> float:
        return 3 * MiB

    return check_number(
        answer, expected(), rel_tol=0.0, abs_tol=0.5, unit="B",
        right="the course counts bytes in binary units, as etcd's quota is set: KiB, MiB, "
              "GiB are powers of 1,024.",
        hint="a KiB is 2¹⁰ = 1,024 bytes, a MiB is 1,024 KiB; a MB (10⁶ bytes) is a "
             "different, smaller unit.")


def q2(answer: Any) -> bool:
    """5,000 kubelets each write every 10 s: writes per minute."""
    def expected() -> float:
        nodes, period_s = 5000, 10
        return nodes * 60 / period_s

    return check_number(
        answer, expected(), rel_tol=0.0, abs_tol=0.5, unit="writes/min",
        right="rates add up over the nodes: a small periodic write times thousands of nodes "
              "is a heavy load, which is the story of chapter 2.",
        hint="one kubelet writes 60 ÷ period times a minute; multiply by the nodes.")


def q3(answer: Any) -> bool:
    """How many of the numbers 1 … 1000 are divisible by 7 or by 11?"""
    def expected() -> int:
        return sum(1 for n in range(1, 1001) if n % 7 == 0 or n % 11 == 0)

    return check_number(
        answer, expected(), rel_tol=0.0, abs_tol=0.5, unit="",
        right="a comprehension and a sum are all the Python the labs ask of you; the rest "
              "is reading outputs.",
        hint="count with sum(1 for n in range(1, 1001) if ...), and mind the numbers "
             "divisible by both: count them once.")


def q4(answer: Any) -> bool:
    """Which component runs on every node and reports the node's status?"""
    def expected() -> str:
        """The component the lab's node dimension says every node runs."""
        from kscale_lab.heartbeats import HeartbeatDimensions

        runs = HeartbeatDimensions.spec("nodes").help.lower()
        found = [k for k, name in Q4_CHOICES.items() if name.split()[-1] in runs]
        if len(found) != 1:
            raise RuntimeError(f"question 4 no longer matches the lab: {found}")
        return found[0]

    return check_choice(
        answer, expected(), Q4_CHOICES,
        right="one per node: so anything it does periodically is multiplied by the number "
              "of nodes — the first dimension every chapter sweeps.",
        why={"a": "the scheduler is a control-plane component; it places pods on nodes.",
             "c": "etcd is the control plane's store; it keeps what the nodes report.",
             "d": "the apiserver is the control plane's front door; nodes talk to it."},
        hint="it is the node agent that starts the node's pods and reports back.")
