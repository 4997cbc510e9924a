#!/usr/bin/env python3
"""Extracts the Image-family slice of botocore's SageMaker service model.

The server validates requests against `model/sagemaker-image-family.json`, which this script writes from the
botocore package installed in the running Python. `--check` compares the checked-in file with a fresh
extraction and exits non-zero when they differ, so a model change is never picked up silently.
"""
import gzip
import json
import os
import sys

import botocore

OPERATIONS = [
    "CreateImage", "DescribeImage", "UpdateImage", "DeleteImage", "ListImages",
    "CreateImageVersion", "DescribeImageVersion", "UpdateImageVersion", "DeleteImageVersion",
    "ListImageVersions", "ListAliases",
    "CreateAppImageConfig", "DescribeAppImageConfig", "UpdateAppImageConfig", "DeleteAppImageConfig",
    "ListAppImageConfigs",
    "AddTags", "DeleteTags", "ListTags",
]
MODEL_DIR = os.path.join(os.path.dirname(botocore.__file__), "data", "sagemaker", "2017-07-24")
OUT = os.path.join(os.path.dirname(__file__), "..", "model", "sagemaker-image-family.json")


def strip_docs(value):
    if isinstance(value, dict):
        return {k: strip_docs(v) for k, v in value.items() if k != "documentation"}
    if isinstance(value, list):
        return [strip_docs(v) for v in value]
    return value


def extract():
    with gzip.open(os.path.join(MODEL_DIR, "service-2.json.gz")) as f:
        model = json.load(f)
    shapes = model["shapes"]
    wanted = {}

    def walk(name):
        if name in wanted:
            return
        shape = strip_docs(shapes[name])
        wanted[name] = shape
        for member in shape.get("members", {}).values():
            walk(member["shape"])
        for part in ("member", "key", "value"):
            if part in shape:
                walk(shape[part]["shape"])

    operations = {}
    for op in OPERATIONS:
        spec = model["operations"][op]
        operations[op] = {
            "input": spec["input"]["shape"],
            "output": spec.get("output", {}).get("shape"),
            "errors": [e["shape"] for e in spec.get("errors", [])],
        }
        walk(spec["input"]["shape"])
        if "output" in spec:
            walk(spec["output"]["shape"])
        for e in spec.get("errors", []):
            walk(e["shape"])
    return {
        "source": f"botocore {botocore.__version__} sagemaker/2017-07-24/service-2.json.gz",
        "metadata": {k: model["metadata"][k] for k in ("targetPrefix", "signingName", "jsonVersion", "protocol")},
        "operations": operations,
        "shapes": dict(sorted(wanted.items())),
    }


def render(doc):
    return json.dumps(doc, indent=1, sort_keys=True) + "\n"


def main():
    fresh = extract()
    if "--check" in sys.argv:
        with open(OUT) as f:
            current = json.load(f)
        # The botocore version line may differ; the operations and shapes must not.
        for key in ("metadata", "operations", "shapes"):
            if current[key] != fresh[key]:
                print(f"model/sagemaker-image-family.json: '{key}' differs from {fresh['source']}", file=sys.stderr)
                sys.exit(1)
        print(f"model slice matches {fresh['source']}")
        return
    with open(OUT, "w") as f:
        f.write(render(fresh))
    print(f"wrote {OUT} from {fresh['source']}")


if __name__ == "__main__":
    main()
