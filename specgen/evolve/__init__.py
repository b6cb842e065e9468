"""Specs that keep up with a changing schema.

* ``catalog``: a live schema read through the database's own client into a neutral structure;
* ``drift``: the spec set compared with a live schema (``specgen drift``);
* ``introspect``: a spec set written for an existing schema, from its catalog and statistics
  (``specgen introspect``);
* ``diff``: what a change to a spec set does (``specgen diff``);
* ``specset``: ``specset.yaml``, the spec set's own settings (the drift ignore and known lists).
"""
