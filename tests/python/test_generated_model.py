"""The committed model code (src/model/generated.rs) is what tools/generate_model.py writes from the slice."""
import json
import os
import shutil
import subprocess
import sys

from conftest import REPO_ROOT

TOOL = os.path.join(REPO_ROOT, "tools", "generate_model.py")
MODEL = os.path.join(REPO_ROOT, "model", "sagemaker-image-family.json")
GENERATED = os.path.join(REPO_ROOT, "src", "model", "generated.rs")


def run_check(tool):
    return subprocess.run([sys.executable, tool, "--check"], capture_output=True, text=True, timeout=120)


def test_generated_model_code_is_current():
    result = run_check(TOOL)
    assert result.returncode == 0, f"stdout: {result.stdout}\nstderr: {result.stderr}"
    assert "matches the model slice" in result.stdout


def test_generated_check_detects_a_stale_file(tmp_path):
    """The check has teeth: the committed code beside an altered model is stale."""
    for part in ("tools", "model", "src/model"):
        (tmp_path / part).mkdir(parents=True)
    tool = tmp_path / "tools" / "generate_model.py"
    shutil.copy(TOOL, tool)
    shutil.copy(GENERATED, tmp_path / "src" / "model" / "generated.rs")
    with open(MODEL) as f:
        model = json.load(f)
    model["shapes"]["ImageName"]["max"] = 64
    (tmp_path / "model" / "sagemaker-image-family.json").write_text(json.dumps(model))
    result = run_check(str(tool))
    assert result.returncode == 1
    assert "generated.rs is stale" in result.stderr
