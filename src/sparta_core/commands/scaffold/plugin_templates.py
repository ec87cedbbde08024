"""The files ``sparta init --plugin NAME`` writes: a plugin distribution ``sparta-NAME``.

Plain strings with ``__NAME__`` (the plugin's name, as in ``-p no:NAME``),
``__PACKAGE__`` (``sparta_NAME``) and ``__SPARTA__`` (the sparta-core version); no I/O.
"""

from __future__ import annotations

PYPROJECT = '''\
[build-system]
requires = ["hatchling>=1.18"]
build-backend = "hatchling.build"

[project]
name = "sparta-__NAME__"
version = "0.1.0"
description = "A sparta plugin: tags every function of the service"
requires-python = ">=3.10"
dependencies = ["sparta-core>=__SPARTA__"]

[project.optional-dependencies]
test = ["pytest>=8"]

# sparta finds the plugin through this entry point; `sparta -p no:__NAME__` blocks it.
[project.entry-points.sparta]
__NAME__ = "__PACKAGE__.plugin"

[tool.hatch.build.targets.wheel]
packages = ["src/__PACKAGE__"]

[tool.pytest.ini_options]
testpaths = ["tests"]
'''

README = '''\
# sparta-__NAME__

A [sparta](https://github.com/) plugin. Installed, it is found through the `sparta`
entry point `__NAME__`; `sparta plugins` lists it and `sparta -p no:__NAME__ ...` leaves
it out.

It adds the setting `__NAME__-tag` (in `[tool.sparta]`, `SPARTA___ENV___TAG` or
`-o __NAME__-tag=VALUE`) and tags every Lambda function of the service with
`sparta:__NAME__` and that value. Change `src/__PACKAGE__/plugin.py` to make it yours.

    pip install -e ".[test]"
    pytest
'''

INIT = '''\
"""sparta-__NAME__: a sparta plugin."""

__version__ = "0.1.0"
'''

PLUGIN = '''\
"""The hooks of sparta-__NAME__ (see sparta's hook reference, docs/hooks.md)."""

from __future__ import annotations

import sparta_core as sparta

SETTING = "__NAME__-tag"


@sparta.hookimpl
def sparta_addoption(parser):
    """Declare the plugin's setting: [tool.sparta] __NAME__-tag, SPARTA___ENV___TAG or
    -o __NAME__-tag=VALUE."""
    parser.add_option(SETTING, help="the value of each function's sparta:__NAME__ tag",
                      default="on")


@sparta.hookimpl
def sparta_decorate_service(ctx, template):
    """Tag every Lambda function of the template with this plugin's setting."""
    value = ctx.settings.options[SETTING]
    for resource in template.resources.values():
        if resource["Type"] == "AWS::Lambda::Function":
            tags = resource.setdefault("Properties", {}).setdefault("Tags", [])
            tags.append({"Key": "sparta:__NAME__", "Value": value})
'''

TEST = '''\
"""The plugin, tested the way sparta tests its own: a project in a temporary folder,
the CLI run on it, the template it wrote looked at."""

pytest_plugins = ["sparta_core.testing"]

SERVICE = """
import sparta_core as sparta

service = sparta.Service("demo")


@service.function()
def hello(event, context):
    return {"hello": "world"}
"""

PYPROJECT = """
[tool.sparta]
service = "service:service"
__NAME__-tag = "from-the-test"
"""


def test_the_plugin_tags_every_function(sparta_project, sparta_run):
    project = sparta_project({"service.py": SERVICE, "pyproject.toml": PYPROJECT})
    result = sparta_run("build", cwd=project)
    assert result.exit_code == 0, result.output
    functions = [r for r in result.template["Resources"].values()
                 if r["Type"] == "AWS::Lambda::Function"]
    assert functions
    for function in functions:
        tags = function["Properties"]["Tags"]
        assert {"Key": "sparta:__NAME__", "Value": "from-the-test"} in tags


def test_the_plugin_is_listed(sparta_project, sparta_run):
    project = sparta_project({"service.py": SERVICE, "pyproject.toml": PYPROJECT})
    result = sparta_run("plugins", cwd=project)
    assert "__NAME__" in result.output
'''
