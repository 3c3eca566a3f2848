"""Quality Kiosk: the application and its rules."""

__version__ = "0.1.0"

# The tables load before anything else imports Peewee, so that a kiosk on SQLite never
# loads the PostgreSQL driver (models/drivers.py).
import models  # noqa: E402,F401
