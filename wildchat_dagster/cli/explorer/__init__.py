"""The explorer: a local, read-only web page over the published release."""
