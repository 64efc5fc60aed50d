"""Scorers that turn normalised posts into per-category probabilities."""
