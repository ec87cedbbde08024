"""The testing kit (``sparta_core.testing``) as a plugin author uses it: a test project that
enables it with ``pytest_plugins``, run by pytest's own ``pytester``."""

from __future__ import annotations

import importlib.util
import textwrap

import pytest

from sparta_core.testing import function_body

pytest_plugins = ["pytester"]

SERVICE = '''
def service():
    import sparta_core as sparta

    service = sparta.Service("kit")

    @service.function(environment={"GREETING": "hi"})
    def hello(event, context):
        return {"hi": event.get("name")}
'''


def run_inner(pytester: pytest.Pytester, body: str, *args: str) -> pytest.RunResult:
    pytester.makepyfile(test_inner='pytest_plugins = ["sparta_core.testing"]\n'
                        + SERVICE + textwrap.dedent(body))
    # In a process of its own, as a plugin author's suite runs (in-process, pytester
    # would forget the modules the inner run imported while sparta_core kept them).
    return pytester.runpytest_subprocess("-p", "no:cacheprovider", *args)


def test_project_run_and_recorder(pytester: pytest.Pytester) -> None:
    result = run_inner(pytester, '''
        def test_build(sparta_project, sparta_run, hook_recorder):
            project = sparta_project({"service.py": service})
            assert (project / "pyproject.toml").read_text().startswith("[tool.sparta]")
            assert (project / "service.py").read_text().startswith("import sparta_core as sparta\\n")
            result = sparta_run("build", cwd=project)
            assert result.exit_code == 0, result.output
            assert "kit: 1 function(s): hello" in result.output
            assert result.template["Resources"]["HelloFunction"]["Type"] == "AWS::Lambda::Function"
            assert "service.py" in result.archive and "sparta_runtime/__init__.py" in result.archive
            assert hook_recorder.names()[:3] == [
                "sparta_addoption", "sparta_configure", "sparta_validate_service"]
            [archive_call] = hook_recorder.calls("sparta_archive")
            assert set(archive_call) == {"ctx", "archive"}
            assert archive_call["archive"].names() == result.archive

        def test_a_failing_run(sparta_project, sparta_run):
            project = sparta_project({"service.py": "import nothing_here\\n"})
            result = sparta_run("build", cwd=project)
            assert result.exit_code == 1
            assert result.template is None and result.archive is None
            assert result.error_line().startswith("error: importing service module 'service'")

        def test_strings_are_dedented_and_projects_kept_apart(sparta_project):
            first = sparta_project({"a.txt": """
                indented
                  more
            """})
            second = sparta_project({"sparta.toml": "service = 'app:service'"})
            assert (first / "a.txt").read_text() == "indented\\n  more\\n"
            assert first != second and not (second / "pyproject.toml").exists()
    ''')
    result.assert_outcomes(passed=3)


def test_a_template_cfn_lint_rejects_fails_the_test(pytester: pytest.Pytester) -> None:
    if importlib.util.find_spec("cfnlint") is None:
        pytest.skip("cfn-lint is not installed")
    result = run_inner(pytester, '''
        def spartaconf():
            def sparta_decorate_service(ctx, template):
                template.add_resource("Broken", "AWS::SNS::Topic", {"NoSuchProperty": 1})

        def test_lint(sparta_project, sparta_run):
            project = sparta_project({"service.py": service, "spartaconf.py": spartaconf})
            sparta_run("build", cwd=project)
    ''')
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*cfn-lint found errors in kit-template.json*",
                                 "*E3002*NoSuchProperty*"])


@pytest.mark.integration
def test_aws_endpoint_is_local_set_in_the_environment_and_emptied(pytester: pytest.Pytester) -> None:
    result = run_inner(pytester, '''
        import os

        import boto3

        def test_first(aws_endpoint):
            assert aws_endpoint.startswith("http://127.0.0.1:")
            assert os.environ["AWS_ENDPOINT_URL"] == aws_endpoint
            boto3.client("s3").create_bucket(Bucket="kit-bucket")
            names = [b["Name"] for b in boto3.client("s3").list_buckets()["Buckets"]]
            assert names == ["kit-bucket"]

        def test_second_starts_empty(aws_endpoint, sparta_endpoint_url):
            assert aws_endpoint == sparta_endpoint_url  # one server for the session
            assert boto3.client("s3").list_buckets()["Buckets"] == []
    ''')
    result.assert_outcomes(passed=2)


def test_aws_endpoint_skips_without_the_local_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    from sparta_core.testing import endpoint

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "ministack" else real(name, *a)
    )
    with pytest.raises(pytest.skip.Exception, match=r"pip install 'sparta-core\[local\]'"):
        endpoint.require_ministack()


def test_a_function_body_becomes_the_file() -> None:
    def spartaconf():
        # a comment before the first statement is not part of the file
        import sparta_core as sparta

        @sparta.hookimpl
        def sparta_pre_build(ctx):
            """Nested bodies keep their indentation."""
            return None

    assert function_body(spartaconf) == (
        "import sparta_core as sparta\n\n"
        "@sparta.hookimpl\n"
        "def sparta_pre_build(ctx):\n"
        '    """Nested bodies keep their indentation."""\n'
        "    return None\n"
    )

    def decorated_first():
        @staticmethod
        def f():
            pass

    assert function_body(decorated_first).startswith("@staticmethod\n")


def test_http_request_answers_errors_and_calls_only_loopback() -> None:
    import http.server
    import threading

    from sparta_core.testing import http_request

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            self.send_response(418 if body == b"teapot" else 200)
            self.send_header("X-Echo", body.decode())
            self.end_headers()
            self.wfile.write(body[::-1])

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/"
        assert http_request(url, "POST", b"abc")[::2] == (200, b"cba")
        status, headers, body = http_request(url, "POST", b"teapot")
        assert (status, headers["x-echo"], body) == (418, "teapot", b"topaet")
    finally:
        server.shutdown()
    with pytest.raises(ValueError, match="only calls loopback addresses"):
        http_request("http://example.com/")
