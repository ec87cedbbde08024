"""Settings: ``[tool.sparta]`` (or ``sparta.toml``), then ``SPARTA_*``, then flags.

The three sources are merged once, into one frozen :class:`Settings` object that
travels on the :class:`~sparta_core.engine.context.ProvisionContext`. Plugins declare settings
of their own through ``sparta_addoption(parser)``; they are read from the same three
places (a flag is ``-o NAME=VALUE``) and land in ``Settings.options``.
"""

from __future__ import annotations

import difflib
import os
import re
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from sparta_core.errors import ConfigError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

ENV_PREFIX = "SPARTA_"
WORK_DIR_NAME = ".sparta"


def _as_str(value: Any, key: str) -> str:
    if not isinstance(value, (str, int, float)) or isinstance(value, bool):
        raise ConfigError(f"setting '{key}' must be a string, got {value!r}")
    return str(value)


#: us-east-1, eu-central-2, us-gov-west-1, cn-north-1, ap-southeast-5...
_REGION = re.compile(r"[a-z]{2}(-[a-z]+)+-\d{1,2}")


def _as_region(value: Any, key: str) -> str:
    region = _as_str(value, key)
    if not _REGION.fullmatch(region):
        raise ConfigError(f"setting '{key}': {region!r} is not an AWS region (like us-east-1)")
    return region


def _as_list(value: Any, key: str) -> tuple[str, ...]:
    if isinstance(value, str):
        return tuple(item.strip() for item in value.split(",") if item.strip())
    if isinstance(value, (list, tuple)) and all(isinstance(item, str) for item in value):
        return tuple(value)
    raise ConfigError(f"setting '{key}' must be a list of strings, got {value!r}")


def _as_bool(value: Any, key: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("1", "true", "yes", "on"):
        return True
    if isinstance(value, str) and value.lower() in ("0", "false", "no", "off", ""):
        return False
    raise ConfigError(f"setting '{key}' must be true or false, got {value!r}")


def _as_mapping(value: Any, key: str) -> Mapping[str, str]:
    if isinstance(value, str):
        value = parse_pairs(_as_list(value, key), what=key)
    if isinstance(value, Mapping):
        return MappingProxyType({str(k): _as_str(v, f"{key}.{k}") for k, v in value.items()})
    raise ConfigError(f"setting '{key}' must be a table of strings, got {value!r}")


def parse_pairs(pairs: tuple[str, ...] | list[str], *, what: str) -> dict[str, str]:
    """``["K=V", ...]`` as a dict; an item without ``=`` is an error naming ``what``."""
    result: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise ConfigError(f"{what} expects KEY=VALUE, got {pair!r}")
        result[name.strip()] = value
    return result


#: ``log-retention-days = "never"``: TOML has no null, so the word says "keep forever".
NEVER_EXPIRE = "never"


def _as_retention(value: Any, key: str) -> int | str:
    from sparta_core.model.function import LOG_RETENTION_DAYS

    if isinstance(value, str) and value.strip().lower() == NEVER_EXPIRE:
        return NEVER_EXPIRE
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)  # from SPARTA_LOG_RETENTION_DAYS
    if isinstance(value, bool) or not isinstance(value, int) or value not in LOG_RETENTION_DAYS:
        raise ConfigError(
            f"setting '{key}' must be one of CloudWatch Logs' retention periods "
            f"({', '.join(map(str, LOG_RETENTION_DAYS))}) or \"{NEVER_EXPIRE}\", got {value!r}"
        )
    return value


#: ``require-approval``: which change sets need a yes (DESIGN §2, after the AWS CDK).
APPROVAL_POLICIES = ("never", "broadening", "any-change")


def _as_approval(value: Any, key: str) -> str:
    policy = _as_str(value, key)
    if policy not in APPROVAL_POLICIES:
        raise ConfigError(f"setting '{key}' must be one of {', '.join(APPROVAL_POLICIES)}, "
                          f"got {policy!r}")
    return policy


