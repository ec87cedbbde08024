"""Cross-compiled dependencies: wheels for the Lambda target, cached, with honest errors.

Every test installs from a local find-links folder of hand-made wheels (tests/wheelhouse.py)
with the index switched off through the installers' own environment variables, so no test
touches PyPI. What the build did (installed or reused) is read from its own report: the
``deps`` lines the CLI prints from ``BuildResult.report``.
"""

from __future__ import annotations

import json
import os
import shutil
import textwrap
import zipfile
from pathlib import Path

import pytest
from tests.wheelhouse import make_wheel, standard_wheelhouse

from sparta_core.stages.build.dependencies import ELF_MACHINES


@pytest.fixture(scope="session")
def wheelhouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return standard_wheelhouse(tmp_path_factory.mktemp("wheelhouse"))


@pytest.fixture(autouse=True)
def _offline(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A private sparta cache and uv cache; no index for uv or pip."""
    monkeypatch.setenv("SPARTA_CACHE_DIR", str(tmp_path / "sparta-cache"))
    monkeypatch.setenv("UV_CACHE_DIR", str(tmp_path / "uv-cache"))
    monkeypatch.setenv("UV_NO_INDEX", "1")
    monkeypatch.setenv("UV_OFFLINE", "1")
    monkeypatch.setenv("PIP_NO_INDEX", "1")


def service_source(runtime: str = "python3.12", architecture: str = "x86_64",
                   arm_function: bool = False, body: str = "return 'hi'") -> str:
    extra = ""
    if arm_function:
        extra = textwrap.dedent("""
            @service.function(architecture="arm64")
            def on_arm(event, context):
                return "arm"
            """)
    return textwrap.dedent(f"""
        import sparta_core as sparta

        service = sparta.Service("deps", runtime="{runtime}", architecture="{architecture}")

        @service.function()
        def hello(event, context):
            {body}
        """) + extra


@pytest.fixture
def project(make_project, wheelhouse: Path):
    def make(requirements: str = "purepkg\nfastpkg\n", settings: str = "", **service) -> Path:
        files = {
            "service.py": service_source(**service),
            "pyproject.toml": f'[tool.sparta]\nfind-links = ["{wheelhouse}"]\n{settings}',
        }
        if requirements is not None:
            files["requirements.txt"] = requirements
        return make_project(files)

    return make


def build(cli, project: Path, *args: str, ok: bool = True):
    return cli("build", *args, project=project, ok=ok)


def deps_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith("deps ")]


def names(archive: Path) -> list[str]:
    with zipfile.ZipFile(archive) as zf:
        assert zf.testzip() is None
        return zf.namelist()


def elf_machines(archive: Path) -> dict[str, str]:
    """Each compiled file of the archive -> the CPU its ELF header names."""
    found = {}
    with zipfile.ZipFile(archive) as zf:
        for name in zf.namelist():
            if name.endswith(".so"):
                data = zf.read(name)
                found[name] = ELF_MACHINES.get(int.from_bytes(data[18:20], "little"), "?")
    return found


def test_python312_arm64_gets_aarch64_binaries_on_any_host(cli, project) -> None:
    root = project(runtime="python3.12", architecture="arm64")
    result = build(cli, root)
    archive = root / ".sparta" / "deps-code.zip"
    assert elf_machines(archive) == {
        "fastpkg/_speed.cpython-312-aarch64-linux-gnu.so": "aarch64"
    }
    content = names(archive)
    assert "purepkg/__init__.py" in content and "service.py" in content
    assert deps_lines(result.output) == [
        f"deps      arm64 (cp312 manylinux aarch64): 2 package(s) installed  key "
        f"{deps_key(result.output)}"
    ]


def deps_key(output: str) -> str:
    return deps_lines(output)[0].rsplit(" ", 1)[1]


@pytest.mark.parametrize(
    ("runtime", "architecture", "expected"),
    [
        ("python3.12", "x86_64", "fastpkg/_speed.cpython-312-x86_64-linux-gnu.so"),
        ("python3.11", "x86_64", "fastpkg/_speed.cpython-311-x86_64-linux-gnu.so"),
        ("python3.12", "arm64", "fastpkg/_speed.cpython-312-aarch64-linux-gnu.so"),
    ],
)
def test_binary_wheel_is_chosen_per_python_and_architecture(
    cli, project, runtime: str, architecture: str, expected: str
) -> None:
    root = project(runtime=runtime, architecture=architecture)
    build(cli, root)
    machine = "aarch64" if architecture == "arm64" else "x86_64"
    assert elf_machines(root / ".sparta" / "deps-code.zip") == {expected: machine}


def test_slimming_drops_bytecode_package_tests_and_installer_bookkeeping(cli, project) -> None:
    root = project()
    build(cli, root)
    content = names(root / ".sparta" / "deps-code.zip")
    assert "purepkg/__init__.py" in content
    assert not [n for n in content if "__pycache__" in n or n.endswith(".pyc")]
    assert not [n for n in content if n.startswith("purepkg/tests/")]
    assert not [n for n in content if n.endswith("uv_cache.json") or n == ".lock"]


def test_exclude_globs_apply_to_dependencies(cli, project) -> None:
    root = project(settings='exclude = ["*.dist-info/INSTALLER"]\n')
    build(cli, root)
    content = names(root / ".sparta" / "deps-code.zip")
    assert "purepkg-1.0.dist-info/METADATA" in content
    assert not [n for n in content if n.endswith("/INSTALLER")]


def test_sdist_only_native_package_fails_in_one_line(cli, project) -> None:
    root = project(requirements="purepkg\ncextpkg\n", architecture="arm64")
    result = build(cli, root, ok=False)
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    errors = [line for line in lines if line.startswith("error:")]
    assert errors == [lines[-1]]
    assert errors[0].startswith(
        "error: no compatible wheel of 'cextpkg' 0.1 for cp312 manylinux aarch64 "
        "(python3.12 arm64): only a source distribution is published"
    )
    assert "find-links" in errors[0]  # says what to do
    assert "Traceback" not in result.output
    assert not (root / ".sparta" / "deps-code.zip").exists()


def test_wheel_for_another_python_only_is_refused_naming_the_target(cli, project) -> None:
    root = project(requirements="fastpkg\n", runtime="python3.13")
    result = build(cli, root, ok=False)
    assert result.output.strip().splitlines()[-1].startswith(
        "error: no compatible wheel of 'fastpkg' 2.0 for cp313 manylinux x86_64"
    )


def test_unknown_requirement_is_named(cli, project) -> None:
    result = build(cli, project(requirements="no-such-thing\n"), ok=False)
    assert result.output.strip().splitlines()[-1].startswith(
        "error: requirement 'no-such-thing' was not found"
    )


def test_conflict_is_one_readable_block_then_one_error_line(cli, project) -> None:
    result = build(cli, project(requirements="purepkg==1.0\npurepkg==2.0\n"), ok=False)
    lines = result.output.strip().splitlines()
    assert lines[-1].startswith("error: the requirements cannot be resolved together for "
                                "cp312 manylinux x86_64")
    assert [line for line in lines if line.startswith("error:")] == [lines[-1]]
    block = "\n".join(lines[:-1])
    assert "the installer says:" in block and "purepkg==1.0 and purepkg==2.0" in block


def test_code_only_change_reuses_dependencies_without_recompressing(cli, project) -> None:
    root = project(architecture="arm64")
    first = build(cli, root)
    assert "2 package(s) installed" in deps_lines(first.output)[0]
    archive = root / ".sparta" / "deps-code.zip"
    before = raw_entries(archive)

    (root / "service.py").write_text(service_source(architecture="arm64", body="return 'bye'"))
    second = build(cli, root)
    assert "2 package(s) reused from cache" in deps_lines(second.output)[0]
    assert deps_key(second.output) == deps_key(first.output)
    after = raw_entries(archive)
    assert after["service.py"] != before["service.py"]
    # The dependencies' compressed bytes are carried over as they were.
    dependency_names = [n for n in before if n.startswith(("fastpkg", "purepkg"))]
    assert dependency_names and all(after[n] == before[n] for n in dependency_names)


def raw_entries(archive: Path) -> dict[str, bytes]:
    """Each entry's compressed bytes, as stored in the zip."""
    data = archive.read_bytes()
    entries = {}
    with zipfile.ZipFile(archive) as zf:
        for info in zf.infolist():
            name_length = int.from_bytes(data[info.header_offset + 26:info.header_offset + 28],
                                         "little")
            extra_length = int.from_bytes(
                data[info.header_offset + 28:info.header_offset + 30], "little")
            start = info.header_offset + 30 + name_length + extra_length
            entries[info.filename] = data[start:start + info.compress_size]
    return entries


def test_changing_architecture_or_runtime_invalidates_the_cache(cli, project) -> None:
    root = project(requirements="purepkg\n")
    first = build(cli, root)
    assert "installed" in deps_lines(first.output)[0]
    assert "reused from cache" in deps_lines(build(cli, root).output)[0]

    (root / "service.py").write_text(service_source(architecture="arm64"))
    arm = build(cli, root)
    assert "installed" in deps_lines(arm.output)[0]
    assert deps_key(arm.output) != deps_key(first.output)

    (root / "service.py").write_text(service_source(runtime="python3.13", architecture="arm64"))
    newer = build(cli, root)
    assert "(cp313 manylinux aarch64): 1 package(s) installed" in deps_lines(newer.output)[0]
    assert deps_key(newer.output) not in (deps_key(first.output), deps_key(arm.output))


def test_requirements_change_invalidates_the_cache(cli, project) -> None:
    root = project(requirements="purepkg\n")
    first = build(cli, root)
    (root / "requirements.txt").write_text("purepkg\nfastpkg\n")
    second = build(cli, root)
    assert "2 package(s) installed" in deps_lines(second.output)[0]
    assert deps_key(second.output) != deps_key(first.output)


def test_archive_with_dependencies_is_byte_identical_across_builds(
    cli, project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = project(arm_function=False)
    archive = root / ".sparta" / "deps-code.zip"
    first = build(cli, root)
    digest = archive.read_bytes()
    # Again from a cold cache, a fresh install and a fresh .sparta/.
    monkeypatch.setenv("SPARTA_CACHE_DIR", str(tmp_path / "another-cache"))
    shutil.rmtree(root / ".sparta")
    second = build(cli, root)
    assert "installed" in deps_lines(second.output)[0]
    assert archive.read_bytes() == digest
    # And warm, through the unchanged-inputs fast path.
    build(cli, root)
    assert archive.read_bytes() == digest
    assert _sha(first.output, archive.name) == _sha(second.output, archive.name)


def test_force_rebuilds_from_scratch(cli, project) -> None:
    root = project()
    build(cli, root)
    assert "reused from cache" in deps_lines(build(cli, root).output)[0]
    forced = build(cli, root, "--force")
    assert "2 package(s) installed" in deps_lines(forced.output)[0]
    assert "reused from cache" in deps_lines(build(cli, root).output)[0]


def test_pyproject_dependencies_when_there_is_no_requirements_file(
    cli, make_project, wheelhouse: Path
) -> None:
    root = make_project({
        "service.py": service_source(),
        "pyproject.toml": textwrap.dedent(f"""
            [project]
            name = "deps"
            version = "1"
            dependencies = ["purepkg"]

            [tool.sparta]
            find-links = ["{wheelhouse}"]
            """),
    })
    result = build(cli, root)
    assert "1 package(s) installed" in deps_lines(result.output)[0]
    assert "purepkg/__init__.py" in names(root / ".sparta" / "deps-code.zip")


def test_requirements_path_is_configurable(cli, project) -> None:
    root = project(requirements=None, settings='requirements = "deploy/reqs.txt"\n')
    (root / "deploy").mkdir()
    (root / "deploy" / "reqs.txt").write_text("fastpkg\n")
    result = build(cli, root)
    assert "1 package(s) installed" in deps_lines(result.output)[0]


def test_no_requirements_means_no_dependency_step(cli, project) -> None:
    result = build(cli, project(requirements=None))
    assert deps_lines(result.output) == []


def test_runtime_provided_packages_are_left_to_the_runtime(cli, project) -> None:
    root = project(requirements="boto3\nneedsdateutil\n",
                   settings="exclude-runtime-provided = true\n")
    build(cli, root)
    tops = {name.split("/", 1)[0] for name in names(root / ".sparta" / "deps-code.zip")}
    for gone in ("boto3", "botocore", "s3transfer", "jmespath", "urllib3"):
        assert gone not in tops
    # python-dateutil (and six, which it needs) stay: another package needs them.
    assert {"dateutil", "six.py", "needsdateutil"} <= tops


def test_runtime_provided_packages_ship_by_default(cli, project) -> None:
    root = project(requirements="boto3\n")
    build(cli, root)
    tops = {name.split("/", 1)[0] for name in names(root / ".sparta" / "deps-code.zip")}
    assert {"boto3", "botocore", "s3transfer", "jmespath", "dateutil", "six.py"} <= tops


def test_pip_fallback_installs_for_the_target(cli, project, monkeypatch) -> None:
    monkeypatch.setenv("SPARTA_INSTALLER", "pip")
    root = project(architecture="arm64")
    result = build(cli, root)
    assert "installed" in deps_lines(result.output)[0]
    assert elf_machines(root / ".sparta" / "deps-code.zip") == {
        "fastpkg/_speed.cpython-312-aarch64-linux-gnu.so": "aarch64"
    }


def test_functions_on_two_architectures_get_one_archive_each(cli, project, cfn_lint) -> None:
    root = project(architecture="x86_64", arm_function=True)
    result = build(cli, root)
    primary = root / ".sparta" / "deps-code.zip"
    arm = root / ".sparta" / "deps-code-arm64.zip"
    assert list(elf_machines(primary).values()) == ["x86_64"]
    assert list(elf_machines(arm).values()) == ["aarch64"]
    assert len(deps_lines(result.output)) == 2
    template_path = root / ".sparta" / "deps-template.json"
    resources = json.loads(template_path.read_text())["Resources"]
    keys = {name: r["Properties"]["Code"]["S3Key"] for name, r in resources.items()
            if r["Type"] == "AWS::Lambda::Function"}
    assert keys["HelloFunction"].endswith(_sha(result.output, primary.name) + ".zip")
    assert keys["OnArmFunction"].endswith(_sha(result.output, arm.name) + ".zip")
    assert cfn_lint(template_path) == []


def test_pure_python_dependencies_keep_one_archive_for_both_architectures(cli, project) -> None:
    root = project(requirements="purepkg\n", arm_function=True)
    result = build(cli, root)
    assert len(deps_lines(result.output)) == 2
    assert not (root / ".sparta" / "deps-code-arm64.zip").exists()


def _sha(output: str, archive_name: str) -> str:
    line = next(line for line in output.splitlines() if archive_name + " " in line)
    return line.split("sha256 ")[1].split()[0]


def test_lambda_size_limit_names_the_largest_package(cli, project, tmp_path: Path) -> None:
    import os

    house = tmp_path / "big-wheels"
    make_wheel(house, "bigpkg", "3.1", "py3-none-any",
               {"bigpkg/blob.bin": os.urandom(51 * 1024 * 1024)}, stored=True)
    root = project(requirements="bigpkg\n")
    (root / "pyproject.toml").write_text(f'[tool.sparta]\nfind-links = ["{house}"]\n')
    result = build(cli, root, ok=False)
    last = result.output.strip().splitlines()[-1]
    assert last.startswith("error: stage 'package'")
    assert "Lambda takes at most 50 MB" in last
    assert "(largest: bigpkg 3.1 53.5 MB" in last


def test_an_architecture_archive_no_longer_needed_is_removed(cli, project) -> None:
    root = project(architecture="x86_64", arm_function=True)
    build(cli, root)
    arm = root / ".sparta" / "deps-code-arm64.zip"
    assert arm.exists()
    (root / "requirements.txt").write_text("purepkg\n")  # now the same tree on both
    build(cli, root)
    assert not arm.exists()
    assert not (root / ".sparta" / ".deps-code-arm64.zip.json").exists()


def _flip_4k(path: Path) -> None:
    """4 KB inverted in the middle of ``path``, same size, its mtime put back."""
    status = path.stat()
    data = bytearray(path.read_bytes())
    middle = len(data) // 2
    data[middle:middle + 4096] = bytes(b ^ 0xFF for b in data[middle:middle + 4096])
    path.write_bytes(bytes(data))
    assert path.stat().st_size == status.st_size
    os.utime(path, ns=(status.st_atime_ns, status.st_mtime_ns))


DAMAGES = {
    "flipped": lambda entry: _flip_4k(entry / "site.zip"),
    "truncated": lambda entry: (entry / "site.zip").write_bytes(
        (entry / "site.zip").read_bytes()[:-100]),
    "empty": lambda entry: (entry / "site.zip").write_bytes(b""),
    "missing": lambda entry: (entry / "site.zip").unlink(),
    "manifest {}": lambda entry: (entry / "manifest.json").write_text("{}"),
    "manifest not JSON": lambda entry: (entry / "manifest.json").write_text('{"installer": '),
    "manifest without versions": lambda entry: (entry / "manifest.json").write_text(
        json.dumps({**json.loads((entry / "manifest.json").read_text()),
                    "packages": {"purepkg": {}}})),
}


@pytest.mark.parametrize("damage", sorted(DAMAGES))
def test_a_damaged_cache_entry_is_discarded_and_rebuilt_with_a_warning(
    cli, project, wheelhouse: Path, tmp_path: Path, damage: str
) -> None:
    house = tmp_path / "bulk-wheels"
    make_wheel(house, "bulkpkg", "1.0", "py3-none-any",
               {"bulkpkg/__init__.py": "", "bulkpkg/data.bin": os.urandom(64 * 1024)})
    root = project(requirements="purepkg\nbulkpkg\n")
    (root / "pyproject.toml").write_text(
        f'[tool.sparta]\nfind-links = ["{wheelhouse}", "{house}"]\n')
    build(cli, root)
    (entry,) = (tmp_path / "sparta-cache" / "deps").iterdir()
    DAMAGES[damage](entry)

    result = build(cli, root)
    warnings = [line for line in result.output.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 1
    assert warnings[0].startswith(f"warning: dependency cache entry {entry} ")
    assert warnings[0].endswith(": discarded, installing again")
    assert "2 package(s) installed" in deps_lines(result.output)[0]
    content = names(root / ".sparta" / "deps-code.zip")  # testzip: every CRC is good
    assert "purepkg/__init__.py" in content and "bulkpkg/data.bin" in content

    again = build(cli, root)
    assert "warning:" not in again.output
    assert "reused from cache" in deps_lines(again.output)[0]


def test_an_unchanged_cache_entry_is_not_hashed_again(
    cli, project, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = project()
    build(cli, root)

    def no_hashing(path: Path) -> str:
        raise AssertionError(f"{path} was hashed")

    monkeypatch.setattr("sparta_core.stages.build.cache.file_sha256", no_hashing)
    result = build(cli, root)
    assert "reused from cache" in deps_lines(result.output)[0]
