"""Release: the release splits, the template-capped one included."""
