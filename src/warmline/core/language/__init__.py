"""What the customer said: signals, phrases, intents, entities (names, dates, times said, money,
phone numbers) and PII redaction, read from conversation text. Rule: imports no other core
package (only the vocabulary), so every other package may use it."""
