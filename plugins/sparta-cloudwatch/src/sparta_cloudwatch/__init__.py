"""sparta-cloudwatch: CloudWatch alarms and dashboards for a sparta service.

``Alarms(...)`` is a per-function decorator (``@service.function(decorators=[Alarms()])``)
and ``Dashboard(name)`` a component (``service.add(Dashboard("ops"))``). The hooks that
apply ``[tool.sparta] alarms = {...}`` to every other function live in
:mod:`sparta_cloudwatch.plugin`, the ``cloudwatch`` entry point; this module imports no
more than ``service.py`` needs inside Lambda (sparta's model, the standard library).
"""

from __future__ import annotations

from sparta_cloudwatch.alarms import Alarms
from sparta_cloudwatch.dashboard import Dashboard

__version__ = "0.1.0"
__all__ = ["Alarms", "Dashboard", "__version__"]
