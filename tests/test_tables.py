"""Tables of a comparison with the control-plane load (what ``kscale run`` prints)."""

from __future__ import annotations

from html.parser import HTMLParser

from kscale_lab.chapters import get
from kscale_lab.tables import comparison_table


class _Cells(HTMLParser):
    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.cells: list[str] = []
        self._cell: list[str] | None = None
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        if tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self.cells.append("".join(self._cell))
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def test_comparison_table_with_load_ends_with_the_rows_the_text_table_ends_with():
    comparison = get("secrets").compare()
    cells = _Cells(comparison_table(comparison, load=True)).cells
    rows = [cells[i:i + 4] for i in range(0, len(cells), 4)]
    text_rows = [line.split() for line in comparison.table().splitlines()
                 if line.startswith("load: ")]
    assert len(rows) == 1 + len(comparison.naive.formatted()) + len(text_rows)
    for row, words in zip(rows[-len(text_rows):], text_rows):
        assert row[0].split() == words[:len(row[0].split())]
        assert " ".join(row[1:]).split() == words[len(row[0].split()):]
