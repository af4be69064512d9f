"""The habits of the field, checked with the tests: ruff (lint and format) over the Python, ESLint (the recommended
rules and one brace style, eslint.config.mjs) over the JavaScript. Zero findings on the whole tree."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

import build


def run(*command: str) -> subprocess.CompletedProcess:
    return subprocess.run(command, cwd=build.ROOT, capture_output=True, text=True)


@pytest.mark.parametrize("check", [["check"], ["format", "--check"]], ids=["lint", "format"])
def test_ruff_finds_nothing(check):
    done = run(sys.executable, "-m", "ruff", *check, ".")
    assert done.returncode == 0, done.stdout + done.stderr


def test_eslint_finds_nothing():
    eslint = build.ROOT / "node_modules" / ".bin" / "eslint"
    if not eslint.exists():
        pytest.fail("ESLint is missing: run the tests through `python3 build.py test`, which runs `npm ci`.")
    done = run(shutil.which("node") or "node", str(eslint), "--max-warnings", "0", ".")
    assert done.returncode == 0, done.stdout + done.stderr
