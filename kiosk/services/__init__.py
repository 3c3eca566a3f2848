"""Services: the rules of the Quality Month over the models. No Textual here."""

# The tables load before any service imports Peewee, so that a kiosk on SQLite never loads
# the PostgreSQL driver (models/drivers.py). Nothing outside kiosk.services (the app, the
# first screen) needs them: the kiosk shows its first screen before loading any of this.
import models  # noqa: E402,F401
