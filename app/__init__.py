"""prepdeck: a self-hosted interview-prep quiz app."""

__version__ = "0.1.0"
