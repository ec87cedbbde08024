"""The deploy commands document their flags (every command's --help is run by
tests/test_meta.py)."""

from __future__ import annotations


def test_the_deploy_flags_are_documented(cli):
    assert "--yes" in cli("provision", "--help").output
    assert "--yes" in cli("delete", "--help").output
    assert "--remote" in cli("invoke", "--help").output
    assert "--event" in cli("invoke", "--help").output
    assert "--local" in cli("--help").output
    for command in ("start", "stop", "status"):
        assert command in cli("local", "--help").output
