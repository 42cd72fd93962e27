"""Language: language_tagged_conversations."""
