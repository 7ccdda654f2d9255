#!/usr/bin/env python3
"""make bench, section 14 (also alone: make bench-sources): the reply render on five kinds of
phone clip against the ffmpeg command line doing the same work (the filters and x264 settings of
`mediaorch plan` for that very clip), alternating, medians of BENCH_ROUNDS rounds:

  untagged 1080x1920 H.264 (browser recordings, screen captures, re-encodes)
  BT.709 1080x1920 H.264 (most phones)
  HLG 10-bit HEVC 1080x1920 (iPhones' default), tone-mapped to SDR
  2160x3840 60 fps H.264 portrait (4K60)
  640x480 BT.601 H.264 (old phones, messaging apps)

Each clip has camera-like noise and speech-like audio; 30 s, but 10 s for 4K60. Prints wall and
CPU ratios and both peak RSS figures. Figures, not assertions.
Usage: bench-sources.py MEDIAORCH
"""
import json, os, statistics, subprocess, sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench import OUT, ROUNDS, SPEECH, compare, ffmpeg_command, plain_templates  # noqa: E402

SOURCES = [
    # (name, size, fps, seconds, video encoding arguments)
    ("untagged 1080x1920", "1080x1920", 30, 30, ["-c:v", "libx264", "-preset", "veryfast", "-crf", "20", "-pix_fmt", "yuv420p"]),
    ("BT.709 1080x1920", "1080x1920", 30, 30, ["-c:v", "libx264", "-preset", "veryfast", "-crf", "20", "-pix_fmt", "yuv420p",
                                               "-color_primaries", "bt709", "-color_trc", "bt709", "-colorspace", "bt709", "-color_range", "tv"]),
    ("HLG HEVC 10-bit", "1080x1920", 30, 30, ["-c:v", "libx265", "-preset", "ultrafast", "-crf", "22", "-pix_fmt", "yuv420p10le", "-tag:v", "hvc1",
                                              "-x265-params", "log-level=error:colorprim=bt2020:transfer=arib-std-b67:colormatrix=bt2020nc",
                                              "-color_primaries", "bt2020", "-color_trc", "arib-std-b67", "-colorspace", "bt2020nc", "-color_range", "tv"]),
    ("4K60 portrait", "2160x3840", 60, 10, ["-c:v", "libx264", "-preset", "ultrafast", "-crf", "20", "-pix_fmt", "yuv420p",
                                            "-color_primaries", "bt709", "-color_trc", "bt709", "-colorspace", "bt709"]),
    ("640x480 BT.601", "640x480", 30, 30, ["-c:v", "libx264", "-preset", "veryfast", "-crf", "20", "-pix_fmt", "yuv420p",
                                          "-color_primaries", "smpte170m", "-color_trc", "smpte170m", "-colorspace", "smpte170m", "-color_range", "tv"]),
]


def make_source(name, size, fps, seconds, video):
    path = OUT / ("source_" + "".join(c if c.isalnum() else "_" for c in name) + ".mp4")
    if not path.exists():
        temporary = path.with_name("." + path.name + ".making.mp4")
        subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-y",
                        "-f", "lavfi", "-i", f"testsrc2=s={size}:r={fps}:d={seconds},noise=alls=14:allf=t+u",
                        "-f", "lavfi", "-i", f"{SPEECH}:d={seconds}", *video,
                        "-c:a", "aac", "-b:a", "96k", "-ac", "1", str(temporary)], check=True)
        os.replace(temporary, path)
    return path


def main():
    binary = sys.argv[1]
    OUT.mkdir(exist_ok=True)
    templates = plain_templates()
    print(f"14. the reply on five kinds of source against the ffmpeg command line, same filters and x264 settings, {ROUNDS} alternating rounds, medians")
    print(f"    {'source':<20} {'wall ours':>9} {'wall ffmpeg':>11} {'wall ratio':>10} {'cpu ratio':>9} {'RSS ours':>9} {'RSS ffmpeg':>10}")
    for name, size, fps, seconds, video in SOURCES:
        clip = make_source(name, size, fps, seconds, video)
        ours = [binary, "process", str(clip), "--out", str(OUT / f"ours_{clip.stem}"), "--templates", str(templates),
                "--template", "reply-plain", "--outputs", "reply"]
        s = compare({"mediaorch": ours, "ffmpeg": ffmpeg_command(binary, clip, OUT / f"ffmpeg_{clip.stem}.mp4", templates)}, ROUNDS)
        (ow, oc, orss), (fw, fc, frss) = s["mediaorch"], s["ffmpeg"]
        print(f"    {name:<20} {ow:8.2f}s {fw:10.2f}s {ow / fw:10.3f} {oc / fc:9.3f} {orss:8.0f}M {frss:9.0f}M")
    print("    (targets: wall ratio <= 0.95 on every kind, peak RSS <= 350 MB)")
    print()


if __name__ == "__main__":
    main()
