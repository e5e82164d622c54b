"""Matching engine: hybrid Chinese retrieval with explained, fused signals."""
