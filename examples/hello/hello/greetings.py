"""Greetings, kept apart from the handlers so they are easy to unit-test."""

import os


def greeting(name: str) -> str:
    """``"<GREETING>, <name>!"``, with the greeting from the function's environment."""
    return f"{os.environ.get('GREETING', 'Hello')}, {name}!"
