"""Segments: groups of contacts defined by the one predicate language (plumbline/segments/predicate)."""
