"""Education chain: disciplines, majors, industry colleges, training bases, consortia, classes."""
