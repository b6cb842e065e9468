"""Decrypt specgen's encrypted values with the MCP gateway's own code. Run by the tests with the
gateway's Python (``SPECGEN_GATEWAY_PYTHON``), never imported by specgen; the secret and the
gateway's other settings come from the environment.

    python gateway_crypto.py values < values.json   # {"gcm": [[stored, plaintext], ...], "fernet": [...]}
    python gateway_crypto.py dump DB.sqlite          # every encrypted column of a loaded dump

Prints one JSON document on stdout (the gateway's logging goes to stderr).
"""

from __future__ import annotations

import asyncio
import base64
import json
import sqlite3
import sys


def _memoise_key_derivation() -> None:
    """EncryptionService derives an Argon2id key per value (0.15 s); specgen's values of one
    column share their salt, so the same derivation is remembered. Decryption is otherwise the
    gateway's own."""
    from mcpgateway.services.encryption_service import EncryptionService

    derive = EncryptionService.derive_key_argon2id
    memo: dict = {}

    def derive_once(self, passphrase, salt, time_cost, memory_cost, parallelism):
        key = (passphrase, salt, time_cost, memory_cost, parallelism)
        if key not in memo:
            memo[key] = derive(self, passphrase, salt, time_cost, memory_cost, parallelism)
        return memo[key]

    EncryptionService.derive_key_argon2id = derive_once


def _gcm_plaintext(stored: str) -> bytes:
    """decode_auth's steps (utils/services_auth.py) up to the plaintext, with the gateway's own
    AES-GCM object; decode_auth itself then parses it as JSON."""
    from mcpgateway.utils import services_auth

    padded = stored + "=" * (-len(stored) % 4)
    combined = base64.urlsafe_b64decode(padded)
    return services_auth._get_aesgcm().decrypt(combined[:12], combined[12:], None)


def _json_object(text: str) -> dict | None:
    try:
        doc = json.loads(text)
    except ValueError:
        return None
    return doc if isinstance(doc, dict) else None


def values(doc: dict) -> dict:
    """Each [stored, plaintext] pair: does the gateway read back exactly the plaintext?"""
    from mcpgateway.config import settings
    from mcpgateway.db import EncryptedText
    from mcpgateway.services.encryption_service import get_encryption_service
    from mcpgateway.utils.services_auth import decode_auth

    _memoise_key_derivation()
    service = get_encryption_service(settings.auth_encryption_secret)
    failures = []
    checked = {"gcm": 0, "decode_auth": 0, "fernet": 0, "encrypted_text": 0}
    for stored, plain in doc.get("gcm", []):
        if _gcm_plaintext(stored) != plain.encode():
            failures.append(["gcm", stored, plain])
        checked["gcm"] += 1
        if _json_object(plain) is not None:
            if decode_auth(stored) != _json_object(plain):
                failures.append(["decode_auth", stored, plain])
            checked["decode_auth"] += 1
    for i, (stored, plain) in enumerate(doc.get("fernet", [])):
        if not service.is_encrypted(stored) or service.decrypt_secret(stored) != plain:
            failures.append(["fernet", stored, plain])
        checked["fernet"] += 1
        if i % 10 == 0 and plain:  # the ORM column type's read path (it leaves "" alone)
            if EncryptedText().process_result_value(stored, None) != plain:
                failures.append(["encrypted_text", stored, plain])
            checked["encrypted_text"] += 1
    return {"checked": checked, "failures": failures}


def dump(path: str) -> dict:
    """Read the encrypted columns of a loaded dump as the gateway's read path does: JSON columns
    parsed as SQLAlchemy's JSON type parses them, auth values decoded and then shown through the
    Read schemas' own ``_populate_auth``, OAuth configs decrypted for runtime, tokens through
    ``EncryptedText``."""
    from mcpgateway.db import EncryptedText
    from mcpgateway.schemas import A2AAgentRead, GatewayRead
    from mcpgateway.services.encryption_service import decrypt_oauth_config_for_runtime
    from mcpgateway.utils.services_auth import decode_auth

    _memoise_key_derivation()
    db = sqlite3.connect(path)
    out: dict = {"auth": [], "query_params": [], "oauth_config": [], "tokens": []}
    for table, read, json_column in (("gateways", GatewayRead, True), ("a2a_agents", A2AAgentRead, False)):
        rows = db.execute(f"SELECT owner_email, slug, auth_type, auth_value, auth_query_params, oauth_config FROM {table}")
        for owner, slug, auth_type, auth_value, query_params, oauth_config in rows:
            if auth_value is not None:
                stored = json.loads(auth_value) if json_column else auth_value
                shown = read._populate_auth(read.model_construct(auth_type=auth_type, auth_value=stored))
                out["auth"].append({"table": table, "owner": owner, "slug": slug, "auth_type": auth_type,
                                    "decoded": decode_auth(stored), "username": shown.auth_username,
                                    "password": shown.auth_password, "token": shown.auth_token,
                                    "header_key": shown.auth_header_key, "header_value": shown.auth_header_value})
            if query_params is not None:
                params = json.loads(query_params)
                out["query_params"].append({"table": table, "auth_type": auth_type,
                                            "decoded": {k: decode_auth(v).get(k) for k, v in params.items()}})
            if oauth_config is not None:
                stored = json.loads(oauth_config)
                runtime = asyncio.run(decrypt_oauth_config_for_runtime(stored))
                out["oauth_config"].append({"table": table, "auth_type": auth_type, "stored": stored["client_secret"],
                                            "client_secret": runtime["client_secret"]})
    column = EncryptedText()
    for access, refresh in db.execute("SELECT access_token, refresh_token FROM oauth_tokens"):
        for name, stored in (("access_token", access), ("refresh_token", refresh)):
            if stored is not None:
                out["tokens"].append({"column": name, "stored": stored, "read": column.process_result_value(stored, None)})
    return out


def main() -> None:
    mode = sys.argv[1]
    result = values(json.load(sys.stdin)) if mode == "values" else dump(sys.argv[2])
    sys.stdout.write(json.dumps(result))


if __name__ == "__main__":
    main()
