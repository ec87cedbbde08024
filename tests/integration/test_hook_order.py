"""The whole pipeline of `sparta provision`, recorded by a plugin that implements every
stage hook: the hooks fire in DESIGN §3's order, upload and converge included."""

from __future__ import annotations

import pytest
from tests.functional.test_plugins import RECORDER, read_log

pytestmark = pytest.mark.integration

PROVISION_ORDER = [
    "sparta_addoption",
    "sparta_configure",
    "sparta_validate_service",
    "sparta_pre_build",
    "sparta_build",
    "sparta_post_build",
    "sparta_package",
    "sparta_archive",
    "sparta_upload",
    "sparta_pre_marshall",
    "sparta_marshall",
    "sparta_decorate_function",
    "sparta_decorate_function",
    "sparta_decorate_service",
    "sparta_post_marshall",
    "sparta_validate_template",
    "sparta_converge",
    "sparta_provisioned",
]


def test_provision_fires_every_stage_in_order(cli, hello):
    (hello / "spartaconf.py").write_text(RECORDER)
    cli("provision", "--yes", project=hello)
    log = read_log(hello)
    assert [name for name, _ in log] == PROVISION_ORDER
    provisioned = dict(log)["sparta_provisioned"]
    assert provisioned["result"] == "CREATE_COMPLETE"  # the built-in converge's StackResult


def test_a_failed_provision_ends_in_rollback(cli, hello):
    (hello / "spartaconf.py").write_text(
        RECORDER + "\n\ndef sparta_converge(ctx, template):\n"
        "    record('sparta_converge')\n    raise RuntimeError('no capacity')\n"
    )
    result = cli("provision", "--yes", project=hello, ok=False)
    assert result.output.strip().splitlines()[-1] == (
        "error: stage 'converge' (plugin 'spartaconf'): RuntimeError: no capacity"
    )
    names = [name for name, _ in read_log(hello)]
    assert names[-2:] == ["sparta_converge", "sparta_rollback"]
