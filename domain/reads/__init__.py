"""Read use cases: what a query may see, read through the ports."""
