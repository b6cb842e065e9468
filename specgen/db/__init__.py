"""Databases: a dump directory goes in with the database's own client, and the load is proven.

``urls`` parses database URLs (passwords never echoed); ``clients`` drives ``psql``, ``mysql`` and
``sqlite3`` as subprocesses; ``loader`` loads parts in parallel sessions with a resumable ledger,
then keys, indexes and identity columns; ``verify`` runs ``verify.sql``'s checks. May import
``engine``, ``spec``, ``sql`` and ``output``.
"""
