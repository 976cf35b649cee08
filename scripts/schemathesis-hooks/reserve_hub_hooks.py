"""Schemathesis hooks for Reserve Hub's contract fuzzing (loaded by scripts/schemathesis).

Idempotency-Key: schemathesis draws the same few header values for many different requests
(`0`, `00…0`), and reusing a key for another request is refused by design with 422
(draft-ietf-httpapi-idempotency-key-header). Every schema-valid key is made unique per call, so
that the fuzzing reaches each write's own logic; invalid keys are left as drawn (they must still
be refused). Replays are tested by the project's own suites.
"""

import re
import uuid

import schemathesis

_VALID_KEY = re.compile(r"^[\x21-\x7E]{1,255}$")


@schemathesis.hook
def before_call(ctx, case, kwargs):
    headers = case.headers or {}
    for name in list(headers):
        if name.lower() == "idempotency-key" and isinstance(headers[name], str) and _VALID_KEY.match(headers[name]):
            headers[name] = f"st-{uuid.uuid4()}"
