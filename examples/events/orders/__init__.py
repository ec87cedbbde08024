"""The order pipeline's handlers (imported lazily by service.py)."""
