"""Chinese natural-language understanding: intents and entities with jieba and a domain dictionary."""
from __future__ import annotations

from .dates import parse_date
from .intents import INTENTS
from .model import ANY_ROLE, Entities, NameMatch, NluResult, Situation
from .names import NameIndex
from .periods import Period, parse_period
from .recognizer import Recognizer

__all__ = ["ANY_ROLE", "Entities", "Situation", "INTENTS", "NameIndex", "NameMatch", "NluResult", "Period", "Recognizer", "parse_date",
           "parse_period"]
