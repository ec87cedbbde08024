"""The reference of function options and settings is generated from the tables the code
uses, and those tables cover everything the code accepts."""

from __future__ import annotations

import dataclasses
import pydoc
import subprocess
import sys
from pathlib import Path

import sparta_core as sparta
from sparta_core.engine.settings import CORE_KEYS, KEY_DOCS
from sparta_core.engine.stage_overlay import STAGES_KEY
from sparta_core.model.function import FUNCTION_OPTIONS, LambdaFunction
from sparta_core.model.function_options import FUNCTION_OPTION_DOCS

DOCS = Path(__file__).resolve().parent.parent / "docs"


def test_reference_is_generated_and_current() -> None:
    result = subprocess.run([sys.executable, str(DOCS / "gen_reference.py"), "--check"],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_every_option_is_documented_and_is_a_field_of_the_function() -> None:
    assert tuple(FUNCTION_OPTION_DOCS) == FUNCTION_OPTIONS
    fields = {f.name for f in dataclasses.fields(LambdaFunction)}
    assert set(FUNCTION_OPTIONS) <= fields
    assert fields - set(FUNCTION_OPTIONS) == {"key", "handler", "source"}  # not options


def test_every_setting_is_documented() -> None:
    assert set(KEY_DOCS) == {*CORE_KEYS, STAGES_KEY}


def test_help_of_service_function_lists_every_option() -> None:
    service = sparta.Service("documented")
    for method in (service.function, service.add_function):
        text = pydoc.render_doc(method, renderer=pydoc.plaintext)
        for option, doc in FUNCTION_OPTION_DOCS.items():
            assert f"{option} ({doc.type}; default {doc.default}): " in text
