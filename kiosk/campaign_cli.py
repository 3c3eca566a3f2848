"""`kiosk campaign new|list|activate|template`: the Quality Month campaigns from the command line.

kiosk/cli.py adds the `campaign` group with `add_campaign_commands` and hands the
parsed arguments to `run_campaign`. The command line acts as the plant's IT person:
creations and activations are audited with no badge and the OS user in the detail.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kiosk.errors import ValidationFailed
from kiosk.i18n import counted

if TYPE_CHECKING:
    from kiosk.services.plant.campaigns import CampaignView


def add_campaign_commands(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
    add_common: Callable[[argparse.ArgumentParser], None],
) -> None:
    campaign = commands.add_parser(
        "campaign",
        help="create, list and activate the Quality Month campaigns",
        description="Campaigns with their phases, point rules and targets, from a TOML file.",
    )
    actions = campaign.add_subparsers(dest="campaign_command", metavar="ACTION", required=True)
    new = actions.add_parser(
        "new",
        help="create a campaign from a TOML file (inactive unless --activate)",
        description="Checks every date, phase, rule and target first; writes nothing on a "
        "problem. `kiosk campaign template FILE` writes a file to start from.",
    )
    new.add_argument("file", type=Path, metavar="FILE.toml")
    new.add_argument(
        "--activate",
        action="store_true",
        help="make it the active campaign at once (the previous one becomes inactive)",
    )
    add_common(new)
    listing = actions.add_parser("list", help="every campaign with its dates; * marks the active")
    add_common(listing)
    activate = actions.add_parser(
        "activate",
        help="make a campaign the active one (the previous one keeps its points and defects)",
    )
    activate.add_argument("name", metavar="NAME", help="the campaign's name (or its id)")
    add_common(activate)
    template = actions.add_parser(
        "template", help="write a campaign TOML file with every key explained"
    )
    template.add_argument("file", metavar="FILE", help="where to write it; '-' for standard output")
    template.add_argument("--force", action="store_true", help="overwrite FILE if it exists")
    add_common(template)  # (not used: writing a template needs no database)


def run_campaign(args: argparse.Namespace, settings: Any) -> int:
    """Run one `kiosk campaign` action; returns the exit status."""
    if args.campaign_command == "template":
        return _template(args)
    from kiosk.caller import Caller
    from kiosk.services.plant import campaign_file, campaigns
    from kiosk.services.platform import database

    database.require_current_schema(database.open_database(settings.database_url, create=False))
    try:
        if args.campaign_command == "new":
            draft = campaign_file.read_campaign_file(args.file)
            view = campaigns.create_campaign(Caller.system(), draft, activate=args.activate)
            state = "active now" if view.active else "inactive: `kiosk campaign activate` it"
            print(
                f"Campaign {view.name!r} created ({view.starts_on} to {view.ends_on}, "
                f"{counted(len(view.phases), 'phase')}; {state})."
            )
            _warn_if_outside_its_dates(view)
            return 0
        if args.campaign_command == "activate":
            view = campaigns.activate_campaign(Caller.system(), args.name)
            print(f"Campaign {view.name!r} is the active campaign now.")
            _warn_if_outside_its_dates(view)
            return 0
        return _list(campaigns.list_campaigns())
    except ValidationFailed as exc:
        where = f"{args.file}: " if getattr(args, "file", None) else ""
        print(
            f"kiosk: nothing was written; {counted(len(exc.problems), 'problem')}:",
            file=sys.stderr,
        )
        for key, message in exc.problems.items():
            print(f"  {where}{key}: {message}", file=sys.stderr)
        return 2


def _warn_if_outside_its_dates(view: CampaignView) -> None:
    """An active campaign whose dates do not hold today (the sample file's dates left as
    they were, a year mistyped): said at once, not found later on a board with no phase."""
    from kiosk.caller import Caller
    from kiosk.clock import to_local

    today = to_local(Caller.system().now()).date()
    if not view.active or view.starts_on is None or view.ends_on is None:
        return
    if view.starts_on <= today <= view.ends_on:
        return
    when = "ended" if view.ends_on < today else "has not started"
    print(
        f"Note: today ({today}) is outside its dates ({view.starts_on} to {view.ends_on}): it "
        f"{when}. Reports and points still count in it, but the boards show no phase and no "
        "days left. Wrong dates? Fix them in the file and `kiosk campaign new` it under "
        "another name, then `kiosk campaign activate` that one."
    )


def _list(views: list[CampaignView]) -> int:
    if not views:
        print("No campaign yet: `kiosk campaign template FILE`, then `kiosk campaign new FILE`.")
        return 0
    for view in views:
        mark = "*" if view.active else " "
        phases = len(view.phases)
        print(f"{mark} {view.starts_on} to {view.ends_on}  {view.name}  ({phases} phases)")
    return 0


def _template(args: argparse.Namespace) -> int:
    from kiosk.services.plant.campaign_file import campaign_template

    text = campaign_template()
    if args.file == "-":
        sys.stdout.write(text)
        return 0
    path = Path(args.file).expanduser()
    if path.exists() and not args.force:
        print(f"kiosk: {path} exists; give --force to overwrite it.", file=sys.stderr)
        return 2
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        print(f"kiosk: cannot write {path}: {exc.strerror or exc}.", file=sys.stderr)
        return 2
    print(f"Campaign template written to {path}: edit it, then `kiosk campaign new {path}`.")
    return 0
