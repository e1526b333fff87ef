"""A result cut to the output budget says how large the output was, in the unit it was
counted in (output/render.py)."""

from __future__ import annotations

from kube_ai_proxy.output.render import answer_result
from kube_ai_proxy.parse.clispec import CliSpecs
from kube_ai_proxy.parse.plan import plan


def test_a_text_cut_here_is_counted_in_characters() -> None:
    command_plan = plan(CliSpecs(), "kubectl", "kubectl get configmaps")
    text = "é" * 3000  # 3,000 characters, 6,000 bytes in UTF-8
    result = answer_result(command_plan, "native", text, "", 0, None, max_output=1000)
    assert result.truncated
    assert result.output == "é" * 1000
    assert result.next is not None
    assert result.next.startswith("The output (3000 characters) was cut to the budget"), result.next
