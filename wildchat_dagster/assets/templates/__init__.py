"""Templates: template_prompts (near-duplicate prompt clusters)."""
