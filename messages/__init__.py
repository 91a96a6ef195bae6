"""Direct messages between members: one-to-one and small group conversations, live over /ws."""
