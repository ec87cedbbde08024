"""Deploying a template: how ``sparta provision``, ``plan``, ``delete`` and ``status`` talk
to CloudFormation.

The work is split the way AWS Chalice splits its deployer, so that every decision can be
printed and tested without AWS:

1. :mod:`~sparta_core.deploy.state` reads the remote state: the stack (or its absence),
   its status, parameters, outputs, and whether the template is already in S3.
2. :mod:`~sparta_core.deploy.plan` is the planner. From the desired stack (the template,
   its S3 location, parameters, tags, capabilities) and the remote state it returns a
   list of inert steps: wait for an operation in progress, delete a stack whose first
   create failed, upload the template, create a change set, review it, execute it.
   The planner never calls AWS; a step prints itself.
3. :mod:`~sparta_core.deploy.execute` is the executor. It runs the steps with real
   clients: it prints the change set before executing it, asks for consent (``--yes``
   gives it; without a terminal it never waits for input), deletes an empty change set
   as "no changes", and waits for the stack while :mod:`~sparta_core.deploy.events`
   streams its events. ``plan`` is the same executor told to discard the change set
   instead of executing it.
4. :mod:`~sparta_core.deploy.events` turns stack events into lines, finds the root cause
   of a failure (skipping the "resource creation cancelled" follow-ons) and the slowest
   resources.

Only these modules (through :mod:`sparta_core.aws`) call CloudFormation.
"""
