"""Every option of every command has help text, and that text is what --help shows
(every command's --help is also run by tests/test_meta.py)."""

from __future__ import annotations

import click
import pytest

from sparta_core.commands.main import COMMANDS, main


def _options(command: click.Command) -> list[click.Option]:
    return [p for p in command.params if isinstance(p, click.Option) and not p.hidden]


@pytest.mark.parametrize("name", ["", *sorted(COMMANDS)])
def test_every_option_is_documented_in_the_help(cli, name):
    command = main if not name else main.get_command(click.Context(main), name)
    assert command is not None
    shown = " ".join(cli(*([name] if name else []), "--help").output.split())
    for option in _options(command):
        assert option.help, f"sparta {name} {option.opts[0]} has no help text"
        assert option.opts[-1] in shown
        # The help text itself is shown, not just the flag (the words get re-wrapped).
        assert " ".join(option.help.split())[:30] in shown, option.opts


def test_the_deploy_flags_are_offered_where_users_look_for_them(cli):
    def flags(name: str) -> set[str]:
        command = main.get_command(click.Context(main), name)
        return {flag for option in _options(command) for flag in option.opts}

    assert {"--yes", "--noop", "--s3-bucket", "--tag", "--param"} <= flags("provision")
    assert "--yes" in flags("delete")
    assert {"--remote", "--event", "--env"} <= flags("invoke")
    assert "--local" in {flag for option in _options(main) for flag in option.opts}
    local = main.get_command(click.Context(main), "local")
    assert sorted(local.list_commands(click.Context(local))) == ["api", "start", "status", "stop"]
