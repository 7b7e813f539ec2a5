"""Plumbline: one system for marketing and sales, built around the loop that joins them."""
