"""Staff and customer identity: accounts with roles, sessions, CSRF; the seam for OIDC."""
