"""The plugin's tests use sparta's testing kit (DESIGN §9)."""

pytest_plugins = ["sparta_core.testing"]
