"""The output budget's cuts at their edges: a budget counted in characters (never splitting one,
whatever its UTF-8 length), text exactly at the budget, nothing at all, a line longer than the
whole budget; rows that must fit in both text and data; lists printed only as far as the
budget reaches; and the `next` hints' words."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from kube_ai_proxy.output.budget import (
    REDACTION_BUFFER,
    Cut,
    cut_after_lines,
    cut_lines,
    cut_text,
    native_budget,
    oversize_hint,
    print_growing,
    read_limit,
    redaction_limit,
    rest_hint,
    rows_that_fit,
)


@pytest.mark.parametrize("cut", [cut_text, cut_lines])
def test_nothing_is_nothing_cut(cut: Callable[[str, int], Cut]) -> None:
    assert cut("", 0) == Cut("", truncated=False)
    assert cut("", 10) == Cut("", truncated=False)


@pytest.mark.parametrize("cut", [cut_text, cut_lines])
def test_text_exactly_at_the_budget_is_whole(cut: Callable[[str, int], Cut]) -> None:
    assert cut("ab\ncd\n", 6) == Cut("ab\ncd\n", truncated=False)
    assert cut("ab\ncd\n", 5).truncated


def test_the_budget_counts_characters_not_bytes() -> None:
    text = "a\u00e9\u20ac\U0001f600"  # one, two, three and four bytes in UTF-8
    assert len(text.encode()) == 10
    assert cut_text(text, 4) == Cut(text, truncated=False)
    assert cut_text(text, 3) == Cut("a\u00e9\u20ac", truncated=True)
    assert cut_text(text, 2) == Cut("a\u00e9", truncated=True)
    assert cut_lines(f"{text}\n{text}\n", 6) == Cut(f"{text}\n", truncated=True)


def test_a_multibyte_character_at_the_cut_is_kept_whole_or_left_out() -> None:
    for budget in range(12):
        kept = cut_text("\U0001f600" * 11, budget).text
        assert kept == "\U0001f600" * budget
        assert kept.encode().decode() == kept


def test_cut_lines_keeps_whole_lines() -> None:
    text = "NAME  READY\nweb-0 1/1\nweb-1 1/1\n"
    cut = cut_lines(text, len(text) - 1)
    assert cut == Cut("NAME  READY\nweb-0 1/1\n", truncated=True)
    assert cut.lines == 2
    assert cut.rows(header_lines=1) == 1
    assert cut.rows(header_lines=0) == 2


def test_rows_ended_counts_the_rows_whose_last_line_is_kept() -> None:
    # Two tables of a header and two rows, a blank line between; the second's first row is
    # two lines high.
    text = "H1\na\nb\n\nH2\nc\nc'\nd\n"
    ends = [2, 3, 7, 8]
    kept = [cut_lines(text, size).rows_ended(ends) for size in (3, 5, 7, 9, 12, 15, 17)]
    assert kept == [0, 1, 2, 2, 2, 2, 3]  # at 15, `c` shows but one of its two lines
    assert cut_lines(text, 100).rows_ended(ends) == 4


def test_cut_after_lines_keeps_that_many_whole_lines() -> None:
    text = "H\na\nb\n"
    assert cut_after_lines(text, 0) == Cut("", truncated=True)
    assert cut_after_lines(text, 2) == Cut("H\na\n", truncated=True)
    assert cut_after_lines(text, 3) == Cut(text, truncated=False)
    assert cut_after_lines(text, 2).lines == 2


def test_a_first_line_longer_than_the_budget_is_cut_within_it() -> None:
    cut = cut_lines("x" * 50 + "\nshort\n", 10)
    assert cut == Cut("x" * 10, truncated=True)
    assert cut.lines == 0
    assert cut.rows(header_lines=1) == 0
    assert cut_lines("\u00e9" * 50, 10) == Cut("\u00e9" * 10, truncated=True)


def test_cut_text_cuts_anywhere() -> None:
    assert cut_text("ab\ncd\n", 4) == Cut("ab\nc", truncated=True)


def test_a_read_limit_decodes_to_the_whole_budget() -> None:
    """A program's output is read up to read_limit bytes: enough for the budget's characters
    even when each takes UTF-8's four bytes."""
    budget = 1000
    read = ("\U0001f600" * (2 * budget)).encode()[: read_limit(budget)]
    assert len(read.decode()) == budget
    assert redaction_limit(budget) == REDACTION_BUFFER
    assert redaction_limit(REDACTION_BUFFER) == read_limit(REDACTION_BUFFER)


def test_a_piped_native_answer_holds_what_the_pipe_stages_read() -> None:
    assert native_budget(50_000, piped=False) == 50_000
    assert native_budget(50_000, piped=True) == REDACTION_BUFFER


def test_rows_fit_in_both_text_and_data() -> None:
    header = ["NAME\n"]
    lines = ["a\n", "bb\n", "ccc\n"]
    # Text: 5 + 2 + 3 + 4; data: 10 + 5 each.
    assert rows_that_fit(header, lines, [5, 5, 5], budget=100, data_size=10) == 3
    assert rows_that_fit(header, lines, [5, 5, 5], budget=10, data_size=0) == 2
    assert rows_that_fit(header, lines, [5, 5, 5], budget=14, data_size=0) == 2
    assert rows_that_fit(header, lines, [5, 5, 5], budget=20, data_size=10) == 2
    assert rows_that_fit(header, lines, [50, 5, 5], budget=100, data_size=60) == 0
    assert rows_that_fit([], [], [], budget=0, data_size=0) == 0


def test_rows_are_measured_only_as_far_as_they_fit() -> None:
    measured: list[int] = []

    def sizes() -> Iterator[int]:
        for index in range(1000):
            measured.append(index)
            yield 10

    assert rows_that_fit([], ["x\n"] * 1000, sizes(), budget=35, data_size=0) == 3
    assert len(measured) == 4


def test_a_list_is_printed_as_far_as_the_budget_reaches() -> None:
    printed: list[int] = []

    def printer(items: str) -> Callable[[int], str]:
        def print_first(count: int) -> str:
            printed.append(count)
            return items[:count]

        return print_first

    over = print_growing(1000, printer("x" * 1000), lambda text: len(text) > 100)
    assert over == ("x" * 128, False)
    assert printed == [16, 32, 64, 128]
    printed.clear()
    assert print_growing(40, printer("x" * 40), lambda text: False) == ("x" * 40, True)
    assert printed == [16, 32, 64]
    printed.clear()
    # The whole list is the whole list, whether or not it passes the budget.
    assert print_growing(16, printer("x" * 16), lambda text: True) == ("x" * 16, True)
    assert print_growing(0, printer(""), lambda text: True) == ("", True)
    assert printed == [16, 16]


def test_the_data_is_measured_only_when_the_text_fits() -> None:
    def unmeasured() -> int:
        raise AssertionError("measured the data of a text already too long")

    assert oversize_hint("x" * 11, unmeasured, 10, "add | grep") == (
        "The output (11 characters) was cut to the budget; add | grep."
    )
    assert oversize_hint("x" * 10, lambda: 11, 10, "add | grep") == (
        "The data (11 characters) is larger than the budget and was left out; add | grep."
    )
    assert oversize_hint("x" * 10, lambda: 10, 10, "add | grep") is None


def test_a_hint_says_what_was_cut_then_how_to_get_the_rest() -> None:
    assert rest_hint("The log is cut", "use --tail=N") == "The log is cut; use --tail=N."
    assert rest_hint("Only 3 lines fit", "Page it", separator=". ") == "Only 3 lines fit. Page it."
