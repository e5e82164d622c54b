"""Innovation consortia, their common-technology projects, and co-built new-type R&D institutes."""
