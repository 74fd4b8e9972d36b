"""Measured tables go to docs/ from the script that measured them, never by hand.

`publish("bench", text)` prints `text` and writes it to docs/measured/bench.md under a line naming the command,
the date and the machine, so every number in the docs can be traced to the run that produced it.
"""

import datetime
import os
import platform
import shlex
import sys
from pathlib import Path

MEASURED_DIR = Path(__file__).resolve().parent.parent / "docs" / "measured"


def publish(name: str, text: str, variant: str | None = None) -> Path:
    """Print `text` and write it to docs/measured/<name>[-<variant>].md under the line naming its command."""
    print(text)
    command = shlex.join(["python", "-m", f"scripts.{name}", *sys.argv[1:]])
    when = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    machine = f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"
    MEASURED_DIR.mkdir(parents=True, exist_ok=True)
    path = MEASURED_DIR / (f"{name}-{variant}.md" if variant else f"{name}.md")
    path.write_text(f"Written by `{command}` on {when} ({machine}).\n\n{text.rstrip()}\n", encoding="utf-8")
    print(f"\n(written to {path.relative_to(MEASURED_DIR.parent.parent)})")
    return path
