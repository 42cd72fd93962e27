"""Reporting: the paper's statistics and the dataset report."""
