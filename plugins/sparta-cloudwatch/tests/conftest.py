pytest_plugins = ["sparta_core.testing"]
