"""Insights: cross-feature views (counts, chain overview and map, unit profiles, city figures)."""
