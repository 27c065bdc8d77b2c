"""API security: tokens, the auth dependency, rate limits (see README "API security")."""
