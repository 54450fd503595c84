"""Tables as HTML: what the chapters, labs and widgets show instead of aligned plain text.

A table printed as text wraps into nonsense on a phone and cannot be read by a screen reader
as a table. These helpers build small, self-contained HTML tables (class ``kscale-table``,
styled by the website's ``_static/kscale.css``; plain in JupyterLab).

>>> html = html_table(["dimension", "value"], [["nodes", "5,000"]], numeric=[1])
>>> html.count("<tr>"), '<td class="num">5,000</td>' in html
(2, True)
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from html import escape
from typing import Any

__all__ = ["HtmlTable", "comparison_table", "html_table"]


def html_table(header: Sequence[str], rows: Iterable[Sequence[Any]], *,
               numeric: Iterable[int] = (), caption: str = "",
               header_styles: Sequence[str] | None = None) -> str:
    """An HTML table of ``rows`` (each a sequence of cells, shown with ``str``).

    Parameters
    ----------
    header
        The column titles.
    rows
        The table's rows; every row has as many cells as ``header``.
    numeric
        Indexes of the columns that hold numbers (right-aligned, never wrapped).
    caption
        A caption above the table (empty: none).
    header_styles
        Optional inline CSS per header cell (the versions' colours, say).

    Returns
    -------
    str
        The table, escaped, in a ``div`` that scrolls sideways if the table is wider than
        the page.
    """
    numeric = set(numeric)
    width = len(header)
    styles = list(header_styles or [""] * width)
    if len(styles) != width:
        raise ValueError(f"header_styles must have one entry per column ({width}); "
                         f"got {len(styles)}")

    def cls(i: int) -> str:
        return ' class="num"' if i in numeric else ""

    head = "".join(
        f"<th{cls(i)}{f' style={chr(34)}{escape(styles[i])}{chr(34)}' if styles[i] else ''}>"
        f"{escape(str(h))}</th>" for i, h in enumerate(header))
    body = []
    for n, row in enumerate(rows):
        cells = list(row)
        if len(cells) != width:
            raise ValueError(f"row {n} must have {width} cells (one per column); "
                             f"got {len(cells)}")
        body.append("<tr>" + "".join(f"<td{cls(i)}>{escape(str(c))}</td>"
                                     for i, c in enumerate(cells)) + "</tr>")
    cap = f"<caption>{escape(caption)}</caption>" if caption else ""
    return (f'<div class="kscale-table-wrap"><table class="kscale-table">{cap}'
            f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table></div>")


class HtmlTable:
    """An HTML table that displays as one in Jupyter and on the website.

    ``HtmlTable(html)`` is what a notebook cell returns to show a table built by
    :func:`html_table` or :func:`comparison_table`; its plain-text form says what it is.
    """

    def __init__(self, html: str, text: str = "(a table)") -> None:
        self.html = html
        self.text = text

    def _repr_html_(self) -> str:
        return self.html

    def __repr__(self) -> str:
        return self.text


def comparison_table(comparison: Any, *, load: bool = False) -> str:
    """Every metric of a :class:`~kscale_lab.model.Comparison`, naive beside improved.

    The version columns are headed by their labels in their colours
    (:data:`kscale_lab.style.NAIVE`, :data:`~kscale_lab.style.IMPROVED`). With ``load``, the
    rows of the control-plane load follow the metrics, as in
    :meth:`~kscale_lab.model.Comparison.table` (what ``kscale run`` prints).
    """
    naive_version, improved_version = comparison.model.versions
    naive, improved = comparison.naive.formatted(), comparison.improved.formatted()
    from kscale_lab.model import LOAD_ROWS, format_value
    from kscale_lab.style import IMPROVED, NAIVE

    rows = [(name, value, improved[name][0], unit) for name, (value, unit) in naive.items()]
    if load:
        rows += [(name, format_value(getter(comparison.naive.load), unit),
                  format_value(getter(comparison.improved.load), unit), unit)
                 for name, getter, unit in LOAD_ROWS]
    return html_table(["metric", naive_version.label, improved_version.label, "unit"], rows,
                      numeric=[1, 2],
                      header_styles=["", f"color:{NAIVE}", f"color:{IMPROVED}", ""])
