"""Datasets: business tables outside tillit that hold personal data, reached through one connector."""
