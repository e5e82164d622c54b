"""Demo city: deterministic sample data built on real public records."""
