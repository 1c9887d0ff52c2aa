"""ASGI middleware, one module each."""
