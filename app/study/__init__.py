"""Spaced-repetition study on the fsrs package: scheduling, queue, reviews, progress."""
