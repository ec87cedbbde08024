"""sparta-stepfunctions: Step Functions state machines of a sparta service's functions.

::

    from sparta_stepfunctions import StateMachine, Task, Choice, Fail

    validate = Task(validate_order)
    validate.next(Choice().when(Choice.equals("$.valid", True), Task(ship_order))
                          .otherwise(Fail(error="InvalidOrder", cause="rejected")))
    service.add(StateMachine("orders", start=validate))

The public names: :class:`StateMachine` (a ``sparta.Component``), the states ``Task``,
``Choice``, ``Wait``, ``Pass``, ``Parallel``, ``Map``, ``Succeed``, ``Fail``, the error
handling ``Retry`` and ``Catch``, and ``Condition`` (what ``Choice.equals``... build).
The plugin module registered in the ``sparta`` entry-point group is
:mod:`sparta_stepfunctions.plugin`.
"""

from __future__ import annotations

from sparta_stepfunctions.conditions import Condition
from sparta_stepfunctions.machine import StateMachine
from sparta_stepfunctions.nested import Map, Parallel
from sparta_stepfunctions.policies import Catch, Retry
from sparta_stepfunctions.states import (
    Choice,
    Fail,
    Pass,
    State,
    Succeed,
    Task,
    Wait,
)

__version__ = "0.1.0"

__all__ = [
    "Catch",
    "Choice",
    "Condition",
    "Fail",
    "Map",
    "Parallel",
    "Pass",
    "Retry",
    "State",
    "StateMachine",
    "Succeed",
    "Task",
    "Wait",
    "__version__",
]