#: The settings sparta itself reads: key in [tool.sparta] -> (field, converter).
CORE_KEYS: dict[str, tuple[str, Callable[[Any, str], Any]]] = {
    "service": ("service_ref", _as_str),
    "s3-bucket": ("s3_bucket", _as_str),
    "region": ("region", _as_region),
    "profile": ("profile", _as_str),
    "endpoint-url": ("endpoint_url", _as_str),
    "build-id": ("build_id", _as_str),
    "requirements": ("requirements", _as_str),
    "exclude": ("exclude", _as_list),
    "include": ("include", _as_list),
    "plugins": ("plugins", _as_list),
    "tags": ("tags", _as_mapping),
    "params": ("params", _as_mapping),
    "local": ("local", _as_bool),
    "noop": ("noop", _as_bool),
    "index-url": ("index_url", _as_str),
    "extra-index-url": ("extra_index_url", _as_list),
    "find-links": ("find_links", _as_list),
    "exclude-runtime-provided": ("exclude_runtime_provided", _as_bool),
    "force": ("force", _as_bool),
    "installer": ("installer", _as_str),
    "log-retention-days": ("log_retention_days", _as_retention),
    "require-approval": ("require_approval", _as_approval),
    "layer": ("layer", _as_bool),
}

#: What each key of ``[tool.sparta]`` takes and does: (type, default, help). The source
#: of the settings table of docs/reference.md (``docs/gen_reference.py``); a test keeps
#: it in step with :data:`CORE_KEYS`.
KEY_DOCS: dict[str, tuple[str, str, str]] = {
    "service": ("str", '"service:service"', "The service object, `module:attribute`."),
    "s3-bucket": ("str", "none (`--local`: a bucket of its own)",
                  "Bucket for archives and templates (content-addressed keys)."),
    "region": ("str", "the AWS configuration's (`--local`: us-east-1)", "AWS region."),
    "profile": ("str", "none", "AWS credentials profile."),
    "endpoint-url": ("str", "none", "Send every AWS call to this endpoint (also "
                                    "`AWS_ENDPOINT_URL`)."),
    "build-id": ("str", "the archive's hash", "Build identifier, kept in the template's "
                                              "`Metadata`."),
    "requirements": ("str", "requirements.txt, else [project] dependencies",
                     "The requirements file to install for Lambda's platform."),
    "exclude": ("list[str]", "[]", "Globs of project files left out of the archive."),
    "include": ("list[str]", "[]", "Globs shipped although a default or `exclude` leaves "
                                   "them out (a secret file only by its exact path)."),
    "plugins": ("list[str]", "[]", "Plugin modules to load, after the entry points."),
    "tags": ("table of str", "{}", "Stack tags (`--tag K=V` adds to them)."),
    "params": ("table of str", "{}", "Template parameter values (`--param K=V`)."),
    "local": ("bool", "false", "Use the embedded local AWS endpoint (`--local`)."),
    "noop": ("bool", "false", "Build and marshal only; nothing in AWS changes (`--noop`)."),
    "index-url": ("str", "the installer's", "Package index for the dependencies."),
    "extra-index-url": ("list[str]", "[]", "More package indexes."),
    "find-links": ("list[str]", "[]", "Folders or pages of wheels to install from."),
    "exclude-runtime-provided": ("bool", "false", "Leave out boto3 and what else Lambda's "
                                                  "Python runtime provides."),
    "force": ("bool", "false", "Reinstall the dependencies, ignoring the cache "
                               "(`build --force`)."),
    "installer": ('"uv" | "pip"', "uv when available, else pip", "The dependency "
                                                                 "installer."),
    "log-retention-days": ("int | \"never\"", "30", "Days every function's log group keeps "
                                                    "events, unless the function says "
                                                    "otherwise."),
    "layer": ("bool", "false", "Put the dependencies in a content-addressed Lambda layer; "
                               "the function archive holds only the project's code."),
    "require-approval": ('"never" | "broadening" | "any-change"', '"broadening"',
                         "Which changes need a yes at the terminal (or `--yes`) before the "
                         "change set runs: IAM broadening, every change, or none."),
    "stages": ("table of tables", "{}", "`[tool.sparta.stages.NAME]`: the same keys, laid "
                                        "over these for `--stage NAME`."),
}

CONVERTERS: dict[str, Callable[[Any, str], Any]] = {
    "str": _as_str,
    "list": _as_list,
    "bool": _as_bool,
    "mapping": _as_mapping,
}


