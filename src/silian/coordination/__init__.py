"""Coordination: policies, subsidies, investment projects, consortia and joint meetings."""
