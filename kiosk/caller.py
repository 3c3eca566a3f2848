"""Who is acting, when and where: the one argument every service that acts takes first.

A screen gets its `Caller` from the app (`screens.base.ServiceCalls.caller`); the command
line and the deadline sweep make one with `Caller.system()`; a test makes one with
`Caller.of(employee, clock)`. It is frozen: a service never changes who called it.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING

from kiosk.clock import Clock, SystemClock
from kiosk.errors import PermissionDenied
from kiosk.i18n import _, current_language

if TYPE_CHECKING:
    from kiosk.services.platform.auth import EmployeeView


@dataclass(frozen=True, slots=True)
class Caller:
    """The person acting (None for the system: the command line's own jobs, the sweep),
    the clock their time is read from, the terminal they stand at (None off the floor:
    the command line names its OS user and host in the audit trail instead), and the
    language their messages are written in."""

    actor: EmployeeView | None = None
    clock: Clock = field(default_factory=SystemClock)
    terminal: str | None = None
    language: str = field(default_factory=current_language)

    @classmethod
    def of(
        cls,
        actor: EmployeeView | None,
        clock: Clock | None = None,
        terminal: str | None = None,
        language: str | None = None,
    ) -> Caller:
        """A caller for this person (this machine's clock and language unless told)."""
        return cls(
            actor=actor,
            clock=clock or SystemClock(),
            terminal=terminal,
            language=language or current_language(),
        )

    @classmethod
    def system(cls, clock: Clock | None = None, terminal: str | None = None) -> Caller:
        """No person: the command line's own jobs, the deadline sweep, the demo seeding."""
        return cls.of(None, clock, terminal)

    def now(self) -> datetime:
        """The time by this caller's clock (UTC, aware)."""
        return self.clock.now()

    @property
    def person(self) -> EmployeeView:
        """The person acting, for a service only a signed-in person may call."""
        if self.actor is None:
            raise PermissionDenied(_("Sign in first."))
        return self.actor

    def acting_as(self, actor: EmployeeView | None) -> Caller:
        """The same place, clock and language, another person (signing in, a supervisor
        acting for a badge over SSH)."""
        return replace(self, actor=actor)
