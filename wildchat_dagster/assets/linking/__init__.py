"""Linking: linked_conversations and deduplicated_conversations from a month's logs."""
