#!/usr/bin/env python3
"""The browser tests: the field page (field_tests.py) and the board (board_tests.py), each on a
workspace and a `mediaorch watch` of its own, in headless Debian Chromium through Playwright.

Usage: PYTHONPATH=.build-python python3 scripts/browser/run.py BINARY [field|board]
Prints one line per check; exits 1 if any failed. Screenshots: test-output/browser/screens/.
"""
import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import harness  # noqa: E402


def main():
    binary = pathlib.Path(sys.argv[1]).resolve()
    only = sys.argv[2] if len(sys.argv) > 2 else None
    results = []
    if only in (None, "field"):
        import field_tests
        results.append(field_tests.run(binary))
    if only in (None, "board"):
        import board_tests
        results.append(board_tests.run(binary))
    harness.finish(results)


if __name__ == "__main__":
    main()
