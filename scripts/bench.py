#!/usr/bin/env python3
"""make bench: the reply render against the ffmpeg command line doing the same work (same
filters, same encoder settings, taken from `mediaorch plan`), run alternately in one run.
Prints wall time, CPU time and peak RSS of each and their ratios. Figures, not assertions."""
import json, os, statistics, subprocess, sys, time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench-output"
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
SPEECH = ("aevalsrc='0.25*sin(2*PI*180*t)*(0.55+0.45*sin(2*PI*2.7*t))"
          "+0.08*sin(2*PI*410*t)*(0.5+0.5*sin(2*PI*4.1*t))':s=48000")


def make_clip(seconds):
    """A 1080x1920 30 fps portrait clip with camera-like noise and speech-like mono audio."""
    path = OUT / f"portrait_{seconds}s.mp4"
    if not path.exists():
        subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-y",
                        "-f", "lavfi", "-i", f"testsrc2=s=1080x1920:r=30:d={seconds},noise=alls=14:allf=t+u",
                        "-f", "lavfi", "-i", f"{SPEECH}:d={seconds}",
                        "-c:v", "libx264", "-preset", "veryfast", "-crf", "20", "-pix_fmt", "yuv420p",
                        "-c:a", "aac", "-b:a", "96k", "-ac", "1", str(path)], check=True)
    return path


def measure(cmd):
    """Runs cmd; returns (wall s, cpu s, peak RSS MB) of that child alone."""
    start = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.monotonic() - start
    err = proc.stderr.read().decode(errors="replace")
    proc.stderr.close()
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"failed: {' '.join(map(str, cmd))}\n{err}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def ffmpeg_command(binary, clip, out):
    plan = json.loads(subprocess.run([binary, "plan", str(clip)], check=True, capture_output=True, text=True).stdout)
    x = plan["x264_options"]
    return ["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-noautorotate", "-i", str(clip),
            "-filter_complex", f"[0:{plan['video_stream']}]{plan['video_filters']}[v];[0:{plan['audio_stream']}]{plan['audio_filters']}[a]",
            "-map", "[v]", "-map", "[a]",
            "-c:v", "libx264", "-preset", x["preset"], "-crf", x["crf"], "-profile:v", x["profile"], "-level", x["level"],
            "-x264-params", x["x264-params"], "-g", str(plan["keyframe_interval"]), "-keyint_min", str(plan["keyframe_interval"]),
            "-maxrate", f"{plan['maxrate_kbps']}k", "-bufsize", f"{plan['bufsize_kbps']}k",
            "-color_primaries", "bt709", "-color_trc", "bt709", "-colorspace", "bt709", "-color_range", "tv",
            "-c:a", "aac", "-b:a", f"{plan['audio_bitrate_kbps']}k",
            "-map_metadata", "-1", "-fflags", "+bitexact", "-movflags", "+faststart", str(out)]


def compare(binary, clip, rounds):
    ours_out = OUT / f"ours_{clip.stem}"
    ff_out = OUT / f"ffmpeg_{clip.stem}.mp4"
    ours = [binary, "process", str(clip), "--out", str(ours_out), "--outputs", "reply"]
    theirs = ffmpeg_command(binary, clip, ff_out)
    results = {"mediaorch": [], "ffmpeg": []}
    for _ in range(rounds):  # alternate, so both see the same machine state
        results["mediaorch"].append(measure(ours))
        results["ffmpeg"].append(measure(theirs))
    summary = {}
    for name, runs in results.items():
        summary[name] = (statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs), max(r[2] for r in runs))
    return summary


def main():
    binary = sys.argv[1] if len(sys.argv) > 1 else str(ROOT / ".build/release/mediaorch")
    OUT.mkdir(exist_ok=True)
    clip30, clip60 = make_clip(30), make_clip(60)
    print(f"reply render of a 30 s 1080x1920 30 fps noisy clip, {ROUNDS} alternating rounds, medians (RSS: max)")
    s30 = compare(binary, clip30, ROUNDS)
    print(f"{'':12}{'wall s':>9}{'cpu s':>9}{'peak RSS MB':>13}")
    for name, (wall, cpu, rss) in s30.items():
        print(f"{name:12}{wall:9.2f}{cpu:9.2f}{rss:13.1f}")
    ow, oc, orss = s30["mediaorch"]
    fw, fc, frss = s30["ffmpeg"]
    print(f"ratio mediaorch/ffmpeg: wall {ow / fw:.3f} (target <= 1.0), cpu {oc / fc:.3f}, RSS {orss / frss:.3f}")
    print()
    print("memory with a clip twice as long (60 s), 1 round each")
    s60 = compare(binary, clip60, 1)
    print(f"{'':12}{'wall s':>9}{'cpu s':>9}{'peak RSS MB':>13}")
    for name, (wall, cpu, rss) in s60.items():
        print(f"{name:12}{wall:9.2f}{cpu:9.2f}{rss:13.1f}")
    growth = s60["mediaorch"][2] / orss
    print(f"mediaorch peak RSS 30 s -> 60 s: {orss:.1f} -> {s60['mediaorch'][2]:.1f} MB, x{growth:.3f} "
          f"(targets: <= 350 MB, growth <= 1.10)")


if __name__ == "__main__":
    main()
