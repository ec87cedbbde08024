"""The ``stepfunctions`` plugin (entry point of the ``sparta`` group).

It implements no hook on purpose: ``StateMachine`` is a component, which every stage asks
for its part (validate, marshall, describe), so nothing runs in a service that declares
no state machine. The entry point makes the distribution show in ``sparta plugins``.

Hotswap: core's ``sparta_hotswap`` hook (``provision --hotswap``, ``sparta watch``) is
not implemented here yet, so a change to a machine falls back to a full provision. An
implementation would claim a difference confined to the ``Definition`` of an
``AWS::StepFunctions::StateMachine`` and apply it with ``UpdateStateMachine`` (the
``DefinitionSubstitutions`` resolved from the deployed stack's outputs/resources).
"""

from __future__ import annotations
