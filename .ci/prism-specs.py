#!/usr/bin/env python3
"""Copies the vendored specs for Prism with the two corrections that
openapi/README.md records (the same ones the build script applies):

- `format: nullable` (Lucca) means a string that may be null:
  `type: [string, 'null']`;
- Lucca's date-times carry no zone (`2014-09-01T00:00:00`): in the Lucca
  specs `format: date-time` becomes a pattern for that form.

Nothing else changes. Usage: prism-specs.py OUT_DIR
"""
import pathlib
import sys

import yaml

ZONELESS = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?$"
DATA_KEYS = {"example", "examples", "default", "enum", "const"}


def correct(node, lucca, parent=None):
    if isinstance(node, dict):
        if node.get("format") == "nullable":
            del node["format"]
            kind = node.get("type", "string")
            node["type"] = [kind, "null"] if isinstance(kind, str) else list(kind) + ["null"]
        if lucca and node.get("format") == "date-time":
            del node["format"]
            node["pattern"] = ZONELESS
        for key, value in node.items():
            if key not in DATA_KEYS or parent == "properties":
                correct(value, lucca, key)
    elif isinstance(node, list):
        for item in node:
            correct(item, lucca)


def main():
    out = pathlib.Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    for spec in sorted(pathlib.Path("openapi").glob("*.yaml")):
        document = yaml.safe_load(spec.read_text(encoding="utf-8"))
        correct(document, spec.name.startswith("lucca-"))
        (out / spec.name).write_text(yaml.safe_dump(document, allow_unicode=True, sort_keys=False), encoding="utf-8")
        print(f"{spec} -> {out / spec.name}")


if __name__ == "__main__":
    main()
