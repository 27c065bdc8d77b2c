"""Per-token rate limits: policies, the shared counter, the response headers.

Each token has one fixed window counter in PostgreSQL (table ``api_rate_limit``, one row per
token), so every API worker and every replica counts against the same budget. A window starts
at the token's first request after the previous window ended (windows are per token, not
aligned to the clock, so tokens don't all reset at once). One upsert per request increments
the counter, or restarts the window, and returns the count and the seconds left.

Headers follow draft-ietf-httpapi-ratelimit-headers (-10):
``RateLimit-Policy: "webshop";q=1200;w=60`` and ``RateLimit: "webshop";r=1187;t=42``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

_POLICY_RE = re.compile(r"^\s*([0-9]+)\s*/\s*([0-9]+)\s*$")


@dataclass(frozen=True, slots=True)
class Policy:
    name: str
    quota: int
    window_s: int

    @classmethod
    def parse(cls, name: str, text: str) -> Policy:
        """``"1200/60"``: 1200 requests per 60 seconds."""
        match = _POLICY_RE.match(text)
        if match is None or int(match[1]) < 1 or int(match[2]) < 1:
            raise ValueError(
                f"rate limit for {name!r} must be '<requests>/<seconds>', both >= 1: {text!r}"
            )
        return cls(name, int(match[1]), int(match[2]))

    @property
    def per_second(self) -> float:
        return self.quota / self.window_s

    def header(self) -> str:
        return f'"{self.name}";q={self.quota};w={self.window_s}'


def policy_for(scopes: Iterable[str], policies: Mapping[str, Policy]) -> Policy:
    """A token with several scopes gets its most generous policy (highest rate, then the
    biggest quota)."""
    candidates = [policies[s] for s in scopes if s in policies]
    if not candidates:
        raise LookupError(f"no rate-limit policy for scopes {sorted(scopes)}")
    return max(candidates, key=lambda p: (p.per_second, p.quota))


@dataclass(frozen=True, slots=True)
class Decision:
    """The outcome of counting one request: ``hits`` in the current window, ``reset_s``
    seconds until that window ends."""

    policy: Policy
    hits: int
    reset_s: int

    @property
    def allowed(self) -> bool:
        return self.hits <= self.policy.quota

    @property
    def remaining(self) -> int:
        return max(0, self.policy.quota - self.hits)

    def headers(self) -> dict[str, str]:
        return {
            "RateLimit-Policy": self.policy.header(),
            "RateLimit": f'"{self.policy.name}";r={self.remaining};t={self.reset_s}',
        }

    def retry_after(self) -> str:
        return str(max(1, self.reset_s))


# Count one request: add it to the token's current window, or start a new window when the
# current one is over (or the policy's window changed); the token's first request creates its
# counter row. One statement, one round trip per request.
_NEW_WINDOW = (
    "r.window_s <> %(window_s)s OR r.window_start + make_interval(secs => r.window_s) <= now()"
)
COUNT_SQL = f"""
INSERT INTO api_rate_limit AS r (token_id, window_start, window_s, hits)
VALUES (%(id)s, now(), %(window_s)s, 1)
ON CONFLICT (token_id) DO UPDATE SET
    hits = CASE WHEN {_NEW_WINDOW} THEN 1 ELSE r.hits + 1 END,
    window_start = CASE WHEN {_NEW_WINDOW} THEN now() ELSE r.window_start END,
    window_s = EXCLUDED.window_s
RETURNING hits,
    ceil(extract(epoch FROM window_start + make_interval(secs => window_s) - now()))::int
        AS reset_s
"""

# Counter rows whose window ended long ago: a token's next request starts a new window anyway.
CLEANUP_SQL = """
DELETE FROM api_rate_limit
 WHERE window_start + make_interval(secs => window_s) < now() - interval '1 hour'
"""
