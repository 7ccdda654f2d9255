"""make bench, section 18 (also alone: make bench-x264): the reply's x264 settings against x264's own
veryfast and superfast, on the very 720x1280 pictures the reply's x264 is given. For each: x264's
CPU seconds, the file's size, and its SSIM and PSNR against those pictures; then the quality
veryfast with subme=1 reaches at veryfast's own size (interpolated between its CRF 23 and CRF 24
files), which says what the saved CPU costs in picture.

Three kinds of picture, 30 s each:
  the bench's noisy clip at a phone's 16 Mb/s (section 17's), scaled as the reply scales it;
  walking footage: the GoPro clip in ../shared/media, looped, cut to portrait, with sensor grain;
  a slow turn over one of its pictures: sub-pixel motion everywhere, the hardest case for a
  cheaper sub-pixel search.
"""
import math, os, re, statistics, subprocess

from bench import OUT, ROOT, ROUNDS, measure

GOPRO = ROOT.parent / "shared" / "media" / "gopro_max_heromode.mp4"
# (label, x264 preset, crf, extra x264-params)
VARIANTS = [
    ("veryfast (x264's own subme 2)", "veryfast", 23, ""),
    ("veryfast, subme=1 (the reply's)", "veryfast", 23, "subme=1"),
    ("veryfast, subme=1, CRF 24", "veryfast", 24, "subme=1"),
    ("superfast (x264's next preset)", "superfast", 23, ""),
]


def pictures(name, make):
    """The 900 pictures as raw YUV (y4m) the encoder reads; made once, 1.2 GB each."""
    path = OUT / f"x264_{name}.y4m"
    if not path.exists():
        temporary = path.with_name("." + path.name + ".making")
        subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-y"] + make + ["-frames:v", "900", "-pix_fmt", "yuv420p",
                        "-f", "yuv4mpegpipe", str(temporary)], check=True)
        os.replace(temporary, path)
    return path


def sources(phone_rate_clip):
    still = OUT / "x264_still.png"
    if not still.exists():
        subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-ss", "3", "-i", str(GOPRO), "-frames:v", "1",
                        "-vf", "scale=-2:1440:flags=lanczos,crop=810:1440", str(still)], check=True)
    return [
        ("noise, 16 Mb/s", pictures("noise", ["-i", str(phone_rate_clip), "-an", "-vf",
                                              "scale=720:1280:in_color_matrix=bt709:in_range=tv:out_color_matrix=bt709:out_range=tv"])),
        ("walking camera", pictures("walking", ["-stream_loop", "2", "-i", str(GOPRO), "-an", "-vf",
                                                "scale=-2:1280:flags=lanczos,crop=720:1280,noise=alls=5:allf=t"])),
        ("slow turn", pictures("turn", ["-loop", "1", "-framerate", "30", "-i", str(still), "-vf",
                                        "rotate=a=0.004*t:ow=720:oh=1280,noise=alls=3:allf=t"])),
    ]


def encode(source, preset, crf, extra, out):
    """The reply's x264 settings (`mediaorch plan`'s) with this preset, CRF and extra parameters."""
    params = ":".join(["scenecut=0", "open-gop=0"] + ([extra] if extra else []))
    return ["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-i", str(source), "-c:v", "libx264", "-preset", preset,
            "-crf", str(crf), "-maxrate", "5000k", "-bufsize", "10000k", "-profile:v", "high", "-level", "4.1", "-g", "60",
            "-keyint_min", "60", "-x264-params", params, str(out)]


def quality(encoded, source):
    """(SSIM in dB, PSNR in dB) of every picture of `encoded` against `source`, averaged."""
    r = subprocess.run(["ffmpeg", "-hide_banner", "-i", str(encoded), "-i", str(source), "-lavfi",
                        "[0:v]split[a0][a1];[1:v]split[b0][b1];[a0][b0]ssim;[a1][b1]psnr", "-f", "null", "-"],
                       capture_output=True, text=True)
    ssim = re.search(r"SSIM .*All:[0-9.]+ \(([0-9.]+)\)", r.stderr)
    psnr = re.search(r"PSNR .*average:([0-9.]+)", r.stderr)
    return float(ssim.group(1)) if ssim else math.nan, float(psnr.group(1)) if psnr else math.nan


def at_size(size, points):
    """Linear in log(size) between two (size, ssim, psnr) points: the quality at `size`."""
    (s0, a0, p0), (s1, a1, p1) = sorted(points)
    t = (math.log(size) - math.log(s0)) / (math.log(s1) - math.log(s0))
    return a0 + t * (a1 - a0), p0 + t * (p1 - p0)


def reply_encoder_settings(phone_rate_clip):
    print(f"18. the reply's x264 settings on the pictures the reply's x264 is given (720x1280, 30 s), CPU median of {ROUNDS} rounds")
    print(f"    {'pictures':<16} {'x264 settings':<33} {'cpu':>7} {'size':>9} {'SSIM':>9} {'PSNR':>9}")
    for name, source in sources(phone_rate_clip):
        results = {}
        for label, preset, crf, extra in VARIANTS:
            out = OUT / f"x264_{name.split(',')[0].replace(' ', '_')}_{preset}_{crf}_{extra or 'own'}.mp4"
            cpu = statistics.median(measure(encode(source, preset, crf, extra, out))[1] for _ in range(ROUNDS))
            size = out.stat().st_size
            ssim, psnr = quality(out, source)
            results[label] = (cpu, size, ssim, psnr)
            print(f"    {name:<16} {label:<33} {cpu:6.2f}s {size / 1e6:7.2f}MB {ssim:7.2f}dB {psnr:7.2f}dB")
        base = results[VARIANTS[0][0]]
        ours = [results[VARIANTS[i][0]] for i in (1, 2)]
        ssim, psnr = at_size(base[1], [(r[1], r[2], r[3]) for r in ours])
        print(f"    {'':<16} subme=1 against veryfast: {ours[0][0] / base[0]:.2f}x the CPU, {ours[0][1] / base[1]:.2f}x the size at CRF 23;"
              f" at veryfast's size {ssim - base[2]:+.2f} dB SSIM, {psnr - base[3]:+.2f} dB PSNR")
    print(f"    (SSIM and PSNR: every picture against the pictures given to x264, {OUT}/x264_*.y4m)")
    print()
