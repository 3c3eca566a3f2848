"""`kiosk samples FOLDER`: copy the files a plant's set-up starts from into a folder.

The README's "Setting up your plant" walks through these files: the plant structure,
the HR roster, the campaign, the question bank and checklist, and the sample units
and settings for the machines (systemd, cage + foot, kiosk.toml). They ship inside the
package, so an installed kiosk has them without a checkout.
"""

from __future__ import annotations

import argparse
import sys
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

# data files a plant edits and imports (in the order the README uses them)
PLANT_SAMPLES = (
    "sample-plant.toml",
    "sample-roster.csv",
    "sample-campaign.toml",
    "sample-questions.csv",
    "checklist.toml",
)
DEPLOY_FOLDER = "deploy"  # units and settings for the machines, copied into deploy/


def add_samples_command(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
) -> None:
    samples = commands.add_parser(
        "samples",
        help="copy the sample plant, roster, campaign and machine set-up files into a folder",
        description="Writes the files the README's 'Setting up your plant' walks through. "
        "Existing files are left alone unless --force.",
    )
    samples.add_argument("folder", type=Path, metavar="FOLDER", help="where to write them")
    samples.add_argument("--force", action="store_true", help="overwrite files already there")


def _sample_files() -> list[tuple[str, Traversable]]:
    data = resources.files("kiosk").joinpath("data")
    files = [(name, data.joinpath(name)) for name in PLANT_SAMPLES]
    deploy = data.joinpath(DEPLOY_FOLDER)
    files += sorted(
        ((f"{DEPLOY_FOLDER}/{entry.name}", entry) for entry in deploy.iterdir() if entry.is_file()),
        key=lambda pair: pair[0],
    )
    return files


def run_samples(args: argparse.Namespace) -> int:
    folder: Path = args.folder
    written, kept = [], []
    try:
        for name, source in _sample_files():
            target = folder / name
            if target.exists() and not args.force:
                kept.append(name)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(source.read_bytes())
            written.append(name)
    except OSError as exc:
        print(f"kiosk: cannot write into {folder}: {exc.strerror or exc}.", file=sys.stderr)
        return 2
    print(f"Sample files in {folder}:")
    for name in written:
        print(f"  {name}")
    for name in kept:
        print(f"  {name} (already there, left as it was; --force overwrites)")
    return 0
