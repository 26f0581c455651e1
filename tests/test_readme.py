"""The README documents every command and every environment setting (Datasette's habit)."""
from __future__ import annotations

from pathlib import Path

import click
import pytest

from walks.settings import ENV_KEYS

README = (Path(__file__).resolve().parent.parent / "README.md").read_text()


def command_lines(app) -> list[str]:
    lines = []
    for name, command in sorted(app.cli.commands.items()):
        if name == "db":  # Flask-Migrate's own group: the README names the one a user needs, db upgrade
            continue
        if isinstance(command, click.Group):
            lines.extend(f"flask --app app {name} {sub}" for sub in sorted(command.commands))
        else:
            lines.append(f"flask --app app {name}")
    return lines


def test_every_cli_command_is_in_the_readme(app):
    lines = command_lines(app)
    assert {"flask --app app create-user", "flask --app app seed", "flask --app app demo"} <= set(lines)
    missing = [line for line in lines if line not in README]
    assert not missing, f"not in README.md: {missing}"
    assert "flask --app app db upgrade" in README


@pytest.mark.parametrize("key", ENV_KEYS)
def test_every_environment_setting_is_in_the_readme(key):
    assert f"`{key}`" in README


def test_readme_starts_with_the_two_set_up_commands():
    block = README.split("```sh\n", 1)[1].split("```", 1)[0]
    assert block.split() == ["make", "run", "make", "test"]
    assert README.index("make run") < README.index("## Configuration")
