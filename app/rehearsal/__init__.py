"""Rehearsal: explaining a card back against its key points, and mock interviews."""
