"""The register's business rules, each defined once: numbers and text, legacy times, protected fields, labels.

Pure Python (no database, no request): every layer may import it, and any SQL or template form of a rule
is generated from here or tested equal to it.
"""
