"""The server process of the embedded local endpoint: MiniStack, with sparta's
corrections for the MiniStack bugs that sparta's own stacks run into.

``python -m sparta_core.aws.local_endpoint`` is what :func:`sparta_core.aws.local.spawn`
starts (for ``sparta --local``, ``sparta local start`` and the test fixtures). It applies
each correction of :data:`CORRECTIONS` to the ``ministack`` modules of this process only,
then runs MiniStack's ``__main__`` exactly as ``python -m ministack`` would. Nothing is
changed on disk, and no other MiniStack (one the user starts themselves) is affected.

Every correction checks first that the installed MiniStack has the code it corrects, and
otherwise leaves it alone: another version, or one where the bug is fixed upstream, runs
as it is. Each correction prints one line to the server's log (stderr) saying whether it
was applied or skipped, and why.

The corrections:

* **nested-update attributes** (MiniStack 1.5.33). When a nested stack is updated,
  ``provisioners._cfn_nested_stack_deploy`` updates each of the child's resources with
  ``_update_resource(type, physical_id, old, new, child, logical_id)``, without the
  resource's previous attributes (the top-level update in ``stacks.py`` passes
  ``old_attrs``). For a resource whose properties did not change, ``_update_resource``
  answers ``old_attrs or {}``: the resource comes back with no attributes, and a later
  ``Fn::GetAtt Role.Arn`` in the same child fails with "Requested attribute Arn does not
  exist in schema for AWS::IAM::Role". Every update of a service split into nested stacks
  (a code edit changes each function, never its role) hits this.
"""

from __future__ import annotations

import ast
import functools
import inspect
import runpy
import sys
import textwrap
from collections.abc import Callable
from typing import Any

#: What the launcher's command line contains (``_is_ministack`` looks for it).
MODULE = "sparta_core.aws.local_endpoint"
#: Prefix of every line this module writes to the server's log.
LOG_PREFIX = "sparta local endpoint:"


class Skip(Exception):
    """The installed MiniStack is not the code a correction was written for."""


def correct_nested_update_attributes() -> str:
    """Make the child-update loop of nested stacks pass each resource's previous
    attributes to ``_update_resource``, as the top-level update does. Returns the line
    to log; raises :class:`Skip` when the installed MiniStack does not have that loop
    as 1.5.33 has it.

    Mechanism, chosen to depend on as little of MiniStack's code as possible: the loop
    calls ``_update_resource`` through the globals of the ``provisioners`` module, and
    ``stacks.py`` (the top-level update, which passes ``old_attrs`` already) holds its
    own reference, imported by name. So ``provisioners._update_resource`` is replaced by
    a wrapper that, when a call gives no ``old_attrs``, fills them in from the record of
    that resource in the child stack being updated (``_stacks[child]["_resources"]``: the
    very record the loop calls ``prev``, replaced only after the call returns), and
    otherwise calls the original unchanged. No source is rewritten; a call that passes
    ``old_attrs`` itself (an upstream fix) is never altered.
    """
    try:
        from ministack.services import cloudformation
        from ministack.services.cloudformation import provisioners
    except ImportError as error:
        raise Skip(f"MiniStack's CloudFormation modules did not import ({error})") from None
    original = getattr(provisioners, "_update_resource", None)
    deploy = getattr(provisioners, "_cfn_nested_stack_deploy", None)
    if not callable(original) or not callable(deploy):
        raise Skip("no provisioners._update_resource or _cfn_nested_stack_deploy")
    if getattr(original, "__sparta_correction__", False):
        return "nested-update attributes: already applied"
    signature = inspect.signature(original)
    if "old_attrs" not in signature.parameters:
        raise Skip("_update_resource takes no old_attrs")
    if not callable(getattr(getattr(cloudformation, "_stacks", None), "get", None)):
        raise Skip("no stack registry cloudformation._stacks")
    calls = _calls_of(deploy, "_update_resource")
    if not calls:
        raise Skip("the nested-stack deploy no longer calls _update_resource")
    if any(_passes(call, "old_attrs", signature) for call in calls):
        raise Skip("the nested-stack deploy already passes old_attrs (fixed upstream)")

    @functools.wraps(original)
    def update_resource(*args: Any, **kwargs: Any) -> Any:
        bound = signature.bind(*args, **kwargs)
        if bound.arguments.get("old_attrs") is None:
            bound.arguments["old_attrs"] = _recorded_attributes(
                cloudformation, bound.arguments.get("stack_name"),
                bound.arguments.get("logical_id"), bound.arguments.get("physical_id"))
        return original(*bound.args, **bound.kwargs)

    update_resource.__sparta_correction__ = True  # type: ignore[attr-defined]
    provisioners._update_resource = update_resource
    return "nested-update attributes: applied (a nested child's update keeps the " \
           "attributes of its unchanged resources)"


def _recorded_attributes(cloudformation: Any, stack_name: Any, logical_id: Any,
                         physical_id: Any) -> dict[str, Any] | None:
    """The attributes recorded for ``logical_id`` in stack ``stack_name``, if that record
    is the resource being updated (same physical ID); else ``None``, which is what the
    call would have passed anyway."""
    stack = cloudformation._stacks.get(stack_name) if isinstance(stack_name, str) else None
    record = (stack or {}).get("_resources", {}).get(logical_id)
    if not isinstance(record, dict) or record.get("PhysicalResourceId") != physical_id:
        return None
    attributes = record.get("Attributes")
    return attributes if isinstance(attributes, dict) else None


def _calls_of(function: Callable[..., Any], name: str) -> list[ast.Call]:
    """The calls of the global ``name`` in ``function``'s source (empty if it has no
    source to read, or does not name ``name`` as a global)."""
    if name not in function.__code__.co_names:
        return []
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(function)))
    except (OSError, TypeError, SyntaxError):
        return []
    return [node for node in ast.walk(tree) if isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name) and node.func.id == name]


def _passes(call: ast.Call, parameter: str, signature: inspect.Signature) -> bool:
    """Whether ``call`` gives ``parameter``, by keyword or by position."""
    if any(keyword.arg in (parameter, None) for keyword in call.keywords):
        return True
    position = list(signature.parameters).index(parameter)
    return len(call.args) > position or any(isinstance(arg, ast.Starred) for arg in call.args)


#: Each correction: a name for the log and the function that applies it.
CORRECTIONS: tuple[tuple[str, Callable[[], str]], ...] = (
    ("nested-update attributes", correct_nested_update_attributes),
)


def apply_corrections() -> list[str]:
    """Apply every correction that fits the installed MiniStack; one log line each."""
    lines = []
    for name, correct in CORRECTIONS:
        try:
            lines.append(correct())
        except Skip as reason:
            lines.append(f"{name}: skipped, the installed MiniStack is not the code it "
                         f"corrects ({reason}); running it as it is")
    return lines


def main() -> None:
    """Apply the corrections, then run MiniStack as ``python -m ministack`` does."""
    for line in apply_corrections():
        print(f"{LOG_PREFIX} {line}", file=sys.stderr, flush=True)
    runpy.run_module("ministack", run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
