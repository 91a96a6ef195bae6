"""Forum: groups, memberships, threads and posts."""
