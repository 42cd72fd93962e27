"""The Dagster definitions, one folder per pipeline stage (its assets and their checks), over the
Dagster-free core; the `shared` package holds the plumbing several stages use. definitions.py assembles them."""
