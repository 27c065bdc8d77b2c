"""The read model: the PostgreSQL database the API serves, its migrations and feed tables."""
