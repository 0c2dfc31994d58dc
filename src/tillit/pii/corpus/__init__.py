"""The labelled evaluation corpus (generated from a seed) and the per-kind scoring."""
