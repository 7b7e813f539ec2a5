"""The one predicate language: a typed JSON tree over contacts (schema), compiled to a Django Q for a whole
population (compile), evaluated for one contact in Python (evaluate), with what it reads (dependencies), in
people's words (words: labels and sentences; explain: why a contact matches, describe: a rule as a sentence) and
the builder's vocabulary (catalogue). The semantics both evaluators share are written once, in evaluate.py's
docstring."""
