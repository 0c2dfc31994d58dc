"""Data-subject rights: requests, their GDPR clocks, and execution across tillit and declared datasets."""
