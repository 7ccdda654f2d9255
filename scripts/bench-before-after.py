#!/usr/bin/env python3
"""Section 1 of `make bench` for two builds in one run: a restructuring must not change speed.

Usage: bench-before-after.py BEFORE_BINARY AFTER_BINARY   (BENCH_ROUNDS, default 3)
Renders the bench's 30 s 1080x1920 noisy clip with each binary and with the ffmpeg command line
doing the same work, rounds alternating, and prints medians, each build's ratios against ffmpeg
and after/before. Build the "before" binary from an older commit, e.g.
  git checkout OLD && swift build -c release && cp .build/release/mediaorch /tmp/mediaorch-before
"""
import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import bench  # noqa: E402


def main():
    before, after = sys.argv[1], sys.argv[2]
    bench.OUT.mkdir(exist_ok=True)
    templates = bench.plain_templates()
    clip = bench.make_clip(30)

    def reply(binary, tag):
        return [binary, "process", str(clip), "--out", str(bench.OUT / f"ours_{tag}"), "--templates", str(templates),
                "--template", "reply-plain", "--outputs", "reply"]

    print(f"reply render of a 30 s 1080x1920 30 fps noisy clip, {bench.ROUNDS} alternating rounds, medians (RSS: max)")
    s = bench.compare({"after": reply(after, "after"), "before": reply(before, "before"),
                       "ffmpeg": bench.ffmpeg_command(after, clip, bench.OUT / "ffmpeg_30s.mp4", templates)}, bench.ROUNDS)
    bench.table(s)
    fw, fc, fr = s["ffmpeg"]
    for name in ("after", "before"):
        w, c, r = s[name]
        print(f"ratio {name}/ffmpeg: wall {w / fw:.3f}, cpu {c / fc:.3f}, RSS {r / fr:.3f}")
    a, b = s["after"], s["before"]
    print(f"after/before: wall {a[0] / b[0]:.3f}, cpu {a[1] / b[1]:.3f}, RSS {a[2] / b[2]:.3f}")


if __name__ == "__main__":
    main()
