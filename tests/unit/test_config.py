"""Settings: [tool.sparta], then SPARTA_*, then flags; plugins declare their own."""

from __future__ import annotations

from pathlib import Path

import pytest

from sparta_core.engine.settings import (
    OptionParser,
    find_project_dir,
    merge_settings,
    read_project_config,
)
from sparta_core.errors import ConfigError


def write_pyproject(root: Path, body: str) -> None:
    root.mkdir(parents=True, exist_ok=True)
    (root / "pyproject.toml").write_text(body)


def test_flags_beat_environment_beat_file(tmp_path: Path) -> None:
    write_pyproject(tmp_path, '[tool.sparta]\nregion = "eu-west-1"\ns3-bucket = "from-file"\n'
                              'exclude = ["*.md"]\n')
    values, source = read_project_config(tmp_path)
    environ = {"SPARTA_REGION": "eu-central-1", "SPARTA_EXCLUDE": "a,b"}
    settings = merge_settings(tmp_path, values, source, {"region": "us-west-2"}, environ=environ)
    assert settings.region == "us-west-2"
    assert settings.s3_bucket == "from-file"
    assert settings.exclude == ("a", "b")
    assert settings.config_file == tmp_path / "pyproject.toml"
    assert settings.output_dir == tmp_path / ".sparta"


def test_unknown_setting_in_the_file_is_an_error(tmp_path: Path) -> None:
    write_pyproject(tmp_path, '[tool.sparta]\ns3_bucket = "x"\n')
    values, source = read_project_config(tmp_path)
    with pytest.raises(ConfigError, match=r"unknown setting 's3_bucket' in \[tool\.sparta\] \(did you mean 's3-bucket'\?\)"):
        merge_settings(tmp_path, values, source, {}, environ={})


def test_bad_values_are_errors_naming_the_setting(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="setting 'SPARTA_NOOP' must be true or false"):
        merge_settings(tmp_path, {}, None, {}, environ={"SPARTA_NOOP": "maybe"})
    with pytest.raises(ConfigError, match="tags expects KEY=VALUE"):
        merge_settings(tmp_path, {}, None, {"tags": "novalue"}, environ={})


def test_malformed_toml_is_a_config_error(tmp_path: Path) -> None:
    write_pyproject(tmp_path, "[tool.sparta\n")
    with pytest.raises(ConfigError, match=r"pyproject\.toml"):
        read_project_config(tmp_path)


def test_sparta_toml_is_read_at_top_level(tmp_path: Path) -> None:
    (tmp_path / "sparta.toml").write_text('service = "app:svc"\n[tags]\nteam = "a"\n')
    values, source = read_project_config(tmp_path)
    settings = merge_settings(tmp_path, values, source, {}, environ={})
    assert settings.service_ref == "app:svc"
    assert dict(settings.tags) == {"team": "a"}


def test_project_dir_is_found_upwards(tmp_path: Path) -> None:
    write_pyproject(tmp_path / "proj", "[tool.sparta]\n")
    (tmp_path / "proj" / "src" / "deep").mkdir(parents=True)
    assert find_project_dir(tmp_path / "proj" / "src" / "deep") == tmp_path / "proj"
    assert find_project_dir(tmp_path) == tmp_path


def test_plugin_options_come_from_the_same_three_places(tmp_path: Path) -> None:
    parser = OptionParser()
    parser.add_option("log-retention", type="str", default="14")
    parser.add_option("alarms", type="bool", default=False)
    values = {"log-retention": "30"}
    settings = merge_settings(tmp_path, values, None, {"options": {"alarms": "yes"}},
                              parser, environ={})
    assert settings.options == {"log-retention": "30", "alarms": True}
    settings = merge_settings(tmp_path, {}, None, {}, parser,
                              environ={"SPARTA_LOG_RETENTION": "7"})
    assert settings.options["log-retention"] == "7"
    with pytest.raises(ConfigError, match="no plugin declares that setting"):
        merge_settings(tmp_path, {}, None, {"options": {"nope": "1"}}, parser, environ={})
    with pytest.raises(ConfigError, match="already declared by sparta"):
        parser.add_option("region")


@pytest.mark.parametrize("region", ["us-east-1", "eu-central-2", "us-gov-west-1", "cn-north-1", "ap-southeast-5"])
def test_regions_are_accepted(tmp_path: Path, region: str) -> None:
    assert merge_settings(tmp_path, {}, None, {"region": region}, environ={}).region == region


def test_a_region_that_is_not_one_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"'mars-1' is not an AWS region \(like us-east-1\)"):
        merge_settings(tmp_path, {}, None, {"region": "mars-1"}, environ={})
