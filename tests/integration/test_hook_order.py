"""The whole pipeline of `sparta provision`, recorded by a plugin that implements every
stage hook: the hooks fire in DESIGN §3's order, upload and converge included."""

from __future__ import annotations

import pytest
from tests.functional.test_plugins import NOOP_ORDER, RECORDER, read_log

pytestmark = pytest.mark.integration

#: `sparta build`'s order, with upload before the template and converge after it.
PROVISION_ORDER = [
    *NOOP_ORDER[: NOOP_ORDER.index("sparta_pre_marshall")],
    "sparta_upload",
    *NOOP_ORDER[NOOP_ORDER.index("sparta_pre_marshall") : NOOP_ORDER.index("sparta_provisioned")],
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
