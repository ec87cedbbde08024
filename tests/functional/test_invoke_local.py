"""``sparta invoke``: the function runs from the built archive, in its own process, as
Lambda would run it. No AWS is involved."""

from __future__ import annotations

import json

CONTEXT_PROJECT = {
    "pyproject.toml": """
        [tool.sparta]
        service = "service:service"
    """,
    "service.py": """
        import sparta_core as sparta

        service = sparta.Service("probe")

        @service.function(memory_size=512, timeout=7, environment={"COLOUR": "blue"})
        def context_fields(event, context):
            import os, sys
            return {
                "event": event,
                "function_name": context.function_name,
                "memory_limit_in_mb": context.memory_limit_in_mb,
                "aws_request_id": context.aws_request_id,
                "invoked_function_arn": context.invoked_function_arn,
                "log_group_name": context.log_group_name,
                "log_stream_name": context.log_stream_name,
                "remaining": context.get_remaining_time_in_millis(),
                "colour": os.environ["COLOUR"],
                "handler": os.environ["_HANDLER"],
                "first_path": sys.path[0],
            }

        @service.function()
        def fails(event, context):
            print("about to fail")
            raise ValueError("no such order")

        @service.function()
        def needs_pluggy(event, context):
            import pluggy  # installed next to sparta, but not in the archive
            return "unreachable"

        @service.function()
        def uses_boto3(event, context):
            import boto3  # Lambda's runtime provides it
            return boto3.__name__
    """,
}


def error_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith("error:")]


def test_the_example_runs_from_its_archive(cli, hello_project):
    event = hello_project / "event.json"
    event.write_text(json.dumps({"name": "Ada"}))

    result = cli("invoke", "greet", "--event", str(event), project=hello_project)

    assert json.loads(result.stdout) == {"message": "Hello, Ada!"}
    assert "START RequestId:" in result.stderr and "REPORT RequestId:" in result.stderr


def test_the_archive_ships_only_the_declaration_part_of_sparta(cli, hello_project):
    import zipfile

    cli("build", project=hello_project)
    names = zipfile.ZipFile(hello_project / ".sparta" / "hello-code.zip").namelist()
    shipped = {name for name in names if name.startswith("sparta_core/")}
    assert {"sparta_core/__init__.py", "sparta_core/errors.py",
            "sparta_core/model/service.py"} <= shipped
    assert not any(name.startswith(("sparta_core/stages/", "sparta_core/engine/", "sparta_core/commands/"))
                   for name in shipped)


def test_the_event_can_come_from_standard_input(cli, hello_project):
    from sparta_core.commands.main import main

    result = cli.runner.invoke(main, ["-C", str(hello_project), "invoke", "greet", "--event",
                                      "-"], input='{"name": "stdin"}')
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"message": "Hello, stdin!"}


def test_the_context_and_environment_are_lambdas(cli, make_project):
    project = make_project(CONTEXT_PROJECT)
    event = project / "event.json"
    event.write_text(json.dumps({"k": [1, 2]}))

    result = json.loads(cli("invoke", "context_fields", "--event", str(event),
                            project=project).stdout)

    assert result["event"] == {"k": [1, 2]}
    assert result["function_name"] == "probe-context_fields"
    assert result["memory_limit_in_mb"] == "512"
    assert len(result["aws_request_id"]) == 36
    assert result["invoked_function_arn"].endswith(":function:probe-context_fields")
    assert result["invoked_function_arn"].startswith("arn:aws:lambda:us-east-1:")
    assert result["log_group_name"] == "/aws/lambda/probe-context_fields"
    assert "[$LATEST]" in result["log_stream_name"]
    assert 0 < result["remaining"] <= 7000
    assert result["colour"] == "blue"
    assert result["handler"] == "service.context_fields"
    assert "/.sparta/invoke/" in result["first_path"]


def test_an_error_is_printed_as_json_with_one_error_line(cli, make_project):
    project = make_project(CONTEXT_PROJECT)

    result = cli("invoke", "fails", project=project, ok=False)

    assert result.exit_code == 1
    payload = json.loads(result.stdout)
    assert payload["errorType"] == "ValueError"
    assert payload["errorMessage"] == "no such order"
    assert "about to fail" in result.stderr
    [error] = error_lines(result.stderr)
    assert error == "error: function 'fails' failed: ValueError: no such order"


def test_only_the_archive_and_lambdas_runtime_are_importable(cli, make_project):
    project = make_project(CONTEXT_PROJECT)

    missing = cli("invoke", "needs_pluggy", project=project, ok=False)
    assert json.loads(missing.stdout)["errorType"] == "ModuleNotFoundError"
    assert json.loads(cli("invoke", "uses_boto3", project=project).stdout) == "boto3"


def test_bad_input_is_refused(cli, hello_project):
    unknown = cli("invoke", "nope", project=hello_project, ok=False)
    assert error_lines(unknown.output) == [
        "error: service 'hello' has no function 'nope' (it has: greet, config)"
    ]
    bad = hello_project / "bad.json"
    bad.write_text("{not json")
    refused = cli("invoke", "greet", "--event", str(bad), project=hello_project, ok=False)
    assert "not JSON" in error_lines(refused.output)[0]


