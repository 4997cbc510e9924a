"""The Python package's annotations (python/sagemaker_images), which its py.typed marker hands to the users'
type checkers: mypy, pinned in requirements-test.txt, checks them with pyproject.toml's [tool.mypy] (strict)."""
import os
import subprocess
import sys

from conftest import REPO_ROOT


def test_the_package_type_checks_under_mypy_strict():
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--config-file", os.path.join(REPO_ROOT, "pyproject.toml")],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "Success: no issues found in 7 source files" in output, output
