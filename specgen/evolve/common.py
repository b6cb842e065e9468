"""What drift, introspect and diff share: a spec set's model without asking for a profile, and
its documents by table (for file:line:col)."""

from __future__ import annotations

from pathlib import Path

from specgen import spec
from specgen.errors import Diagnostic, SpecErrors, SpecgenError


def default_profile(spec_dir: str | Path) -> str:
    """A profile for commands whose answer does not depend on it (the schema is the same under
    every profile): ``tiny`` when there is one, else the first by name."""
    d = Path(spec_dir)
    if not d.is_dir():
        raise SpecErrors([Diagnostic(str(spec_dir), 0, 0, "", "spec directory not found")])
    names = sorted(p.stem for p in [*(d / "profiles").glob("*.yaml"), *(d / "profiles").glob("*.yml")])
    if not names:
        raise SpecgenError(f"{spec_dir}: not a spec directory (no profiles/*.yaml)")
    return "tiny" if "tiny" in names else names[0]


def model(spec_dir: str | Path, profile: str | None = None):
    return spec.build_model(spec_dir, profile or default_profile(spec_dir))


def documents(spec_dir: str | Path) -> dict:
    """table name -> its entity spec's Document."""
    ss = spec.load_spec_set(spec_dir)
    return {doc.data["table"]: doc for doc in ss.entities
            if isinstance(doc.data, dict) and isinstance(doc.data.get("table"), str)}
