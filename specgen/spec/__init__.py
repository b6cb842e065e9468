"""Specs in, model out: YAML with source positions, the JSON Schema, the rules, the proofs.

``source`` reads YAML keeping each value's file, line and column; ``documents`` reads a spec set's
files and checks them against the JSON Schema; ``profiles`` applies a profile's ``extends`` chain
and window; ``checker`` validates the rest completely (every problem at its ``file:line:col``)
and builds the ``engine.model.Model``; ``uniqueness`` proves for the checker that unique sets are
unique by construction, ``lengths`` that text fits its varchar; ``proofs`` proves at compile time
what the rules cannot; ``window`` places the time window; ``pools`` holds the value pools;
``bundle`` packs a spec set for workers on other machines.
May import ``specgen.engine`` only.

The names below are the package's entry points (``from specgen import spec; spec.build_model``).
"""

from specgen.spec.checker import build_model, build_plan, check
from specgen.spec.documents import SpecSet, load_spec_set

__all__ = ["SpecSet", "build_model", "build_plan", "check", "load_spec_set"]
