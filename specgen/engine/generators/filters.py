"""The template filters (``{name|lower}``, ``slug``, ``pad:N``, ``json``, ``get:KEY``, ...) on a
text Series; templates, pools, JSON values and encrypted values use them."""

from __future__ import annotations

import polars as pl

_FILTERS = {"lower", "upper", "slug", "title", "pad", "json", "get", "base64"}
# Filters that keep the digits an index-built part is made of: the part stays unique through them.
INDEX_SAFE_FILTERS = ("slug", "lower", "pad")


def apply_filters(s: pl.Series, filters) -> pl.Series:
    for fname, arg in filters:
        if fname == "lower":
            s = s.str.to_lowercase()
        elif fname == "upper":
            s = s.str.to_uppercase()
        elif fname == "title":
            s = s.str.to_titlecase()
        elif fname == "slug":
            s = slugify(s)
        elif fname == "pad":
            s = s.str.zfill(int(arg))
        elif fname == "json":
            s = json_escape(s)
        elif fname == "get":
            s = json_member(s, arg)
        elif fname == "base64":
            s = s.str.encode("base64")
    return s


def json_member(s: pl.Series, key: str) -> pl.Series:
    """A member of each JSON document: strings come out unquoted, objects and arrays as JSON.

    Documents usually come from a pool, so there are few distinct ones: each is parsed once.
    """
    path = f"$.{key}"
    if len(s) < 64 or s.null_count():
        return s.str.json_path_match(path)
    distinct = s.unique()
    if len(distinct) * 4 > len(s):
        return s.str.json_path_match(path)
    return s.replace_strict(distinct, distinct.str.json_path_match(path), return_dtype=pl.String)


def slugify(s: pl.Series) -> pl.Series:
    """The gateway's ``slugify``: lower case, drop apostrophes inside words, runs of
    non-alphanumerics (and ``_``) to ``-``, strip ``-`` at the ends."""
    return (
        s.str.to_lowercase()
        .str.replace_all(r"(\w)['\u2019](\w)", "${1}${2}")
        .str.replace_all(r"[\W_]+", "-")
        .str.strip_chars("-")
    )


def json_escape(s: pl.Series) -> pl.Series:
    """Text as the inside of a JSON string literal (quotes, backslashes, control characters)."""
    if not s.str.contains(r'[\\"\x00-\x1f]').any():
        return s
    s = s.str.replace_all("\\", "\\\\", literal=True).str.replace_all('"', '\\"', literal=True)
    s = s.str.replace_all("\n", "\\n", literal=True).str.replace_all("\r", "\\r", literal=True)
    s = s.str.replace_all("\t", "\\t", literal=True)
    if s.str.contains(r"[\x00-\x1f]").any():
        for c in range(32):
            s = s.str.replace_all(chr(c), f"\\u{c:04x}", literal=True)
    return s
