"""HTMX pages of the CRM: thin views that validate a form, call an action and render.

One module per record type; `_base` holds the page decorator every view uses.
"""
