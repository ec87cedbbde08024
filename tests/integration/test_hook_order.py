"""The whole pipeline of `sparta provision`, seen by the kit's ``hook_recorder`` (pluggy's
hook-call monitoring): the hooks fire in DESIGN §3's order, upload and converge included."""

from __future__ import annotations

import pytest
from tests.functional.test_plugins import NOOP_ORDER, stages

pytestmark = pytest.mark.integration

#: `sparta build`'s order, with upload before the template and converge after it.
PROVISION_ORDER = [
    *NOOP_ORDER[: NOOP_ORDER.index("sparta_pre_marshall")],
    "sparta_upload",
    *NOOP_ORDER[NOOP_ORDER.index("sparta_pre_marshall") : NOOP_ORDER.index("sparta_provisioned")],
    "sparta_converge",
    "sparta_provisioned",
]


def test_provision_fires_every_stage_in_order(cli, hello, hook_recorder):
    cli("provision", "--yes", project=hello)
    assert stages(hook_recorder) == PROVISION_ORDER
    [provisioned] = hook_recorder.calls("sparta_provisioned")
    assert provisioned["result"].status == "CREATE_COMPLETE"  # the built-in converge's StackResult
    assert hook_recorder.results("sparta_converge") == [provisioned["result"]]


def test_a_failed_provision_ends_in_rollback(cli, hello, hook_recorder):
    (hello / "spartaconf.py").write_text(
        "def sparta_converge(ctx, template):\n    raise RuntimeError('no capacity')\n"
    )
    result = cli("provision", "--yes", project=hello, ok=False)
    assert result.output.strip().splitlines()[-1] == (
        "error: stage 'converge' (plugin 'spartaconf'): RuntimeError: no capacity"
    )
    assert stages(hook_recorder)[-2:] == ["sparta_converge", "sparta_rollback"]
    [converge] = [record for record in hook_recorder.records if record.name == "sparta_converge"]
    assert converge.plugins[0] == "spartaconf" and isinstance(converge.error, Exception)
