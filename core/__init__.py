"""The ground floor: errors, settings, logging, Vietnamese text, agency names, index specs, vocabulary.

Imports nothing of ours; every other package may import it.
"""
