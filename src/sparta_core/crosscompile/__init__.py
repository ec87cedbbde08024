"""Cross-compiling for Lambda: the service's dependencies, installed for its platform.

The Python analogue of Sparta's "cross compile for AWS Linux" stage. One module per job:

- :mod:`.requirements` finds what the service depends on (``requirements.txt``, else the
  ``[project] dependencies`` of its ``pyproject.toml``) and the index settings.
- :mod:`.target` turns a runtime and an architecture into wheel tags and installer flags.
- :mod:`.installer` installs wheels for a target with ``uv`` (or ``pip --platform``) and
  turns installer failures into one-line errors.
- :mod:`.slim` removes what Lambda does not need from an installed tree.
- :mod:`.cache` keeps installed, slimmed and pre-compressed trees under a key of
  everything that changes them.
- :mod:`.build` ties them together for the built-in ``sparta_build`` provider.
"""
