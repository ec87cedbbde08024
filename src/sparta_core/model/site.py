"""The static site: a directory of the project served from an S3 bucket the stack owns.

``service.add(sparta.S3Site("site/"))`` (or ``Service(..., site=...)`` for short) declares
it; it is an ordinary component. The options are checked when the ``S3Site`` is made.
Its folder is an asset (:meth:`S3Site.assets`): the validate stage finds it in the
project and :meth:`S3Site.check_asset` checks its file names, the package stage zips it
on its own (it leaves the code archive: a changed stylesheet must not redeploy every
function) and the upload stage puts the zip at ``<service>/<sha256>.zip``. The template
is :mod:`sparta_core.model.site_template`; a custom resource, ``Custom::SpartaS3Site``,
copies the zip's files into the bucket. No I/O here.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from fnmatch import fnmatch
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any

from sparta_core.errors import ServiceDefinitionError
from sparta_core.model.component import Asset, Component
from sparta_core.model.naming import logical_id
from sparta_core.model.refs import Value

if TYPE_CHECKING:
    from sparta_core.model.component import ComponentWiring
#: The file the site's ``config`` is written to, unless ``config_file`` says otherwise.
CONFIG_FILE = "sparta-config.json"
#: S3 bucket names (the rules for buckets in general-purpose regions).
BUCKET_NAME = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
#: A document name: a relative key without '..' segments or a leading slash.
_KEY = re.compile(r"[^/\\][^\\]*")
#: The site's provider downloads the zip to Lambda's /tmp (512 MB by default).
MAX_ZIPPED = 400 * 1024 * 1024


def _what(directory: object) -> str:
    return f"S3Site({directory!r})"


def _document(value: object, option: str, directory: object) -> str:
    if not isinstance(value, str) or not _KEY.fullmatch(value) or ".." in value.split("/"):
        raise ServiceDefinitionError(
            f"{_what(directory)}: {option} must be a file name inside the site, like "
            f"'index.html', got {value!r}"
        )
    return value


@dataclass
class S3Site(Component):
    """A static website: the files of ``directory`` (a folder of the project, relative
    to it) copied into an S3 bucket the stack creates, and served from the bucket's
    website endpoint.

    - ``index_document`` (``index.html``) must exist in the directory;
      ``error_document`` (optional) is served for 4xx errors and must exist too.
    - ``bucket_name``: an explicit bucket name; by default CloudFormation names it.
    - ``public`` (``True``): the bucket serves the website endpoint, readable by anyone
      through a bucket policy (S3 Block Public Access is relaxed for policies only; ACLs
      stay blocked). ``False`` keeps the bucket fully private, without a website
      configuration, for a CloudFront distribution (or other reader) you add yourself.
    - ``cache_control``: a ``Cache-Control`` value for every file, or a mapping of glob
      patterns (matched against the path inside the site and against the file name) to
      values; the first matching pattern wins, unmatched files get no header.
    - ``exclude``: glob patterns of files or folders left out of the site.
    - ``config``: a mapping written, as JSON, to ``config_file``
      (``sparta-config.json``) at the site's root when the stack deploys. Values may be
      CloudFormation references (``sparta.GetAtt(...)``, ``sparta.Sub(...)``), so the
      page can read URLs only known once the stack exists.

    - ``name`` (``site``): the component's name; its logical IDs start with it
      (``SiteBucket``, ``SiteContents``, outputs ``SiteURL`` and ``SiteBucketName``) and
      its zip is ``.sparta/<service>-<name>.zip``. Two sites need two names.

    Everything in the bucket belongs to the site: on each deployment, objects that are
    not part of the new site are deleted, and the bucket is emptied when the stack is
    deleted.
    """

    kind = "Site"

    directory: str
    index_document: str = "index.html"
    error_document: str | None = None
    bucket_name: str | None = None
    public: bool = True
    cache_control: str | Mapping[str, str] | None = None
    exclude: tuple[str, ...] = ()
    config: Mapping[str, Value] | None = None
    config_file: str = CONFIG_FILE
    name: str = "site"
    #: The directory as a posix path relative to the project, without trailing slash.
    path: str = field(init=False, repr=False)

    def __post_init__(self) -> None:
        directory = self.directory
        if not isinstance(directory, str) or not directory.strip():
            raise ServiceDefinitionError(
                f"{_what(directory)}: the directory must be a path relative to the project, "
                "like 'site/'"
            )
        relative = PurePosixPath(directory.replace("\\", "/"))
        if relative.is_absolute() or re.match(r"[A-Za-z]:", directory):
            raise ServiceDefinitionError(
                f"{_what(directory)}: the directory must be relative to the project, not "
                "absolute"
            )
        parts = [part for part in relative.parts if part != "."]
        if not parts:
            raise ServiceDefinitionError(
                f"{_what(directory)}: the site must be a folder inside the project, not the "
                "project itself"
            )
        if ".." in parts:
            raise ServiceDefinitionError(
                f"{_what(directory)}: the directory must be inside the project (no '..')"
            )
        self.path = "/".join(parts)
        if not isinstance(self.name, str) or not re.fullmatch(r"[a-z][a-z0-9-]{0,40}", self.name):
            raise ServiceDefinitionError(
                f"{_what(directory)}: name {self.name!r} must be lowercase letters, digits "
                "and hyphens, starting with a letter"
            )
        self.index_document = _document(self.index_document, "index_document", directory)
        if self.error_document is not None:
            self.error_document = _document(self.error_document, "error_document", directory)
        if self.bucket_name is not None and (
            not isinstance(self.bucket_name, str)
            or not BUCKET_NAME.fullmatch(self.bucket_name)
            or ".." in self.bucket_name
        ):
            raise ServiceDefinitionError(
                f"{_what(directory)}: bucket_name {self.bucket_name!r} is not a valid S3 "
                "bucket name (3-63 lowercase letters, digits, '.' and '-')"
            )
        if not isinstance(self.public, bool):
            raise ServiceDefinitionError(f"{_what(directory)}: public must be True or False")
        self.cache_control = self._check_cache_control(self.cache_control)
        if isinstance(self.exclude, str):
            self.exclude = (self.exclude,)
        if not all(isinstance(pattern, str) and pattern for pattern in self.exclude):
            raise ServiceDefinitionError(
                f"{_what(directory)}: exclude must be a list of glob patterns"
            )
        self.exclude = tuple(self.exclude)
        self.config_file = _document(self.config_file, "config_file", directory)
        if self.config is not None:
            if not isinstance(self.config, Mapping) or not all(
                isinstance(key, str) for key in self.config
            ):
                raise ServiceDefinitionError(
                    f"{_what(directory)}: config must be a mapping with string keys"
                )
            self.config = dict(self.config)

    def _check_cache_control(self, value: Any) -> dict[str, str] | None:
        if value is None:
            return None
        if isinstance(value, str):
            value = {"*": value}
        if not isinstance(value, Mapping) or not value or not all(
            isinstance(k, str) and k and isinstance(v, str) and v for k, v in value.items()
        ):
            raise ServiceDefinitionError(
                f"{_what(self.directory)}: cache_control must be a header value like "
                "'max-age=300', or a mapping of glob patterns to values"
            )
        return dict(value)

    # -- what the site holds -----------------------------------------------------------

    def cache_control_for(self, name: str) -> str | None:
        """The ``Cache-Control`` value of the site file ``name`` (posix, relative)."""
        for pattern, value in (self.cache_control or {}).items():  # type: ignore[union-attr]
            if _matches(name, pattern):
                return value
        return None

    # -- the component -----------------------------------------------------------------

    @property
    def what(self) -> str:
        return _what(self.directory) if self.name == "site" else f"S3Site '{self.name}'"

    @property
    def logical_id(self) -> str:
        return logical_id(self.name)

    def assets(self) -> list[Asset]:
        """The site's folder, zipped on its own as the asset ``name``."""
        return [Asset(
            self.name, self.path, self.exclude, max_size=MAX_ZIPPED,
            limit_reason="the site's provider unpacks it in Lambda's /tmp",
        )]

    def check_asset(self, asset: Asset, names: Collection[str]) -> None:
        """The folder holds the index (and error) document, and no file is in the way
        of the config file."""
        what = self.what
        for option, document in (("index_document", self.index_document),
                                 ("error_document", self.error_document)):
            if document is not None and document not in names:
                raise ServiceDefinitionError(
                    f"{what}: {option} '{document}' is not a file of {self.path}/"
                )
        if self.config is not None and self.config_file in names:
            raise ServiceDefinitionError(
                f"{what}: {self.path}/{self.config_file} is a file of the site, but the "
                "site's config is written there; rename it or set config_file"
            )

    def contribute(self, wiring: ComponentWiring) -> None:
        """The bucket, its policy, the contents custom resource and the outputs (see
        :mod:`sparta_core.model.site_template`)."""
        from sparta_core.model.site_template import add_site

        add_site(wiring, self)

    def describe(self) -> str:
        return f"S3Site {self.path}/"


def _matches(name: str, *patterns: str) -> bool:
    base = name.rsplit("/", 1)[-1]
    return any(fnmatch(name, pattern) or fnmatch(base, pattern) for pattern in patterns)
