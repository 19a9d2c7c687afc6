"""What the customer said: signals, phrases, intents, entities (names, dates, times said, money,
phone numbers) and PII redaction, read from conversation text. Rule: imports no other core
package (only the vocabulary), so every other package may use it."""

from warmline.core.language.entities import Details, extract_details
from warmline.core.language.intents import IntentClassifier, IntentPrediction
from warmline.core.language.redaction import KINDS, MASK, redact

__all__ = ["KINDS", "MASK", "Details", "IntentClassifier", "IntentPrediction", "extract_details",
           "redact"]
