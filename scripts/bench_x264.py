"""make bench, section 18 (also alone: make bench-x264): the reply's x264 settings against x264's own
veryfast and superfast, on the very 720x1280 pictures the reply's x264 is given. For each: x264's
CPU seconds, the file's size, and its SSIM and PSNR against those pictures; then the quality
veryfast with subme=1 reaches at veryfast's own size (interpolated between its CRF 23 and CRF 24
files), which says what the saved CPU costs in picture.

Three kinds of picture, 30 s each:
  the bench's noisy clip at a phone's 16 Mb/s (section 17's), scaled as the reply scales it: sharp;
  walking footage: the GoPro clip in ../shared/media (848x480, so upscaled 2.7x: softer than a
  phone's 1080p), looped, cut to portrait, with sensor grain;
  a slow pan over one of its pictures, 0.75 px a frame: every block moves by a fraction of a
  pixel, the case a cheaper sub-pixel search should lose most on.
"""
import hashlib, json, math, os, re, statistics, subprocess

from bench import OUT, ROOT, ROUNDS, measure, x264_arguments

GOPRO = ROOT.parent / "shared" / "media" / "gopro_max_heromode.mp4"
# (label, x264 preset, crf, extra x264-params)
VARIANTS = [
    ("veryfast (x264's own subme 2)", "veryfast", 23, ""),
    ("veryfast, subme=1 (the reply's)", "veryfast", 23, "subme=1"),
    ("veryfast, subme=1, CRF 24", "veryfast", 24, "subme=1"),
    ("superfast (x264's next preset)", "superfast", 23, ""),
]


def pictures(name, make):
    """The 900 pictures as raw YUV (y4m) the encoder reads; made once per recipe, 1.2 GB each."""
    path = OUT / f"x264_{name}_{hashlib.sha256(repr(make).encode()).hexdigest()[:8]}.y4m"
    if not path.exists():
        temporary = path.with_name("." + path.name + ".making")
        subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-y"] + make + ["-frames:v", "900", "-pix_fmt", "yuv420p",
                        "-f", "yuv4mpegpipe", str(temporary)], check=True)
        os.replace(temporary, path)
    return path


def sources(phone_rate_clip):
    still = OUT / "x264_gopro_at_3s.png"
    if not still.exists():
        subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-ss", "3", "-i", str(GOPRO), "-frames:v", "1",
                        str(still)], check=True)
    # The pan: the picture made 4x larger once, then cropped 3 px further right each frame and
    # brought down to 720x1280, so it moves 0.75 px a frame, through every quarter-pixel phase.
    pan = ["-i", str(still), "-vf", "scale=-2:1280:flags=lanczos,scale=iw*4:ih*4:flags=bicubic,loop=loop=899:size=1:start=0,"
           "setpts=N/30/TB,crop=2880:5120:3*n:0,scale=720:1280:flags=area,noise=alls=3:allf=t", "-r", "30"]
    return [
        ("noise, 16 Mb/s", pictures("noise", ["-i", str(phone_rate_clip), "-an", "-vf",
                                              "scale=720:1280:in_color_matrix=bt709:in_range=tv:out_color_matrix=bt709:out_range=tv"])),
        ("walking camera", pictures("walking", ["-stream_loop", "2", "-i", str(GOPRO), "-an", "-vf",
                                                "scale=-2:1280:flags=lanczos,crop=720:1280,noise=alls=5:allf=t"])),
        ("slow pan", pictures("pan", pan)),
    ]


def encode(plan, source, preset, crf, extra, out):
    """The production reply's x264 settings, as `mediaorch plan` gives them, with this preset, CRF
    and sub-pixel search (extra; none: the preset's own)."""
    x = dict(plan["x264_options"], preset=preset, crf=str(crf))
    x["x264-params"] = ":".join([p for p in x["x264-params"].split(":") if not p.startswith("subme=")] + ([extra] if extra else []))
    return (["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-i", str(source)]
            + x264_arguments(dict(plan, x264_options=x)) + [str(out)])


