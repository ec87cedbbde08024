"""The Lambda platform a service runs on, as wheel tags and installer flags."""

from __future__ import annotations

from dataclasses import dataclass

#: Lambda architecture name -> the CPU name used in wheel tags and extension suffixes.
MACHINES = {"x86_64": "x86_64", "arm64": "aarch64"}

#: Lambda's Python runtimes -> the newest manylinux glibc their OS image satisfies.
#: python3.10/3.11 run on Amazon Linux 2 (glibc 2.26: manylinux_2_17 is the newest
#: standard level at or below it); python3.12+ on Amazon Linux 2023 (glibc 2.34).
GLIBC = {
    "python3.10": (2, 17),
    "python3.11": (2, 17),
    "python3.12": (2, 34),
    "python3.13": (2, 34),
    "python3.14": (2, 34),
}


@dataclass(frozen=True)
class Target:
    """A Lambda runtime (``python3.12``) on an architecture (``x86_64``/``arm64``)."""

    runtime: str
    architecture: str

    def __post_init__(self) -> None:
        if self.runtime not in GLIBC:
            raise ValueError(f"unsupported runtime {self.runtime!r}")
        if self.architecture not in MACHINES:
            raise ValueError(f"unsupported architecture {self.architecture!r}")

    @property
    def python_version(self) -> str:
        """``"3.12"``."""
        return self.runtime.removeprefix("python")

    @property
    def abi(self) -> str:
        """``"cp312"``: the CPython tag of the runtime."""
        return "cp" + self.python_version.replace(".", "")

    @property
    def machine(self) -> str:
        """``"aarch64"`` or ``"x86_64"``."""
        return MACHINES[self.architecture]

    @property
    def glibc(self) -> tuple[int, int]:
        return GLIBC[self.runtime]

    @property
    def extension_suffix(self) -> str:
        """The suffix of a compiled module built for this target, e.g.
        ``cpython-312-aarch64-linux-gnu`` (what ``EXT_SUFFIX`` says on Lambda)."""
        return f"cpython-{self.python_version.replace('.', '')}-{self.machine}-linux-gnu"

    @property
    def uv_platform(self) -> str:
        """``--python-platform`` for uv, e.g. ``aarch64-manylinux_2_34``."""
        major, minor = self.glibc
        return f"{self.machine}-manylinux_{major}_{minor}"

    @property
    def pip_platforms(self) -> list[str]:
        """``--platform`` values for pip: every manylinux level the runtime's glibc
        satisfies, newest first (pip takes the list literally on older versions)."""
        major, minor = self.glibc
        tags = [f"manylinux_{major}_{m}_{self.machine}" for m in range(minor, 16, -1)]
        legacy = {17: "manylinux2014", 12: "manylinux2010", 5: "manylinux1"}
        tags += [f"{name}_{self.machine}" for m, name in legacy.items() if m <= minor]
        return tags

    def describe(self) -> str:
        """How errors name the target: ``cp312 manylinux aarch64``."""
        return f"{self.abi} manylinux {self.machine}"

    def __str__(self) -> str:
        return f"{self.runtime} {self.architecture}"
