"""Reference data shipped in the package (taxonomies, regions, universities, CSL records)."""
