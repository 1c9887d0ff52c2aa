"""The HTML pages: one router per resource, listed in routes.py."""
