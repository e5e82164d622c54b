"""Industry chains: the city's key chains, mapped to GB/T 4754 codes and disciplines."""
