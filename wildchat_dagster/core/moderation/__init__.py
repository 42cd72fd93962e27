"""Moderation: the policy, its cache and the engines it calls (OpenAI, Detoxify, profanity)."""
