"""Import and export of achievements and demands as Excel (.xlsx) and CSV files."""
