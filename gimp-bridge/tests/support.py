"""Shared test helpers: import paths, the golden protocol fixtures, the error code list."""

import json
import os
import re
import sys

TESTS = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(TESTS))
PLUGIN_DIR = os.path.join(REPO, "gimp-bridge", "portrait-upscale")
FIXTURES = os.path.join(REPO, "shared", "fixtures", "protocol")
ERRORS_TS = os.path.join(REPO, "shared", "src", "errors.ts")

for folder in (PLUGIN_DIR, TESTS):
    if folder not in sys.path:
        sys.path.insert(0, folder)


def fixture(name):
    """One golden example from shared/fixtures/protocol (the daemon's tests check the same files)."""
    with open(os.path.join(FIXTURES, name), encoding="utf-8") as handle:
        return json.load(handle)


def fixture_names(prefix):
    return sorted(name for name in os.listdir(FIXTURES) if name.startswith(prefix) and name.endswith(".json"))


def error_codes():
    """The keys of ERROR_CODES in shared/src/errors.ts, in order."""
    with open(ERRORS_TS, encoding="utf-8") as handle:
        source = handle.read()
    body = source[source.index("export const ERROR_CODES = {"):]
    body = body[: body.index("} as const")]
    return re.findall(r"^\s+([A-Z][A-Z0-9_]+):", body, re.M)
