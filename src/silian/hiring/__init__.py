"""Hiring: applications, hires, co-shared dispatches and 产才融合 recommendations."""
