"""Moderation: moderated_conversations (toxicity per moderator)."""
