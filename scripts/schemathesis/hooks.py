"""Schemathesis hooks for scripts/schemathesis.sh: two rules of the API that
a schema cannot state, kept by rewriting generated requests (valid values
stay valid, invalid ones are left as generated, for the server to refuse).

An Idempotency-Key names one request: the same key with another request is
refused (422 idempotency_key_reused). Generated keys repeat ("0", "A"...),
so each valid one is made unique.

A long poll (wait=…) holds as long as it is asked, up to a minute, when
nothing comes: each valid wait is cut to 100ms, so that no request outlasts
the run's request timeout.
"""
import itertools
import re

import schemathesis

_VALID_KEY = re.compile(r"[!-~]{1,255}")
_VALID_WAIT = re.compile(r"([1-9][0-9]{0,3}ms|[1-9]s|[1-5][0-9]s|60s|1m)")
_counter = itertools.count()


@schemathesis.hook
def before_call(ctx, case, **kwargs):
    headers = case.headers or {}
    key = headers.get("Idempotency-Key")
    if isinstance(key, str) and _VALID_KEY.fullmatch(key):
        headers["Idempotency-Key"] = "st-%d" % next(_counter)
    query = case.query or {}
    wait = query.get("wait")
    if isinstance(wait, str) and _VALID_WAIT.fullmatch(wait):
        query["wait"] = "100ms"
