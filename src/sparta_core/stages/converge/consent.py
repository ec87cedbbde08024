"""Consent to change a stack: ``--yes`` given in advance, else a question at a terminal.

Without a terminal (CI, pipes) sparta never waits for input: the question is refused,
with a message saying to re-run with ``--yes``.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass

from sparta_core.errors import ConsentError


def interactive() -> bool:
    """True when a human can answer a question: standard input and error are terminals."""
    try:
        return sys.stdin.isatty() and sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


@dataclass
class Consent:
    """How the executor gets consent: ``yes`` (``--yes``), else a terminal prompt."""

    yes: bool = False
    ask: Callable[[str], bool] | None = None

    def __call__(self, question: str, refusal: str) -> None:
        """Return if consent is given; raise :class:`ConsentError` (with ``refusal``, which
        says what to do instead) if not."""
        if self.yes:
            return
        ask = self.ask
        if ask is None:
            if not interactive():
                raise ConsentError(f"{refusal} (no terminal to confirm on: re-run with --yes)")
            import click

            def ask(text: str) -> bool:
                return click.confirm(text, default=False, err=True)

        if not ask(question):
            raise ConsentError(f"{refusal} (declined)")
