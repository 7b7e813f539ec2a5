"""The one predicate language: a typed JSON tree over contacts (schema), compiled to a Django Q for a whole
population (compile), evaluated for one contact in Python (evaluate), with what it reads (dependencies).
The semantics both evaluators share are written once, in evaluate.py's docstring."""
