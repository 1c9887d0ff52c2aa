"""Figure machinery: what a demo is, its parameters, layouts, palette, wording and the cache.

The demos themselves live in app.demos; nothing here imports them but the registry.
"""
