"""deploy/RUNBOOK.md cannot rot: every project command it names exists, with the flags it uses.

For each `python -m <module> ...` the module must be importable and runnable (a `__main__`
guard); a module with an argparse parser is asked for `--help` (after the positional words the
runbook gives it) and every flag the runbook uses must be in that help; a module without argparse
must carry each flag as a literal in its source (its `--help` would run it). `deploy/<script>`
must be an executable script, whose flags are checked against the module it execs. Paths into the
repository must exist. The checker is shown to catch a wrong module, a wrong flag and a wrong path.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shlex
import subprocess
import sys
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RUNBOOK = ROOT / "deploy" / "RUNBOOK.md"
SECTIONS = ["Start and stop", "Add a broker", "Add consumers", "v1 and v2 side by side", "Back up and restore",
            "Rebuild a projection", "Inspect and replay the DLQ", "Rotate secrets", "Read lag"]
# Where a command's own words end on a line of shell.
_END = re.compile(r"[`|&;)>#]|\s\s|$")


def command_words(text: str, start: int) -> list[str]:
    """The words of the command that starts at `start`: up to a shell separator or the end of the code span."""
    rest = text[start:].split("\n", 1)[0]
    end = _END.search(rest)
    words = shlex.split(rest[:end.start()] if end else rest, posix=True)
    return [w for w in words if not (w.startswith("<") and w.endswith(">"))]  # placeholders


def split(words: list[str]) -> tuple[list[str], list[str]]:
    """(positional words before the first flag, flag names)."""
    flags = [w.split("=", 1)[0] for w in words if w.startswith("--")]
    first = next((i for i, w in enumerate(words) if w.startswith("-")), len(words))
    return words[:first], flags


@cache
def help_text(module: str, positionals: tuple[str, ...]) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PROGADMIN_")}
    done = subprocess.run([sys.executable, "-m", module, *positionals, "--help"], capture_output=True, text=True,
                          timeout=60, cwd=ROOT, env=env)
    assert done.returncode == 0, f"python -m {module} {' '.join(positionals)} --help: {done.stderr[-500:]}"
    return done.stdout


def module_problems(module: str, words: list[str]) -> list[str]:
    try:
        spec = importlib.util.find_spec(module)
    except ModuleNotFoundError:
        spec = None
    if spec is None or spec.origin is None:
        return [f"python -m {module}: no such module"]
    origin = Path(spec.origin)
    source_file = origin.parent / "__main__.py" if origin.name == "__init__.py" else origin
    if not source_file.exists():
        return [f"python -m {module}: a package without __main__"]
    source = source_file.read_text()
    if source_file.name != "__main__.py" and '__name__ == "__main__"' not in source:
        return [f"python -m {module}: runs nothing (no __main__ guard)"]
    positionals, flags = split(words)
    if "argparse" in source:
        text = help_text(module, tuple(positionals))
        return [f"python -m {module}: no flag {flag}" for flag in flags if flag not in text]
    return [f"python -m {module}: no flag {flag}" for flag in flags if f'"{flag}"' not in source]


def script_problems(script: str, words: list[str]) -> list[str]:
    path = ROOT / "deploy" / script
    if not path.is_file() or not os.access(path, os.X_OK):
        return [f"deploy/{script}: no such executable"]
    target = re.search(r"-m ([\w.]+)((?: [a-z]+)*) \"\$@\"", path.read_text())
    if target is None:
        return []
    return module_problems(target.group(1), [*target.group(2).split(), *words])


def problems(text: str) -> list[str]:
    found = []
    for match in re.finditer(r"python3? -m ([\w.]+)", text):
        found += module_problems(match.group(1), command_words(text, match.end()))
    for match in re.finditer(r"(?<![\w./-])deploy/([\w.-]+(?:/[\w.-]+)*)", text):
        rel = match.group(1).rstrip(".")
        if "/" not in rel and "." not in rel and not (ROOT / "deploy" / rel).is_dir():
            found += script_problems(rel, command_words(text, match.end()))
        elif rel != ".env" and not (ROOT / "deploy" / rel).exists():  # .env: the operator's own
            found.append(f"deploy/{rel}: no such path")
    for match in re.finditer(r"`((?:services|schemas|tests)/[\w./-]+)`", text):
        if not (ROOT / match.group(1)).exists():
            found.append(f"{match.group(1)}: no such path")
    return found


def test_every_command_in_the_runbook_exists_with_its_flags() -> None:
    text = RUNBOOK.read_text()
    assert problems(text) == []
    assert len(re.findall(r"python3? -m ", text)) >= 15  # the checker saw the commands


def test_the_runbook_has_every_section_the_operators_need() -> None:
    headings = re.findall(r"^## (.+)$", RUNBOOK.read_text(), re.M)
    for section in SECTIONS:
        assert any(section.lower() in h.lower() for h in headings), section


def test_the_checker_catches_a_renamed_command_a_wrong_flag_and_a_wrong_path() -> None:
    text = "\n".join([
        "```sh",
        ".venv/bin/python -m services.common.deadletters list enrolment",
        ".venv/bin/python -m services.common.dlq replay enrolment --offsets 3",
        ".venv/bin/python -m services.common.topics --strimzy",
        "deploy/up --detach --nodes 3",
        "deploy/start",
        "```",
        "See `services/common/topic_spec.py` and deploy/k8s/topic.yaml.",
    ])
    assert problems(text) == [
        "python -m services.common.deadletters: no such module",
        "python -m services.common.dlq: no flag --offsets",
        "python -m services.common.topics: no flag --strimzy",
        "python -m deploy.stack: no flag --nodes",
        "deploy/start: no such executable",
        "deploy/k8s/topic.yaml: no such path",
        "services/common/topic_spec.py: no such path",
    ]