def quality(encoded, source):
    """(SSIM in dB, PSNR in dB) of every picture of `encoded` against `source`, averaged."""
    r = subprocess.run(["ffmpeg", "-hide_banner", "-i", str(encoded), "-i", str(source), "-lavfi",
                        "[0:v]split[a0][a1];[1:v]split[b0][b1];[a0][b0]ssim;[a1][b1]psnr", "-f", "null", "-"],
                       capture_output=True, text=True)
    ssim = re.search(r"SSIM .*All:[0-9.]+ \(([0-9.]+)\)", r.stderr)
    psnr = re.search(r"PSNR .*average:([0-9.]+)", r.stderr)
    if r.returncode != 0 or not ssim or not psnr:
        raise SystemExit(f"cannot compare {encoded} with {source}:\n{r.stderr[-2000:]}")
    return float(ssim.group(1)), float(psnr.group(1))


def at_size(size, points):
    """Linear in log(size) between two (size, ssim, psnr) points: the quality at `size`, and
    whether `size` lies between them (else the figure is extrapolated)."""
    (s0, a0, p0), (s1, a1, p1) = sorted(points)
    if s0 == s1:
        return a0, p0, False
    t = (math.log(size) - math.log(s0)) / (math.log(s1) - math.log(s0))
    return a0 + t * (a1 - a0), p0 + t * (p1 - p0), 0 <= t <= 1


def reply_encoder_settings(binary, phone_rate_clip):
    plan = json.loads(subprocess.run([binary, "plan", str(phone_rate_clip), "--template", "twitter-reply"],
                                     check=True, capture_output=True, text=True).stdout)
    print(f"18. the reply's x264 settings on the pictures the reply's x264 is given (720x1280, 30 s), {ROUNDS} rounds, the variants alternating")
    print(f"    {'pictures':<16} {'x264 settings':<33} {'cpu':>7} {'size':>9} {'SSIM':>9} {'PSNR':>9}")
    for name, source in sources(phone_rate_clip):
        outs = {label: OUT / f"x264_{name.split(',')[0].replace(' ', '_')}_{preset}_{crf}_{extra or 'own'}.mp4"
                for label, preset, crf, extra in VARIANTS}
        # This machine's speed drifts over minutes: each round runs every variant once, back to back.
        cpu = {label: [] for label, *_ in VARIANTS}
        for _ in range(ROUNDS):
            for label, preset, crf, extra in VARIANTS:
                cpu[label].append(measure(encode(plan, source, preset, crf, extra, outs[label]))[1])
        results = {}
        for label, *_ in VARIANTS:
            size = outs[label].stat().st_size
            ssim, psnr = quality(outs[label], source)
            results[label] = (statistics.median(cpu[label]), size, ssim, psnr)
            print(f"    {name:<16} {label:<33} {results[label][0]:6.2f}s {size / 1e6:7.2f}MB {ssim:7.2f}dB {psnr:7.2f}dB")
        base, ours, ours24 = (VARIANTS[i][0] for i in range(3))
        ratio = statistics.median(a / b for a, b in zip(cpu[ours], cpu[base]))
        ssim, psnr, between = at_size(results[base][1], [results[label][1:] for label in (ours, ours24)])
        print(f"    {'':<16} subme=1 against veryfast: {ratio:.2f}x the CPU (median of each round's pair), {results[ours][1] / results[base][1]:.2f}x"
              f" the size at CRF 23; at veryfast's size {ssim - results[base][2]:+.2f} dB SSIM, {psnr - results[base][3]:+.2f} dB PSNR"
              + ("" if between else " (extrapolated: veryfast's size is outside the two)"))
    print(f"    (SSIM and PSNR: every picture against the pictures given to x264, {OUT}/x264_*.y4m)")
    print()
