"""Pilot-scale (中试) and proof-of-concept platforms, their services and bookings."""
