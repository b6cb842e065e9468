"""Which stored columns of a model hold encrypted values, and which secrets a compile needs.

Read by the compile (the secrets' presence goes into the manifest), the manifest (encrypted
columns get no value statistics) and the API's notices; ``crypto`` does the encrypting itself.
"""

from __future__ import annotations

from specgen.engine.crypto import read_secret
from specgen.engine.generators import Encrypt, walk

# -- what a model encrypts ------------------------------------------------------------------------------


def encrypted_columns(model, table: str | None = None) -> dict[tuple[str, str], list]:
    """(table, column) -> the ``Encrypt`` nodes whose values a stored column holds: in its own
    generator, or in the virtual columns of its row it reads (e.g. through a template). Every
    table's columns, or ``table``'s."""
    def nodes(spec, name: str, seen: set) -> list:
        c = spec.columns.get(name)
        if c is None or c.gen is None or name in seen:
            return []
        seen.add(name)
        found = [g for _, g in walk(c.gen) if isinstance(g, Encrypt)]
        for dep in c.gen.deps():
            if dep in spec.columns and spec.columns[dep].virtual:
                found += nodes(spec, dep, seen)
        return found

    out: dict[tuple[str, str], list] = {}
    for t, spec in model.tables.items():
        if table is not None and t != table:
            continue
        for c in spec.stored:
            if found := nodes(spec, c.name, set()):
                out[(t, c.name)] = found
    return out


def secret_envs(model) -> list[str]:
    """The environment variables the model's encrypted columns read their secrets from."""
    return sorted({g.env for nodes in encrypted_columns(model).values() for g in nodes})


def notices(model) -> list[str]:
    """One line per secret variable that is not set: which columns stay NULL, which take their
    unencrypted fallback. Not errors: a dump without the secret is still consistent."""
    out = []
    columns = encrypted_columns(model)
    for env in secret_envs(model):
        if read_secret(env) is not None:
            continue
        null = [f"{t}.{c}" for (t, c), nodes in columns.items() if any(g.env == env and g.fallback is None for g in nodes)]
        kept = [f"{t}.{c}" for (t, c), nodes in columns.items() if any(g.env == env and g.fallback is not None for g in nodes)]
        parts = []
        if null:
            parts.append(f"left NULL: {', '.join(null)}")
        if kept:
            parts.append(f"given their unencrypted fallback: {', '.join(kept)}")
        out.append(f"notice: environment variable {env} is not set, so the values the specs encrypt with it are "
                   f"{'; '.join(parts)}. Set it to the gateway's secret to write values the gateway decrypts.")
    return out
