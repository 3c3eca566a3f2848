"""Errors that services raise with a message meant for the person at the kiosk."""

from __future__ import annotations


class ServiceError(Exception):
    """A refusal or failure with a message a person can act on."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(ServiceError):
    pass


class PermissionDenied(ServiceError):
    pass


class ValidationFailed(ServiceError):
    """One or more fields are wrong; `problems` maps field name to message."""

    def __init__(self, problems: dict[str, str]) -> None:
        self.problems = dict(problems)
        super().__init__("; ".join(self.problems.values()))


class DatabaseUnavailable(ServiceError):
    """The database could not be reached, or the connection dropped, or it stayed busy."""

    def __init__(self, message: str, *, connection_lost: bool = True) -> None:
        super().__init__(message)
        # False when the database answered "busy" after the bounded wait: trying the same
        # unit at once again would only wait again
        self.connection_lost = connection_lost


class DatabaseBusy(DatabaseUnavailable):
    """The database answered, but could not do it now: another terminal held the lock past
    the bounded wait, or a deadlock / serialization conflict stayed after a few retries.
    What was entered is kept (it is a DatabaseUnavailable for the outbox); the status bar
    stays "online"."""

    def __init__(self, message: str) -> None:
        super().__init__(message, connection_lost=False)


class DatabaseUnusable(DatabaseUnavailable):
    """The database URL is wrong, or the database answers with a schema this kiosk cannot
    use (no tables yet, older, newer). Waiting does not help: a person has to act."""

    def __init__(self, message: str) -> None:
        super().__init__(message, connection_lost=False)


class Conflict(ServiceError):
    """The thing changed under us (another kiosk got there first, or the state is wrong)."""


class ConstraintConflict(Conflict):
    """The database refused a write that clashes with stored data (a unique or foreign
    key rule): another terminal got there first. A service that knows what clashed
    catches it and says so in its own words."""
