"""``ProvisionContext``, the one object that travels a whole run, and the result types
the stages return and store on it."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sparta_core.engine.background import BackgroundWork

if TYPE_CHECKING:
    import pluggy

    from sparta_core.engine.reporter import Reporter
    from sparta_core.engine.settings import Settings
    from sparta_core.engine.template import Template
    from sparta_core.model.service import Service


@dataclass
class BuildResult:
    """What ``sparta_build`` returns: the files the archive will hold.

    ``sources`` maps archive names to the user's files; ``dependency_dirs`` are trees
    of installed dependencies whose contents go to the archive root; ``report`` says
    what the build did (installed, reused from cache, ...), for humans and tests.
    """

    sources: dict[str, Path]
    dependency_dirs: list[Path] = field(default_factory=list)
    report: dict[str, Any] = field(default_factory=dict)
    #: A dependency dir -> a zip of exactly its files, written by
    #: ``sparta_core.stages.package.zipwriter.write_zip``; the package stage copies its compressed
    #: entries instead of reading and compressing the dir's files again.
    packed: dict[Path, Path] = field(default_factory=dict)
    #: When functions use several architectures whose dependencies differ: each other
    #: architecture -> its dependency dirs, packaged into an archive of its own.
    #: ``dependency_dirs`` are those of the primary architecture.
    architecture_dependency_dirs: dict[str, list[Path]] = field(default_factory=dict)


@dataclass(frozen=True)
class Archive:
    """What ``sparta_package`` returns: the finished, deterministic zip."""

    path: Path
    sha256: str
    size: int
    entries: int
    unpacked_size: int

    @property
    def name(self) -> str:
        return self.path.name


@dataclass(frozen=True)
class Artifact:
    """A file ``sparta_upload`` is asked to put in S3, named by its content."""

    name: str
    path: Path
    sha256: str
    content_type: str = "application/zip"


@dataclass(frozen=True)
class S3Location:
    """Where an artifact lives in S3; ``uploaded`` is False when it was already there."""

    bucket: str
    key: str
    uploaded: bool = True

    @property
    def url(self) -> str:
        return f"s3://{self.bucket}/{self.key}"


@dataclass
class StackResult:
    """What ``sparta_converge`` returns."""

    stack_name: str
    status: str
    stack_id: str | None = None
    changed: bool = True
    outputs: dict[str, str] = field(default_factory=dict)


@dataclass
class PlanResult:
    """What ``sparta_plan`` returns: what converging would do, as printable lines."""

    stack_name: str
    #: One line per change (and any notes), printed by ``sparta plan`` as they are.
    lines: list[str] = field(default_factory=list)
    #: How many resources would change; 0 means the stack already matches.
    changes: int = 0


@dataclass
class ProvisionContext:
    """Everything a run knows; hooks receive it as ``ctx``.

    ``settings``, ``service``, ``project_dir`` and ``work_dir`` are set before the first
    hook. The slots ``build``, ``archive``, ``locations``, ``template`` and ``result`` are
    filled by the workflow as each stage returns; ``stash`` is free for plugins (key it
    by your plugin's name); report progress through ``reporter``. ``background`` holds
    the work a stage left running beside the later ones (the built-in upload stage's
    uploads): ``ctx.background.join()`` waits for it and raises its first failure (see
    :mod:`sparta_core.engine.background` for when the workflow joins it itself).
    """

    settings: Settings
    service: Service
    reporter: Reporter
    pluginmanager: pluggy.PluginManager
    build: BuildResult | None = None
    archive: Archive | None = None
    locations: dict[str, S3Location] = field(default_factory=dict)
    template: Template | None = None
    result: StackResult | None = None
    stash: dict[str, Any] = field(default_factory=dict)
    #: Architecture -> its own archive, for functions whose architecture needs other
    #: dependencies than ``archive`` holds (empty when one archive serves them all).
    archives: dict[str, Archive] = field(default_factory=dict)
    #: The command this run serves: ``provision``, ``plan``, ``build`` or ``invoke``.
    command: str = "provision"
    #: Further files the upload stage puts in S3 beside the archives, added before it
    #: (the package stage adds each component's asset, such as an ``S3Site``'s zip as
    #: ``site``; plugins may add more); their locations land in ``locations`` under the
    #: same names.
    extra_artifacts: list[Artifact] = field(default_factory=list)
    #: Why the next identical ``sparta build`` must run again rather than be replayed
    #: (see :meth:`not_replayable`); ``None`` while nothing said so.
    replay_refusal: str | None = None
    #: Work stages left running (:class:`~sparta_core.engine.background.BackgroundWork`).
    background: BackgroundWork = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.background = BackgroundWork(self.reporter)

    def not_replayable(self, reason: str) -> None:
        """Say that this build's result depends on something sparta cannot see change
        (the clock, a random choice, a file read outside Python's ``open``...): the next
        identical ``sparta build`` then runs every stage again instead of printing this
        one's output. What a hook opens, lists or imports is watched without asking; a
        process it starts, the network it uses or a file it writes outside ``.sparta/``
        refuses the replay by itself (see docs/writing-plugins.md)."""
        if self.replay_refusal is None:
            self.replay_refusal = reason

    @property
    def project_dir(self) -> Path:
        return self.settings.project_dir

    @property
    def work_dir(self) -> Path:
        """``.sparta/`` in the project, created on first use."""
        path = self.settings.output_dir
        path.mkdir(parents=True, exist_ok=True)
        return path

    @property
    def stack_name(self) -> str:
        return self.settings.stack_name or self.service.name

    @property
    def build_id(self) -> str:
        """The ``--build-id`` given, else the archive's content hash (stable per input)."""
        if self.settings.build_id:
            return self.settings.build_id
        return self.archive.sha256[:16] if self.archive else "unbuilt"

    @property
    def hook(self) -> Any:
        """The plugin manager's hook relay, for plugins that call hooks themselves."""
        return self.pluginmanager.hook
