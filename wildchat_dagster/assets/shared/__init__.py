"""Plumbing the stage folders share: the batch stage run, sharded assets, shared checks, derived code versions."""