@dataclass(frozen=True)
class Settings:
    """Everything a run is configured with; frozen once merged."""

    project_dir: Path
    service_ref: str = "service:service"
    stack_name: str | None = None
    region: str | None = None
    profile: str | None = None
    endpoint_url: str | None = None
    s3_bucket: str | None = None
    build_id: str | None = None
    requirements: str | None = None
    exclude: tuple[str, ...] = ()
    #: Globs of project files that ship although a default or ``exclude`` leaves them
    #: out; a file that holds secrets ships only when named here by its exact path.
    include: tuple[str, ...] = ()
    plugins: tuple[str, ...] = ()
    tags: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    params: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    local: bool = False
    noop: bool = False
    #: ``--yes``: consent given in advance to execute change sets and replace failed stacks.
    yes: bool = False
    config_file: Path | None = None
    options: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    index_url: str | None = None
    extra_index_url: tuple[str, ...] = ()
    find_links: tuple[str, ...] = ()
    exclude_runtime_provided: bool = False
    #: ``sparta build --force``: rebuild dependencies from scratch, ignoring the cache.
    force: bool = False
    #: ``uv`` or ``pip``; unset means uv when available, else pip.
    installer: str | None = None
    #: Days log groups keep events unless a function says otherwise; ``None`` keeps
    #: them forever (``log-retention-days = "never"``).
    log_retention_days: int | None = 30
    #: ``--stage NAME`` / ``SPARTA_STAGE``: the service is deployed as the stack
    #: ``<service>-<stage>`` with ``[tool.sparta.stages.NAME]`` laid over the settings.
    stage: str | None = None
    #: ``--require-approval``: ``broadening`` (a change set that broadens IAM needs a yes),
    #: ``any-change`` (every change set does) or ``never``.
    require_approval: str = "broadening"
    #: ``provision --hotswap`` (and ``watch``): apply a code-only change directly.
    hotswap: bool = False
    #: ``layer = true``: the dependencies go to a Lambda layer, the archive holds the code.
    layer: bool = False

    @property
    def output_dir(self) -> Path:
        """Where sparta writes what it makes: ``<project>/.sparta``."""
        return self.project_dir / WORK_DIR_NAME


@dataclass(frozen=True)
class OptionSpec:
    """A setting a plugin declared through ``sparta_addoption``."""

    name: str
    help: str
    default: Any
    type: str


class OptionParser:
    """What ``sparta_addoption(parser)`` receives: plugins declare their settings here."""

    def __init__(self) -> None:
        self.specs: dict[str, OptionSpec] = {}

    def add_option(
        self, name: str, *, help: str = "", default: Any = None, type: str = "str"
    ) -> None:
        """Declare setting ``name`` (kebab-case), read from ``[tool.sparta]``,
        ``SPARTA_<NAME>`` and ``-o name=value``. ``type``: str, list, bool or mapping."""
        if name in CORE_KEYS or name in self.specs:
            owner = "sparta" if name in CORE_KEYS else "another plugin"
            raise ConfigError(f"plugin setting '{name}' is already declared by {owner}")
        if type not in CONVERTERS:
            raise ConfigError(f"setting '{name}': type must be one of {', '.join(CONVERTERS)}")
        self.specs[name] = OptionSpec(name, help, default, type)


@dataclass(frozen=True)
class DormantPlugin:
    """A plugin sparta knows of but did not load (``-p no:NAME``, or an entry point with
    autoload off): its settings are unknown, so a setting that looks like its own is
    ignored with a warning instead of failing every command."""

    name: str
    #: ``blocked (-p no:NAME)`` or ``not loaded (...)``.
    reason: str
    #: The distribution whose entry point it is, when it is one.
    distribution: str | None = None

    def claims(self, key: str) -> bool:
        """Whether setting ``key`` is named like this plugin's: ``NAME`` or ``NAME-...``,
        by the plugin's name or its distribution's (``sparta-acme`` claims ``acme-*``)."""
        prefixes = {self.name.replace("_", "-")}
        if self.distribution:
            dist = self.distribution.lower().replace("_", "-")
            prefixes |= {dist, dist.removeprefix("sparta-")}
        return any(key == prefix or key.startswith(prefix + "-") for prefix in prefixes)

    def describe(self) -> str:
        if self.distribution:
            return f"belongs to plugin '{self.name}' ({self.distribution}), which is {self.reason}"
        return f"belongs, by its name, to plugin '{self.name}', which is {self.reason}"


#: The files whose presence decides which directory is the project's.
PROJECT_MARKERS = ("sparta.toml", "pyproject.toml")


def find_project_dir(start: Path) -> Path:
    """The nearest directory at or above ``start`` that holds a sparta configuration,
    else ``start`` itself."""
    start = start.resolve()
    for directory in (start, *start.parents):
        if (directory / "sparta.toml").is_file():
            return directory
        pyproject = directory / "pyproject.toml"
        if pyproject.is_file() and "sparta" in read_toml(pyproject).get("tool", {}):
            return directory
    return start


