"""The prerequisites notebook's widget check: live in Jupyter, honest on a page without a
kernel (the note the lab explorers show: no slider that moves while nothing recomputes)."""

import base64
import re

import pytest

from kscale_lab.exercises import prerequisites as pre

NOTE = re.compile(r'<div class="kscale-needs-kernel">(.*?)</table></div></div>', re.DOTALL)


@pytest.fixture(scope="module")
def check():
    return pre.widget_check()


def test_jupyter_gets_the_live_widget_and_the_static_site_a_note(check):
    bundle = check._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert "needs Jupyter with a running kernel" in bundle["text/plain"]
    assert "<input" not in bundle["text/html"] and "slider" in bundle["text/html"]


def test_the_note_has_what_a_lab_pages_note_has(check):
    """The same parts tests/test_site.py requires of every explorer's note."""
    (note,) = NOTE.findall(check.static_html())
    assert "needs a running Python kernel" in note
    img = re.search(r'<img src="data:image/png;base64,([^"]+)" alt="([^"]{40,})"', note)
    assert img and base64.b64decode(img.group(1)).startswith(b"\x89PNG")
    assert re.search(r'<span class="kscale-launch">[^<]+</span>', note)


def test_the_note_tells_what_the_sentence_says_at_every_position(check):
    cells = re.findall(r"<tr><td[^>]*>(\d+)</td><td[^>]*>([^<]+)</td></tr>", check.static_html())
    assert [int(n) for n, _ in cells] == list(range(1, 11))
    for n, said in cells:
        beats = int(re.search(r"(\d+) heartbeats a minute", said).group(1))
        assert beats == int(n) * 60 // 10           # one heartbeat every 10 s per kubelet


def test_moving_the_slider_changes_the_sentence(check, capsys):
    """Outside a kernel the Output widget lets the sentence through to stdout."""
    capsys.readouterr()
    check.slider.value = 7
    assert "The slider is at 7: 7 kubelets, 42 heartbeats a minute." in capsys.readouterr().out


def test_the_learners_namespace_offers_no_calculator_for_question_2():
    assert not [name for name in dir(pre) if "heartbeat" in name.lower()
                or name.lower() == "sentence"]
