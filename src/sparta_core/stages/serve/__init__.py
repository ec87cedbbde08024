"""Serving the service locally (``sparta local api``): the built-in route providers."""
