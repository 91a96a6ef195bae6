"""Members: accounts, roles, registration modes, sessions, tokens, profiles."""
