"""sparta-codedeploy: safe deploys of Lambda functions through CodeDeploy.

``SafeDeploy(...)`` is a per-function decorator
(``@service.function(decorators=[SafeDeploy()])``). The hooks that move every caller
of such a function to its ``live`` alias live in :mod:`sparta_codedeploy.plugin`, the
``codedeploy`` entry point; this module imports no more than ``service.py`` needs inside
Lambda.
"""

from __future__ import annotations

from sparta_codedeploy.safe_deploy import STRATEGIES, SafeDeploy

__version__ = "0.1.0"
__all__ = ["STRATEGIES", "SafeDeploy", "__version__"]
