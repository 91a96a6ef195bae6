"""The README stays true: every setting is documented, the screenshots it shows exist, and CI runs
the test command it names."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_every_setting_is_in_the_readme_table():
    source = (ROOT / "convene" / "settings.py").read_text()
    readme = (ROOT / "README.md").read_text()
    variables = set(re.findall(r'"(CONVENE_[A-Z0-9_]+)"', source))
    assert variables, "no CONVENE_* variables found in settings.py"
    documented = set(re.findall(r"^\| `(CONVENE_[A-Z0-9_]+)` \|", readme, re.M))
    assert variables - documented == set(), "settings missing from the README table"
    assert documented - variables == set(), "README documents settings that do not exist"


def test_readme_images_exist():
    readme = (ROOT / "README.md").read_text()
    images = re.findall(r"\((docs/screenshots/[^)]+\.png)\)", readme) + re.findall(
        r'src="(docs/screenshots/[^"]+\.png)"', readme
    )
    assert len(images) >= 4
    for image in images:
        assert (ROOT / image).is_file(), image


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    assert "bash scripts/test.sh" in readme
    ci = (ROOT / ".ci" / "run").read_text()
    assert ci.strip().splitlines()[-1] == "exec bash scripts/test.sh"
