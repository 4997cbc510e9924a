#!/usr/bin/env python3
"""Extracts the Image-family slice of botocore's SageMaker service model.

The server validates requests against `model/sagemaker-image-family.json`, which this script writes from the
botocore package installed in the running Python; the documentation is kept as plain text, for the generated
types' doc comments. `--check` compares the checked-in file with a fresh
extraction and exits non-zero when they differ, so a model change is never picked up silently.
"""
import gzip
import json
import os
import re
import sys
from html.parser import HTMLParser

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


class _Text(HTMLParser):
    """The text of botocore's HTML documentation: paragraphs apart, list items as `- ` lines, tags dropped."""

    def __init__(self):
        super().__init__()
        self.parts = []

    def handle_starttag(self, tag, attrs):
        if tag == "li":
            self.parts.append("\n- ")
        elif tag in ("p", "ul", "ol"):
            self.parts.append("\n\n")

    def handle_endtag(self, tag):
        if tag in ("p", "ul", "ol"):
            self.parts.append("\n\n")

    def handle_data(self, data):
        self.parts.append(data)


def doc_text(html):
    """Plain text of a documentation string: paragraphs separated by one empty line, spaces collapsed."""
    parser = _Text()
    parser.feed(html)
    parser.close()
    paragraphs = []
    for block in re.split(r"\n\s*\n", "".join(parser.parts)):
        lines = [" ".join(line.split()) for line in block.split("\n")]
        text = "\n".join(line for line in lines if line)
        if text:
            paragraphs.append(text)
    return "\n\n".join(paragraphs)


def docs_as_text(value):
    """The shape with each `documentation` as plain text (the generator writes it as doc comments)."""
    if isinstance(value, dict):
        out = {}
        for key, inner in value.items():
            if key == "documentation":
                if doc_text(inner):
                    out[key] = doc_text(inner)
            else:
                out[key] = docs_as_text(inner)
        return out
    if isinstance(value, list):
        return [docs_as_text(v) for v in value]
    return value


def extract():
    with gzip.open(os.path.join(MODEL_DIR, "service-2.json.gz")) as f:
        model = json.load(f)
    shapes = model["shapes"]
    wanted = {}

    def walk(name):
        if name in wanted:
            return
        shape = docs_as_text(shapes[name])
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
            **({"documentation": doc_text(spec["documentation"])} if spec.get("documentation") else {}),
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
