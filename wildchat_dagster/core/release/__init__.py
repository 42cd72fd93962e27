"""Release: WildChat-1M rows, splits, the manifest and data-quality expectations."""
