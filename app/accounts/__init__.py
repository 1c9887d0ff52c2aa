"""Users, password hashing, login sessions and API tokens, CSRF, login throttling."""
