"""The checked-in model slice matches the SageMaker model of the installed (pinned) botocore."""
import json
import os
import shutil
import subprocess
import sys

import botocore

from conftest import REPO_ROOT

TOOL = os.path.join(REPO_ROOT, "tools", "extract_model.py")
MODEL = os.path.join(REPO_ROOT, "model", "sagemaker-image-family.json")


def run_check(tool):
    return subprocess.run([sys.executable, tool, "--check"], capture_output=True, text=True, timeout=120)


def test_model_slice_matches_installed_botocore():
    result = run_check(TOOL)
    assert result.returncode == 0, f"stdout: {result.stdout}\nstderr: {result.stderr}"
    assert f"model slice matches botocore {botocore.__version__} " in result.stdout
    assert botocore.__version__ == "1.44.8"


def test_model_check_detects_a_difference(tmp_path):
    """The check has teeth: a copy of the tool next to an altered model fails."""
    (tmp_path / "tools").mkdir()
    (tmp_path / "model").mkdir()
    tool = tmp_path / "tools" / "extract_model.py"
    shutil.copy(TOOL, tool)
    with open(MODEL) as f:
        model = json.load(f)
    model["shapes"]["ImageName"]["max"] = 64
    (tmp_path / "model" / "sagemaker-image-family.json").write_text(json.dumps(model))
    result = run_check(str(tool))
    assert result.returncode == 1
    assert "'shapes' differs from" in result.stderr
