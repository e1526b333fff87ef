"""`table`'s shortcut for plain rows writes what the whole Writer writes, and a prefix of it
stopped at a limit is cut alike."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from kube_ai_proxy.gofmt.tabwriter import table, table_prefix, tabwriter
from kube_ai_proxy.output.budget import cut_lines

_CELL = st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=12)


@st.composite
def _rows(draw: st.DrawFn) -> list[list[str]]:
    width = draw(st.integers(min_value=1, max_value=6))
    return draw(st.lists(st.lists(_CELL, min_size=width, max_size=width), max_size=8))


@given(_rows(), st.integers(0, 8), st.integers(0, 4), st.booleans())
def test_table_writes_what_the_writer_writes(
    rows: list[list[str]], minwidth: int, padding: int, remember: bool
) -> None:
    text = "".join("\t".join(row) + "\n" for row in rows)
    assert table(rows, minwidth, padding, remember) == tabwriter(text, minwidth, padding, remember)


@given(_rows(), st.integers(0, 8), st.integers(0, 200))
def test_a_prefix_stopped_at_a_limit_is_cut_as_the_whole_text(
    rows: list[list[str]], minwidth: int, limit: int
) -> None:
    whole = table(rows, minwidth, 3)
    prefix, count = table_prefix(rows, minwidth, 3, limit=limit)
    assert whole.startswith(prefix)
    assert cut_lines(prefix, limit) == cut_lines(whole, limit)
    assert count == len(rows) or prefix.count("\n") == count


def test_a_kubectl_table() -> None:
    rows = [["NAME", "READY", "STATUS"], ["web-1", "1/1", "Running"], ["db", "0/1", "Pending"]]
    assert table(rows, minwidth=6, padding=3) == (
        "NAME    READY   STATUS\nweb-1   1/1     Running\ndb      0/1     Pending\n"
    )
