"""SQL for one database: dialect profiles (``dialects/*.yaml``) and the SQL rendered from them.

``dialect`` loads a profile (``extends:`` chains) into a ``Dialect`` object, resolved once and
passed down; ``spelling`` asks sqlglot how the dialect spells names, types and literals (cached);
``ddl`` renders schema, post-data keys, load scripts and ``verify.sql`` through the templates;
``checks`` derives the verification checks from the model. May import ``engine`` and ``spec``.
"""
