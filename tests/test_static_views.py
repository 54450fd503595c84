"""What a page without a kernel shows: an explorer's static form, and HTML tables.

An :class:`~kscale_lab.widgets.Explorer` displays as its live widget in Jupyter and, as its
``text/html`` form, as a note that it needs a kernel, with its figure and metrics (the website
prefers that form). Tables are real HTML tables, escaped, one cell per column.
"""

from __future__ import annotations

import base64
import re
from html.parser import HTMLParser

import pytest

from kscale_lab.chapters import get
from kscale_lab.tables import comparison_table, html_table
from kscale_lab.widgets import explore


class _Parsed(HTMLParser):
    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.cells: list[str] = []
        self._cell: list[str] | None = None
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, {k: v or "" for k, v in attrs}))
        if tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self.cells.append("".join(self._cell))
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


@pytest.fixture(scope="module")
def explorer():
    return explore("heartbeats", only=["nodes", "images_per_node"], nodes=3000)


def test_an_explorer_offers_the_live_widget_and_a_static_form(explorer):
    bundle = explorer._repr_mimebundle_()
    assert bundle["application/vnd.jupyter.widget-view+json"]["model_id"] == (
        explorer.widget.model_id)
    assert "needs a running Python kernel" in bundle["text/html"]


def test_the_static_form_shows_the_figure_the_widget_shows(explorer):
    html = explorer._repr_mimebundle_()["text/html"]
    (img,) = [attrs for tag, attrs in _Parsed(html).tags if tag == "img"]
    prefix = "data:image/png;base64,"
    assert img["src"].startswith(prefix)
    assert base64.b64decode(img["src"][len(prefix):]) == explorer.image.value


def test_the_static_forms_alt_text_says_what_the_figure_shows_and_for_which_settings(explorer):
    html = explorer._repr_mimebundle_()["text/html"]
    (img,) = [attrs for tag, attrs in _Parsed(html).tags if tag == "img"]
    assert img["alt"].startswith("Left: etcd's database file")
    assert "nodes = 3,000 nodes" in img["alt"] and "images/node = 50" in img["alt"]


def test_the_static_form_follows_the_explorer_after_a_move(explorer):
    explorer.update(nodes=1200)
    html = explorer._repr_mimebundle_()["text/html"]
    assert "nodes = 1,200 nodes" in html
    assert "nodes = 3,000 nodes" not in html


def test_the_static_form_has_the_placeholder_the_website_fills_with_run_links(explorer):
    html = explorer._repr_mimebundle_()["text/html"]
    assert re.search(r'<span class="kscale-launch">[^<]+</span>', html)


def test_the_static_form_has_no_control_that_could_move(explorer):
    tags = {tag for tag, _attrs in _Parsed(explorer._repr_mimebundle_()["text/html"]).tags}
    assert not tags & {"input", "select", "button", "textarea"}


def test_html_table_escapes_cells_and_marks_numeric_columns():
    text = html_table(["name", "value"], [["<b>x</b>", "1,000"]], numeric=[1])
    parsed = _Parsed(text)
    assert parsed.cells == ["name", "value", "<b>x</b>", "1,000"]
    classes = [attrs.get("class") for tag, attrs in parsed.tags if tag in ("th", "td")]
    assert classes == [None, "num", None, "num"]


def test_html_table_refuses_a_row_of_the_wrong_length():
    with pytest.raises(ValueError, match="row 1 must have 2 cells"):
        html_table(["a", "b"], [["1", "2"], ["3"]])


def test_comparison_table_has_one_row_per_metric_with_both_versions():
    from kscale_lab.chapters import get

    comparison = get("heartbeats").compare()
    cells = _Parsed(comparison_table(comparison)).cells
    naive, improved = comparison.naive.formatted(), comparison.improved.formatted()
    rows = [cells[i:i + 4] for i in range(4, len(cells), 4)]
    assert rows == [[name, value, improved[name][0], unit]
                    for name, (value, unit) in naive.items()]


def test_comparison_table_with_load_ends_with_the_rows_the_text_table_ends_with():
    comparison = get("secrets").compare()
    cells = _Parsed(comparison_table(comparison, load=True)).cells
    rows = [cells[i:i + 4] for i in range(0, len(cells), 4)]
    text_rows = [line.split() for line in comparison.table().splitlines()
                 if line.startswith("load: ")]
    assert len(rows) == 1 + len(comparison.naive.formatted()) + len(text_rows)
    for row, words in zip(rows[-len(text_rows):], text_rows):
        assert row[0].split() == words[:len(row[0].split())]
        assert " ".join(row[1:]).split() == words[len(row[0].split()):]
