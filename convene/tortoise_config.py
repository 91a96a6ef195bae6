"""For the `tortoise` command line: `tortoise -c convene.tortoise_config.TORTOISE_ORM makemigrations`.

makemigrations reads the models and the migration files, not a database, so an in-memory URL does.
"""

from convene.db import tortoise_config

TORTOISE_ORM = tortoise_config("sqlite://:memory:")
