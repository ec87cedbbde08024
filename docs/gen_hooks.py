"""Write docs/hooks.md, the hook reference, from the docstrings of hookspecs.py.

    .venv/bin/python docs/gen_hooks.py          # rewrite docs/hooks.md
    .venv/bin/python docs/gen_hooks.py --check  # exit 1 if docs/hooks.md is stale

The test suite runs the check, so the reference cannot drift from the contract.
"""

from __future__ import annotations

import inspect
import sys
from pathlib import Path

from sparta_core import hookspecs

TARGET = Path(__file__).resolve().parent / "hooks.md"


def render() -> str:
    source = inspect.getsource(hookspecs)
    names = [name for name in dir(hookspecs) if name.startswith("sparta_")]
    names.sort(key=lambda name: source.index(f"\ndef {name}("))
    lines = [
        "# Hook reference",
        "",
        "Generated from `src/sparta_core/hookspecs.py` by `docs/gen_hooks.py`; do not edit.",
        "",
        inspect.cleandoc(hookspecs.__doc__ or ""),
        "",
    ]
    for name in names:
        function = getattr(hookspecs, name)
        opts = getattr(function, "sparta_spec", {}) or {}
        kind = "provider (first result wins)" if opts.get("firstresult") else "event"
        if opts.get("historic"):
            kind = "historic"
        signature = str(inspect.signature(function)).replace("'", "")
        lines += [
            f"## `{name}`",
            "",
            f"`{name}{signature}` · {kind}",
            "",
            inspect.cleandoc(function.__doc__ or ""),
            "",
        ]
    return "\n".join(lines)


def main() -> int:
    text = render()
    if "--check" in sys.argv:
        if not TARGET.exists() or TARGET.read_text() != text:
            print("docs/hooks.md is stale: run docs/gen_hooks.py", file=sys.stderr)
            return 1
        return 0
    TARGET.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
