"""Answers: the typed answer, the extractive composer and the refusal policy."""
