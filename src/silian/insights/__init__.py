"""Insights: cross-feature views of the city (counts, the chain overview and map, unit profiles)."""
