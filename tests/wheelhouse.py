"""Tiny, hand-made distributions for dependency tests: no PyPI, no setuptools.

A wheel is a zip holding the package files plus ``*.dist-info/METADATA``, ``WHEEL`` and
``RECORD``; an sdist is a tarball with ``PKG-INFO``. Compiled modules are stand-ins: a
20-byte ELF header whose ``e_machine`` names the CPU, which is all the build checks.
"""

from __future__ import annotations

import base64
import hashlib
import io
import tarfile
import zipfile
from pathlib import Path

ELF_MACHINE = {"x86_64": 62, "aarch64": 183}


def fake_elf(machine: str) -> bytes:
    """A file that starts like a shared object built for ``machine``."""
    ident = b"\x7fELF" + bytes([2, 1, 1, 0]) + bytes(8)
    header = (3).to_bytes(2, "little") + ELF_MACHINE[machine].to_bytes(2, "little")
    return ident + header + bytes(44)


def make_wheel(
    folder: Path,
    name: str,
    version: str,
    tag: str,
    files: dict[str, bytes | str],
    requires: tuple[str, ...] = (),
    stored: bool = False,
) -> Path:
    """Write ``<name>-<version>-<tag>.whl`` into ``folder``."""
    dist = name.replace("-", "_")
    info = f"{dist}-{version}.dist-info"
    metadata = f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
    metadata += "".join(f"Requires-Dist: {requirement}\n" for requirement in requires)
    pure = tag.endswith("-none-any")
    wheel = (
        "Wheel-Version: 1.0\nGenerator: sparta-tests\n"
        f"Root-Is-Purelib: {'true' if pure else 'false'}\nTag: {tag}\n"
    )
    entries = {n: (d.encode() if isinstance(d, str) else d) for n, d in files.items()}
    entries[f"{info}/METADATA"] = metadata.encode()
    entries[f"{info}/WHEEL"] = wheel.encode()
    record = ""
    for entry_name, data in entries.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record += f"{entry_name},sha256={digest},{len(data)}\n"
    entries[f"{info}/RECORD"] = (record + f"{info}/RECORD,,\n").encode()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{dist}-{version}-{tag}.whl"
    method = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
    with zipfile.ZipFile(path, "w", method) as archive:
        for entry_name, data in entries.items():
            archive.writestr(entry_name, data)
    return path


def make_sdist(folder: Path, name: str, version: str, files: dict[str, str]) -> Path:
    """Write ``<name>-<version>.tar.gz`` (a source distribution) into ``folder``."""
    root = f"{name}-{version}"
    members = {f"{root}/PKG-INFO": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"}
    members.update({f"{root}/{path}": text for path, text in files.items()})
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{root}.tar.gz"
    with tarfile.open(path, "w:gz") as tar:
        for member, text in members.items():
            data = text.encode()
            info = tarfile.TarInfo(member)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def standard_wheelhouse(folder: Path) -> Path:
    """The test wheelhouse: a pure-Python wheel; ``fastpkg`` 2.0 as cp312 x86_64,
    cp312 aarch64 and cp311 x86_64 wheels; an sdist-only package with a C extension;
    and stand-ins for boto3 and its dependencies."""
    make_wheel(folder, "purepkg", "1.0", "py3-none-any", {
        "purepkg/__init__.py": "VALUE = 1\n",
        "purepkg/tests/__init__.py": "",
        "purepkg/tests/test_value.py": "def test(): pass\n",
        "purepkg/__pycache__/__init__.cpython-312.pyc": b"\x00bytecode",
    })
    for python, machine in (("312", "x86_64"), ("312", "aarch64"), ("311", "x86_64")):
        make_wheel(folder, "fastpkg", "2.0", f"cp{python}-cp{python}-manylinux2014_{machine}", {
            "fastpkg/__init__.py": "from fastpkg._speed import *\n",
            f"fastpkg/_speed.cpython-{python}-{machine}-linux-gnu.so": fake_elf(machine),
        })
    make_sdist(folder, "cextpkg", "0.1", {
        "setup.py": "from setuptools import Extension, setup\n"
        "setup(name='cextpkg', version='0.1', ext_modules=[Extension('cextpkg', ['cextpkg.c'])])\n",
        "cextpkg.c": "int cextpkg;\n",
    })
    make_wheel(folder, "boto3", "1.35.0", "py3-none-any", {"boto3/__init__.py": ""},
               requires=("botocore", "jmespath", "s3transfer"))
    make_wheel(folder, "botocore", "1.35.0", "py3-none-any", {"botocore/__init__.py": ""},
               requires=("jmespath", "python-dateutil", "urllib3"))
    make_wheel(folder, "s3transfer", "0.10.0", "py3-none-any", {"s3transfer/__init__.py": ""},
               requires=("botocore",))
    make_wheel(folder, "jmespath", "1.0.1", "py3-none-any", {"jmespath/__init__.py": ""})
    make_wheel(folder, "python-dateutil", "2.9.0", "py3-none-any", {"dateutil/__init__.py": ""},
               requires=("six",))
    make_wheel(folder, "six", "1.16.0", "py3-none-any", {"six.py": ""})
    make_wheel(folder, "urllib3", "2.2.0", "py3-none-any", {"urllib3/__init__.py": ""})
    make_wheel(folder, "needsdateutil", "1.0", "py3-none-any",
               {"needsdateutil/__init__.py": ""}, requires=("python-dateutil",))
    return folder
