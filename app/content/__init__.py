"""Decks and cards: YAML in, validated immutable models with pre-rendered HTML out."""
