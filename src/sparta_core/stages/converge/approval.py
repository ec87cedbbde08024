"""``--require-approval never|broadening|any-change``: which change sets need a yes.

Before a change set runs, the IAM it broadens (:mod:`sparta_core.stages.converge.iam_diff`,
the deployed template against the new one; nothing is deployed before a create) is shown
as a table. Then, after the AWS CDK:

* ``broadening`` (the default): only a change set that broadens IAM needs approval;
* ``any-change``: every change set with changes needs it;
* ``never``: none does.

Approval is ``--yes``, or a yes at the terminal. Without a terminal and without
``--yes`` the change set is deleted, nothing changes, and the run fails with one line
(the table is above it). ``sparta plan`` shows the same table and executes nothing.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sparta_core.stages.converge.iam_diff import Broadening, broadening, format_table

NEVER, BROADENING, ANY_CHANGE = "never", "broadening", "any-change"
POLICIES = (NEVER, BROADENING, ANY_CHANGE)
DEFAULT = BROADENING


def deployed_template(cloudformation: Any, stack_id: str) -> dict[str, Any]:
    """The template the stack runs now, as a dict (``{}`` if it has none)."""
    from sparta_core.aws.errors import error_code

    try:
        body = cloudformation.get_template(StackName=stack_id,
                                           TemplateStage="Original")["TemplateBody"]
    except Exception as error:
        if error_code(error) == "ValidationError":
            return {}
        raise
    if isinstance(body, str):
        try:
            body = json.loads(body)
        except ValueError:
            from cfn_flip import to_json

            body = json.loads(to_json(body))
    return dict(body) if isinstance(body, Mapping) else {}


@dataclass
class Approval:
    """The policy of one run and the template it deploys; ``rows`` is filled by
    :meth:`review` or :meth:`show` (what the change set broadens)."""

    policy: str
    template: Mapping[str, Any]
    rows: list[Broadening] = field(default_factory=list)

    def table(self, cloudformation: Any, stack_id: str | None, change_set_type: str
              ) -> list[Broadening]:
        deployed: Mapping[str, Any] = {}
        if change_set_type == "UPDATE" and stack_id:
            deployed = deployed_template(cloudformation, stack_id)
        self.rows = broadening(deployed, self.template)
        return self.rows

    def show(self, cloudformation: Any, stack_id: str | None, change_set_type: str,
             show: Callable[[str], None]) -> list[Broadening]:
        """Compute the table and print it (nothing when nothing broadens)."""
        rows = self.table(cloudformation, stack_id, change_set_type)
        if rows:
            show(f"IAM changes that broaden access ({len(rows)}):")
            for line in format_table(rows):
                show(line)
        return rows

    def needed(self) -> bool:
        """Whether the change set (which has changes) needs a yes under the policy."""
        return self.policy == ANY_CHANGE or (self.policy == BROADENING and bool(self.rows))

    def question_and_refusal(self, stack_name: str, change_set_name: str) -> tuple[str, str]:
        if self.rows:
            why = (f"it broadens IAM ({len(self.rows)} change(s) in the table above) and "
                   f"--require-approval is {self.policy}")
        else:
            why = "--require-approval any-change needs approval for every change"
        question = f"Execute change set {change_set_name} on stack {stack_name}? ({why})"
        refusal = f"change set for stack {stack_name} not executed: {why}; nothing changed"
        return question, refusal
