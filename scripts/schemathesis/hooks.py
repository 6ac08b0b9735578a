"""Schemathesis hooks for scripts/schemathesis.sh.

An Idempotency-Key names one request: the same key with another request is
refused (422 idempotency_key_reused), which the OpenAPI document cannot say.
Generated keys repeat ("0", "A"...), so each valid one is made unique; an
invalid key (empty, too long, not visible ASCII) is left as generated, for
the server to refuse.
"""
import itertools
import re

import schemathesis

_VALID_KEY = re.compile(r"[!-~]{1,255}")
_counter = itertools.count()


@schemathesis.hook
def before_call(ctx, case, **kwargs):
    headers = case.headers or {}
    key = headers.get("Idempotency-Key")
    if isinstance(key, str) and _VALID_KEY.fullmatch(key):
        headers["Idempotency-Key"] = "st-%d" % next(_counter)
