"""The four categories of the directive, their Vietnamese names and legal basis."""

from __future__ import annotations

CATEGORIES: tuple[str, ...] = ("insult", "offensive", "fake_news", "illegal_ads")
