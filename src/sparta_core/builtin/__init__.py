"""The built-in plugins: one module per stage they provide.

They are ordinary plugins, registered first and by name (see ``manager.BUILTIN_PLUGINS``);
their provider hooks are ``trylast`` so that any other plugin can replace a stage.
"""
