"""Language identification per utterance (fastText lid.176)."""