def project_markers(start: Path) -> list[Path]:
    """Every path whose presence :func:`find_project_dir` may look at from ``start``:
    creating or removing one of them may move the project."""
    start = start.resolve()
    return [directory / name for directory in (start, *start.parents)
            for name in PROJECT_MARKERS]


def read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: {error}") from None


def read_project_config(project_dir: Path) -> tuple[dict[str, Any], Path | None]:
    """The raw ``[tool.sparta]`` table (or ``sparta.toml``) and the file it came from."""
    sparta_toml = project_dir / "sparta.toml"
    if sparta_toml.is_file():
        data = read_toml(sparta_toml)
        return dict(data.get("tool", {}).get("sparta", data)), sparta_toml
    pyproject = project_dir / "pyproject.toml"
    if pyproject.is_file():
        table = read_toml(pyproject).get("tool", {}).get("sparta")
        if table is not None:
            if not isinstance(table, dict):
                raise ConfigError(f"{pyproject}: [tool.sparta] must be a table")
            return dict(table), pyproject
    return {}, None


def env_key(key: str) -> str:
    return ENV_PREFIX + key.upper().replace("-", "_")


def merge_settings(
    project_dir: Path,
    file_values: Mapping[str, Any],
    config_file: Path | None,
    flags: Mapping[str, Any],
    parser: OptionParser | None = None,
    environ: Mapping[str, str] | None = None,
    dormant: Sequence[DormantPlugin] = (),
    warn: Callable[[str], None] | None = None,
) -> Settings:
    """Merge file values, then ``SPARTA_*`` variables, then ``flags`` (keyed like the file,
    ``None`` meaning "not given"; plugin options under ``"options"`` as a dict).

    An unknown setting is an error, unless it is named like a setting of a ``dormant``
    plugin (blocked, or not autoloaded): then it is given to ``warn`` and ignored, so
    that blocking a plugin never stops a command."""
    environ = os.environ if environ is None else environ
    specs = parser.specs if parser else {}
    where = str(config_file) if config_file else "configuration"

    def dormant_owner(key: str, place: str) -> bool:
        owner = next((plugin for plugin in dormant if plugin.claims(key)), None)
        if owner is not None and warn is not None:
            warn(f"{place}: setting '{key}'{' in [tool.sparta]' if place == where else ''} "
                 f"{owner.describe()}; ignored")
        return owner is not None

    file_values = dict(file_values)
    for key in list(file_values):
        if key in CORE_KEYS or key in specs:
            continue
        if dormant_owner(key, where):
            del file_values[key]
            continue
        close = difflib.get_close_matches(key, [*CORE_KEYS, *specs], n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        if not hint and dormant:
            names = ", ".join(sorted(plugin.name for plugin in dormant))
            hint = f" (plugins not loaded, whose settings sparta cannot know: {names})"
        raise ConfigError(f"{where}: unknown setting '{key}' in [tool.sparta]{hint}")

    def pick(key: str, convert: Callable[[Any, str], Any]) -> Any:
        if flags.get(key) is not None:
            return convert(flags[key], key)
        if env_key(key) in environ:
            return convert(environ[env_key(key)], env_key(key))
        if key in file_values:
            return convert(file_values[key], f"{where}: {key}")
        return None

    values: dict[str, Any] = {}
    for key, (field_name, convert) in CORE_KEYS.items():
        value = pick(key, convert)
        if value is not None:
            values[field_name] = None if value == NEVER_EXPIRE else value
    option_flags = dict(flags.get("options") or {})
    for name in sorted(set(option_flags) - set(specs)):
        if dormant_owner(name, f"-o {name}"):
            del option_flags[name]
    unknown = set(option_flags) - set(specs)
    if unknown:
        raise ConfigError(f"-o {sorted(unknown)[0]}=...: no plugin declares that setting")
    options: dict[str, Any] = {}
    for name, spec in specs.items():
        convert = CONVERTERS[spec.type]
        if name in option_flags:
            options[name] = convert(option_flags[name], name)
        else:
            value = pick(name, convert)
            options[name] = spec.default if value is None else value
    return Settings(
        project_dir=project_dir,
        config_file=config_file,
        options=MappingProxyType(options),
        **values,
    )


@dataclass(frozen=True)
class Config:
    """What ``sparta_configure(config)`` receives."""

    settings: Settings
    pluginmanager: Any
    parser: OptionParser
