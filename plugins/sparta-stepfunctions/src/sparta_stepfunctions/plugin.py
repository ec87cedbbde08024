"""The ``stepfunctions`` plugin (entry point of the ``sparta`` group).

It implements no hook on purpose: ``StateMachine`` is a component, which every stage asks
for its part (validate, marshall, describe), so nothing runs in a service that declares
no state machine. The entry point makes the distribution show in ``sparta plugins``.

Hotswap: a ``--hotswap`` run could update a machine's definition directly
(``UpdateStateMachine``) from the ``Definition`` and ``DefinitionSubstitutions`` of its
``AWS::StepFunctions::StateMachine``; the ``sparta_hotswap`` hook another engineer is
adding can do that here (see docs/plugins/stepfunctions.md, "Not yet").
"""

from __future__ import annotations