def test_env_gives_a_local_run_the_values_references_would_have(cli, make_project):
    project = make_project({"service.py": """
        import sparta_core as sparta

        service = sparta.Service("withtable")
        service.resource("Table", "AWS::SNS::Topic")

        @service.function(environment={"TABLE": sparta.Ref("Table"), "MODE": "fast"})
        def show(event, context):
            import os
            return {"table": os.environ.get("TABLE"), "mode": os.environ["MODE"]}
    """})
    without = cli("invoke", "show", project=project)
    assert json.loads(without.stdout) == {"table": None, "mode": "fast"}
    assert "give it a value with --env TABLE=..." in without.stderr

    given = cli("invoke", "show", "--env", "TABLE=orders", "--env", "MODE=slow", project=project)
    assert json.loads(given.stdout) == {"table": "orders", "mode": "slow"}
    assert "TABLE" not in given.stderr

    refused = cli("invoke", "show", "--env", "AWS_REGION=x", project=project, ok=False)
    assert error_lines(refused.output) == [
        "error: --env AWS_REGION: that variable is set by Lambda or sparta"
    ]


def test_env_can_stand_in_for_discovery_locally(cli, make_project):
    project = make_project({"service.py": """
        import sparta_core as sparta

        service = sparta.Service("discovers")

        @service.function()
        def where(event, context):
            import sparta_runtime
            return sparta_runtime.discover()["resources"]
    """})
    result = cli("invoke", "where", "--env", 'SPARTA_RESOURCES={"Table": {"Ref": "t-1"}}',
                 project=project)
    assert json.loads(result.stdout) == {"Table": {"Ref": "t-1"}}


def test_a_local_run_sees_the_environment_plugins_add_and_no_internals(cli, make_project):
    project = make_project({
        "service.py": """
            import sparta_core as sparta

            service = sparta.Service("decorated-env")

            @service.function(environment={"OWN": "1"})
            def show(event, context):
                import os
                return sorted(name for name in os.environ if not name.startswith(("AWS_", "_", "LC_", "LANG", "PATH", "TZ")))
        """,
        "spartaconf.py": """
            def sparta_decorate_function(ctx, function, logical_id, template):
                variables = template.resources[logical_id]["Properties"]["Environment"]["Variables"]
                variables["ADDED_BY_PLUGIN"] = "yes"
        """,
    })
    names = json.loads(cli("invoke", "show", project=project).stdout)
    assert "ADDED_BY_PLUGIN" in names and "OWN" in names
    assert not [name for name in names if name.startswith("SPARTA_INVOKE")]


PLUGIN_EVENT_PROJECT = {
    "service.py": """
        import sparta_core as sparta
        from sparta_demo import DemoEvent

        service = sparta.Service("demoed")

        @service.function(events=[DemoEvent()])
        def tick(event, context):
            import sys
            return {"source": type(service.functions["tick"].events[0]).__module__,
                    "from": sys.modules["sparta_demo"].__file__.rsplit("/", 1)[0] == sys.path[0]}
    """,
}


def test_a_plugin_event_source_ships_and_imports_inside_lambda(cli, make_project, demo_installed):
    """The service module imports the plugin inside Lambda: the archive ships the
    package that defines the event source (with its hook implementations, inert there)."""
    project = make_project(PLUGIN_EVENT_PROJECT)
    event = project / "event.json"
    event.write_text("{}")
    result = cli("invoke", "tick", "--event", str(event), project=project)
    assert json.loads(result.stdout) == {"source": "sparta_demo", "from": True}
    assert "warning" not in result.stderr
    build = cli("build", project=project)
    assert "sparta_demo.py" in build.archive
    assert build.template["Resources"]["TickFunctionDemo0"]["Type"] == "AWS::Events::Rule"


def test_a_plugin_model_importing_what_the_archive_lacks_is_a_warning(cli, make_project, tmp_path,
                                                                      monkeypatch):
    import sys

    site = tmp_path / "site"
    (site / "acme_events").mkdir(parents=True)
    (site / "acme_events" / "__init__.py").write_text(
        "import json\n"
        "import pluggy\n"
        "from typing import TYPE_CHECKING\n"
        "import sparta_core as sparta\n"
        "from sparta_core.engine.template import Template\n"
        "if TYPE_CHECKING:\n"
        "    import click\n\n"
        "class Nothing(sparta.EventSource):\n"
        "    def contribute(self, wiring, index):\n"
        "        import yaml\n"
    )
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.delitem(sys.modules, "acme_events", raising=False)
    project = make_project({"service.py": """
        import sparta_core as sparta
        from acme_events import Nothing

        service = sparta.Service("acme")

        @service.function(events=[Nothing()])
        def work(event, context):
            return None
    """})
    result = cli("build", project=project)
    assert "acme_events/__init__.py" in result.archive
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    assert warnings == [
        f"warning: acme_events (shipped for Nothing) imports {name} at module level, which "
        "the archive does not hold: importing the service inside Lambda will fail (add it to "
        "the requirements, or import it inside the functions that need it)"
        for name in ("pluggy", "sparta_core.engine.template")
    ]
