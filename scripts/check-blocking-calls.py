#!/usr/bin/env python3
"""Keeps blocking calls off Swift's cooperative thread pool in the HTTP side and the services.

One stuck call there (a read or fsync on a network share that stopped answering) stalls every
request and every service loop, since the pool has one thread per core. File-system and store
calls belong in `BlockingWork.run { … }`, `context.inStore { … }` or `onOwnThread`, or in a
function marked `// blocking: callers run it off the cooperative pool`, whose callers must do so.

Usage: check-blocking-calls.py [ROOT]. Prints each call outside those places (file:line) and
exits 1 if there is any.
"""
import pathlib
import re
import sys

ROOT = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else pathlib.Path(__file__).resolve().parents[1])
SOURCES = ROOT / "Sources" / "MediaOrchestrator"

BLOCKING = re.compile(
    r"FileManager\.default|Data\(contentsOf|String\(contentsOf|contents\(atPath|"
    r"DurableFile\.(?!temporaryPath)|ContentDigest\.sha256\(path|"
    r"(?<![=.] )\b(?:fsync|lstat|stat|fstat|open|flock|pread|pwrite|ftruncate|unlink|rename|link|opendir|readdir)\((?!\))")
SAFE_BLOCK = re.compile(r"BlockingWork\.run|\.inStore\b|onOwnThread\(|StuckCheck|stuck\.run")
MARKER = "// blocking:"


def files():
    yield from sorted((SOURCES / "HTTP").rglob("*.swift"))
    yield from sorted(p for p in SOURCES.rglob("*Service.swift"))


def findings(path):
    lines = path.read_text().splitlines()
    safe_until = []          # brace depths at which a safe block or marked function ends
    depth = 0
    pending_safe = False     # a safe call seen; its closure's brace may open on this line or later
    out = []
    for number, line in enumerate(lines, 1):
        code = line.split("//", 1)[0] if MARKER not in line else line
        stripped = code.strip()
        if stripped.startswith("///") or stripped.startswith("//"):
            continue
        if SAFE_BLOCK.search(code) or MARKER in line:
            pending_safe = True
        inside = bool(safe_until) or (pending_safe and "{" in code)
        if BLOCKING.search(code) and not inside and not SAFE_BLOCK.search(code):
            out.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
        for ch in code:
            if ch == "{":
                depth += 1
                if pending_safe:
                    safe_until.append(depth)
                    pending_safe = False
            elif ch == "}":
                if safe_until and safe_until[-1] == depth:
                    safe_until.pop()
                depth -= 1
    return out


def main():
    problems = [f for path in files() for f in findings(path)]
    for problem in problems:
        print(problem)
    if problems:
        print(f"{len(problems)} blocking call(s) on the cooperative pool: move them into BlockingWork.run", file=sys.stderr)
        sys.exit(1)
    print("no blocking call on the cooperative pool in HTTP/ and the services")


if __name__ == "__main__":
    main()
