"""The rule engine: lexicons and patterns as data, matches as located evidence."""

from vnmod.rules.engine import Hit, RuleEngine
from vnmod.rules.lexicon import Lexicon, Rule, load_lexicon

__all__ = ["Hit", "Lexicon", "Rule", "RuleEngine", "load_lexicon"]
