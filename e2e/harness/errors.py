"""The one exception the harness raises: its message says what to run or fix next."""

from __future__ import annotations


class HarnessError(Exception):
    """Something the harness needs is missing or failed; the message is meant for a person."""
