"""Domain-free building blocks shared by every part of tillit."""
