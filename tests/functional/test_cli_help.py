"""Every command answers --help, and --help loads neither boto3 nor the plugins."""

from __future__ import annotations

import subprocess
import sys

import pytest

COMMANDS = [
    [], ["build"], ["provision"], ["plan"], ["delete"], ["status"], ["invoke"], ["plugins"],
    ["local"], ["local", "start"], ["local", "stop"], ["local", "status"],
]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "sparta")
def test_help(cli, command):
    result = cli(*command, "--help")
    assert result.output.startswith("Usage: ")
    assert "--help" in result.output


def test_the_deploy_flags_are_documented(cli):
    assert "--yes" in cli("provision", "--help").output
    assert "--remote" in cli("invoke", "--help").output
    assert "--event" in cli("invoke", "--help").output
    assert "--local" in cli("--help").output


def test_help_imports_no_boto3():
    code = (
        "import sys\n"
        "from sparta_core.cli import main\n"
        "try:\n"
        "    main(['--help'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('boto3', 'botocore')"
        " or m.startswith('sparta_core.builtin'))\n"
        "print('HEAVY', heavy)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert "HEAVY []" in out
