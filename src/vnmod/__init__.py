"""vnmod: explainable moderation of Vietnamese social-media posts."""

__version__ = "0.1.0"
