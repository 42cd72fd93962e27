"""Linking: request logs → conversations, retries and absorbed prefixes, month ownership."""
