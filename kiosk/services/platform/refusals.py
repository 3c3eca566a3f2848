"""Refusals that leave an audit row: decorators that go above a service's unit of work.

A refused action's unit rolls back, so its audit row cannot be written inside it: these
write it in a transaction of its own (auth.record_refusal / auth.require_role), before
the unit runs (`requires_role`) or after it refused (`audits_refusals`). Both read the
service's arguments by name: the service takes `caller: Caller` first, and `target`
names what was refused from the arguments (a dict by parameter name).
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

from kiosk.caller import Caller
from kiosk.errors import PermissionDenied
from kiosk.services.platform.auth import record_refusal, require_role

P = ParamSpec("P")
R = TypeVar("R")
Target = Callable[[dict[str, Any]], str]


def _caller_and_arguments(
    signature: inspect.Signature, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> tuple[Caller, dict[str, Any]]:
    given = signature.bind(*args, **kwargs).arguments
    caller = given["caller"]
    assert isinstance(caller, Caller)
    return caller, given


def _checked(function: Callable[..., Any]) -> inspect.Signature:
    signature = inspect.signature(function)
    if "caller" not in signature.parameters:
        raise TypeError(f"{function.__name__} needs a parameter 'caller'")
    return signature


def requires_role(
    role: str, action: str, target: Target
) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Refuse a caller below `role` before the unit runs (the refusal audited)."""

    def decorate(unit: Callable[P, R]) -> Callable[P, R]:
        signature = _checked(unit)

        @functools.wraps(unit)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            caller, given = _caller_and_arguments(signature, args, kwargs)
            require_role(
                caller,
                role,
                action,
                target=target(given),
            )
            return unit(*args, **kwargs)

        return wrapper

    return decorate


def audits_refusals(action: str, target: Target) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Audit every PermissionDenied the unit raises (after it rolled back), then re-raise."""

    def decorate(unit: Callable[P, R]) -> Callable[P, R]:
        signature = _checked(unit)

        @functools.wraps(unit)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            try:
                return unit(*args, **kwargs)
            except PermissionDenied as refusal:
                caller, given = _caller_and_arguments(signature, args, kwargs)
                record_refusal(
                    caller,
                    action,
                    target(given),
                    refusal.message,
                )
                raise

        return wrapper

    return decorate
