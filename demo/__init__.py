"""A demo force for `make demo` and the screenshots: areas, people, crime, plans, visits."""
