#!/usr/bin/env python3
"""make bench, section 14 (also alone: make bench-sources): the reply render on six kinds of
phone clip against the ffmpeg command line doing the same work (the filters and x264 settings of
`mediaorch plan` for that very clip), alternating, medians of BENCH_ROUNDS rounds:

  untagged 1080x1920 H.264 (browser recordings, screen captures, re-encodes)
  BT.709 1080x1920 H.264 (most phones)
  HLG 10-bit HEVC 1080x1920 (iPhones' default), tone-mapped to SDR
  PQ 10-bit HEVC 1080x1920 with HDR10's messages (Samsung's HDR10+), tone-mapped to SDR
  2160x3840 60 fps H.264 portrait (4K60)
  640x480 BT.601 H.264 (old phones, messaging apps)

Each clip has camera-like noise and speech-like audio; 30 s, but 10 s for 4K60. Prints wall and
CPU ratios (each round's two runs compared with each other, the median of those), the cores each
side kept busy, and both peak RSS figures.

Section 15: an editor's 20 s cut from the middle of a 60 s 1080x1920 29.97 phone-like clip (15a H.264
High, 15b HEVC Main, 15c HEVC Main 10 HLG; B-frames, 1 s closed GOPs): our smart cut, our full re-encode
of the cut (bts_smart_cut: false) and the ffmpeg command line re-encoding the same range at CRF 18 (8-bit,
no tone mapping: a time to compare with, not the same picture); and whether every copied packet is
byte-identical to the camera's. Figures, not assertions.
Section 16: the picture chains alone (decode and filters, no encoder: `ffmpeg -f null`), the
colour step and the HDR tone mapping each against its alternatives (for HLG and PQ, the exact chain
sampled into a 33³ LUT as the reply does it, the table made here through the ffmpeg CLI), with
each variant's picture compared (PSNR, mean luma) against the most exact one.
Section 17: from an upload completing (a .part renamed into a running `mediaorch watch`'s inbox)
to its reply's manifest.json in the outbox, for the 30 s BT.709 1080x1920 clip (55 Mb/s of noise)
and the same pictures at a phone's 16 Mb/s, with the production `twitter-reply` template (captions,
end card, thumbnails) and `twitter-reply-fast`.
Section 18 (scripts/bench_x264.py): the reply's x264 settings (veryfast with subme=1) against x264's
own veryfast and superfast on the pictures the reply's x264 is given: CPU, size, SSIM, PSNR.
Usage: bench-sources.py MEDIAORCH [--sources-only [--source NAME-PREFIX ...] | --cut-only | --chains-only | --upload-only | --x264-only]
"""
import array, json, os, statistics, subprocess, sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench import OUT, ROOT, ROUNDS, SPEECH, compare, compare_runs, ffmpeg_command, plain_templates  # noqa: E402
from bench_x264 import reply_encoder_settings  # noqa: E402

SOURCES = [
    # (name, size, fps, seconds, video encoding arguments)
    ("untagged 1080x1920", "1080x1920", 30, 30, ["-c:v", "libx264", "-preset", "veryfast", "-crf", "20", "-pix_fmt", "yuv420p"]),
    ("BT.709 1080x1920", "1080x1920", 30, 30, ["-c:v", "libx264", "-preset", "veryfast", "-crf", "20", "-pix_fmt", "yuv420p",
                                               "-color_primaries", "bt709", "-color_trc", "bt709", "-colorspace", "bt709", "-color_range", "tv"]),
    ("HLG HEVC 10-bit", "1080x1920", 30, 30, ["-c:v", "libx265", "-preset", "ultrafast", "-crf", "22", "-pix_fmt", "yuv420p10le", "-tag:v", "hvc1",
                                              "-x265-params", "log-level=error:colorprim=bt2020:transfer=arib-std-b67:colormatrix=bt2020nc",
                                              "-color_primaries", "bt2020", "-color_trc", "arib-std-b67", "-colorspace", "bt2020nc", "-color_range", "tv"]),
    ("PQ HEVC 10-bit", "1080x1920", 30, 30, ["-c:v", "libx265", "-preset", "ultrafast", "-crf", "22", "-pix_fmt", "yuv420p10le", "-tag:v", "hvc1",
                                             "-x265-params", "log-level=error:colorprim=bt2020:transfer=smpte2084:colormatrix=bt2020nc:hdr10=1:"
                                             "master-display=G(13250,34500)B(7500,3000)R(34000,16000)WP(15635,16450)L(10000000,50):max-cll=1000,400",
                                             "-color_primaries", "bt2020", "-color_trc", "smpte2084", "-colorspace", "bt2020nc", "-color_range", "tv"]),
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


def packet_md5s(path):
    """ffmpeg's MD5 of each video packet, untouched (-c copy)."""
    out = subprocess.run(["ffmpeg", "-v", "error", "-i", str(path), "-map", "0:v:0", "-c", "copy", "-f", "framemd5", "-"],
                         check=True, capture_output=True, text=True).stdout
    return [line.rsplit(",", 1)[1].strip() for line in out.splitlines() if line and not line.startswith("#")]


# The editors' cut's cameras: (codec, clip file, video encoding arguments); 1 s closed GOPs with B-frames.
BT709 = ["-color_primaries", "bt709", "-color_trc", "bt709", "-colorspace", "bt709"]
X265_CLOSED_GOPS = ["-x265-params", "log-level=error:keyint=30:min-keyint=30:scenecut=0:open-gop=0:bframes=3"]
CUT_CAMERAS = [
    ("H.264", "source_editors_60s_2997.mp4", ["-c:v", "libx264", "-preset", "veryfast", "-crf", "20", "-g", "30", "-keyint_min", "30",
                                              "-sc_threshold", "0", "-bf", "3", "-profile:v", "high", "-pix_fmt", "yuv420p", *BT709]),
    ("HEVC", "source_editors_60s_2997_hevc.mp4", ["-c:v", "libx265", "-preset", "ultrafast", "-crf", "22", "-pix_fmt", "yuv420p", "-tag:v", "hvc1",
                                                  *X265_CLOSED_GOPS, *BT709]),
    # An iPhone's default: 10-bit HLG HEVC.
    ("HEVC HLG", "source_editors_60s_2997_hlg.mp4", ["-c:v", "libx265", "-preset", "ultrafast", "-crf", "22", "-pix_fmt", "yuv420p10le",
                                                      "-tag:v", "hvc1", *X265_CLOSED_GOPS,
                                                      "-color_primaries", "bt2020", "-color_trc", "arib-std-b67", "-colorspace", "bt2020nc"]),
]


def editors_cut(binary):
    templates = OUT / "templates"
    template = json.loads((ROOT / "Jobs/bts-cut.json").read_text())
    template.update(name="bts-cut-full", bts_smart_cut=False)
    (templates / "bts-cut-full.json").write_text(json.dumps(template))
    (templates / "bts-cut.json").write_text((ROOT / "Jobs/bts-cut.json").read_text())
    for number, (codec, name, video) in enumerate(CUT_CAMERAS):
        editors_cut_of(binary, templates, f"15{'abc'[number]}", codec, name, video)


def editors_cut_of(binary, templates, section, codec, name, video):
    clip = OUT / name
    if not clip.exists():
        temporary = clip.with_name("." + clip.name + ".making.mp4")
        subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-y",
                        "-f", "lavfi", "-i", "testsrc2=s=1080x1920:r=30000/1001:d=60,noise=alls=14:allf=t+u",
                        "-f", "lavfi", "-i", f"{SPEECH}:d=60", *video,
                        "-c:a", "aac", "-b:a", "128k", str(temporary)], check=True)
        os.replace(temporary, clip)
    tag = "" if codec == "H.264" else "_" + codec.lower().replace(" ", "_")
    ours = lambda name, template: [binary, "process", str(clip), "--out", str(OUT / (name + tag)), "--templates", str(templates),
                                   "--template", template, "--trim-start", "20", "--trim-end", "40"]
    ffmpeg = ["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-ss", "20", "-i", str(clip), "-t", "20",
              "-map", "0:v:0", "-map", "0:a:0", "-c:v", "libx264", "-preset", "faster", "-crf", "18", "-profile:v", "high", "-pix_fmt", "yuv420p",
              "-c:a", "aac", "-b:a", "192k", "-ac", "2", "-ar", "48000",
              "-map_metadata", "-1", "-fflags", "+bitexact", "-movflags", "+faststart", str(OUT / f"ffmpeg_cut{tag}.mp4")]
    s = compare({"smart": ours("cut_smart", "bts-cut"), "full": ours("cut_full", "bts-cut-full"), "ffmpeg": ffmpeg}, ROUNDS)
    manifest = json.loads((OUT / ("cut_smart" + tag) / "manifest.json").read_text())
    cut = next(o for o in manifest["outputs"] if o["role"] == "bts")["cut"]
    camera = set(packet_md5s(clip))
    written = packet_md5s(OUT / ("cut_smart" + tag) / "bts.mp4")
    identical = sum(1 for p in written if p in camera)
    print(f"{section}. an editor's 20 s cut from the middle of a 60 s 1080x1920 29.97 {codec} clip (1 s GOPs, B-frames), {ROUNDS} alternating rounds, medians")
    print(f"    {'how':<34} {'wall':>7} {'cpu':>7} {'RSS':>6}")
    for name, label in (("smart", "smart cut (ours)"), ("full", "full re-encode, CRF 18 (ours)"), ("ffmpeg", "full re-encode, CRF 18 (ffmpeg CLI)")):
        w, c, r = s[name]
        print(f"    {label:<34} {w:6.2f}s {c:6.2f}s {r:5.0f}M")
    print(f"    smart cut / ffmpeg CLI re-encode: {s['smart'][0] / s['ffmpeg'][0]:.3f} wall; smart cut / our re-encode: {s['smart'][0] / s['full'][0]:.3f} wall")
    print(f"    method {cut['method']}: {cut.get('copied_packets')} packets ({cut.get('copied_seconds', 0):.2f} s) copied, "
          f"{cut.get('reencoded_pictures')} pictures ({cut.get('reencoded_seconds', 0):.2f} s) re-encoded; "
          f"{identical} of {len(written)} packets byte-identical to the camera's" + (f"; reason: {cut['reason']}" if "reason" in cut else ""))
    print("    (target: smart cut <= 0.2x the time of a full re-encode, every copied packet byte-identical)")
    print()


def chain_cost(clip, chain, rounds):
    """Wall and CPU seconds of decoding `clip` through `chain` into nothing, medians."""
    cmd = ["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-noautorotate", "-i", str(clip), "-an", "-vf", chain, "-f", "null", "-"]
    s = compare({"chain": cmd}, rounds)["chain"]
    return s[0], s[1]


def still(clip, chain, at, path):
    """One picture through `chain` at `at` seconds, turned into RGB as a BT.709 player shows it
    (every chain ends in BT.709 limited range), as a PNG; and its mean luma (0-255)."""
    subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-noautorotate", "-ss", str(at), "-i", str(clip),
                    "-vf", f"{chain},scale=in_color_matrix=bt709:in_range=tv,format=rgb24", "-frames:v", "1", str(path)], check=True)
    r = subprocess.run(["ffmpeg", "-hide_banner", "-noautorotate", "-ss", str(at), "-i", str(clip), "-vf",
                        f"{chain},signalstats,metadata=print:key=lavfi.signalstats.YAVG", "-frames:v", "1", "-f", "null", "-"],
                       capture_output=True, text=True)
    luma = next((float(l.split("=")[1]) for l in r.stderr.splitlines() if "YAVG" in l), float("nan"))
    return path, luma


def psnr(reference, other):
    """PSNR (dB) of RGB picture `other` against `reference`."""
    out = subprocess.run(["ffmpeg", "-hide_banner", "-i", str(reference), "-i", str(other), "-filter_complex",
                          "[0:v]format=gbrp[a];[1:v]format=gbrp[b];[a][b]psnr", "-f", "null", "-"], capture_output=True, text=True)
    return next((line.split("average:")[1].split()[0] for line in out.stderr.splitlines() if "average:" in line), "?")


def to_display_light(peak):
    """The exact HDR chain up to display light, as Sources/Transcode/ToneMapLUT.swift spells it;
    `peak` as `mediaorch plan` prints it (HLG with no messages: 10; the PQ bench clip's MaxCLL: 10)."""
    return f"zscale=t=linear:npl=100,format=gbrpf32le,zscale=p=bt709,tonemap=tonemap=hable:desat=0:peak={peak}"


def tone_map_lut(transfer, peak, points=33):
    """The reply's table made the ffmpeg CLI's way, for section 16: the exact chain run on one
    picture of every grid colour (16-bit RGB, red fastest), written as a .cube file."""
    path = OUT / f"tonemap_{transfer}_{peak}_{points}.cube"
    if path.exists():
        return path
    levels = [round(i * 65535 / (points - 1)) for i in range(points)]
    grid = array.array("H", (levels[c] for b in range(points) for g in range(points) for r in range(points) for c in (r, g, b)))
    if sys.byteorder != "little":
        grid.byteswap()
    chain = f"setparams=color_primaries=bt2020:color_trc={transfer}:colorspace=gbr:range=pc,{to_display_light(peak)},zscale=t=bt709,format=gbrpf32le"
    out = subprocess.run(["ffmpeg", "-v", "error", "-f", "rawvideo", "-pix_fmt", "rgb48le", "-s", f"{points * points}x{points}", "-i", "-",
                          "-vf", chain, "-f", "rawvideo", "-pix_fmt", "gbrpf32le", "-"], input=grid.tobytes(), capture_output=True, check=True).stdout
    planes = array.array("f", out)
    n = points ** 3
    g, b, r = planes[:n], planes[n:2 * n], planes[2 * n:]
    path.write_text(f"LUT_3D_SIZE {points}\n" + "".join(f"{r[i]:.6f} {g[i]:.6f} {b[i]:.6f}\n" for i in range(n)))
    return path


def picture_chains(binary):
    print(f"16. picture chains alone (decode + filters, no encoder; ffmpeg -f null), {ROUNDS} rounds, medians; each picture against the first row's")
    print(f"    {'chain':<58} {'wall':>7} {'cpu':>7} {'PSNR':>7} {'mean luma':>10}")
    hlg = make_source(*next(x for x in SOURCES if x[0].startswith("HLG")))
    pq = make_source(*next(x for x in SOURCES if x[0].startswith("PQ")))
    sd = make_source(*next(x for x in SOURCES if x[0].startswith("640x480")))

    def through_lut(transfer, peak):
        return (f"scale=720:1280:in_color_matrix=bt2020:in_range=tv,format=gbrp16le,lut3d=file={tone_map_lut(transfer, peak)}:interp=tetrahedral,"
                "scale=out_color_matrix=bt709:out_range=tv,setparams=color_primaries=bt709:color_trc=bt709:colorspace=bt709:range=tv,format=yuv420p")
    tonemap = f"{to_display_light(10)},zscale=t=bt709:m=bt709:r=tv"
    groups = [
        ("HLG 10-bit 1080x1920 to SDR 720x1280", hlg, [
            ("tone map at full size, then scale", f"{tonemap},format=yuv420p,scale=720:1280"),
            ("scale, then tone map (the exact chain)", f"scale=720:1280,{tonemap},format=yuv420p"),
            ("scale to RGB, the exact chain as a 33³ LUT (the reply's)", through_lut("arib-std-b67", 10)),
            ("scale, then HLG to BT.709 without a tone curve", "scale=720:1280,zscale=tin=arib-std-b67:pin=bt2020:min=bt2020nc:t=bt709:p=bt709:m=bt709:r=tv,format=yuv420p"),
        ]),
        ("PQ 10-bit 1080x1920 (MaxCLL 1000 cd/m²) to SDR 720x1280", pq, [
            ("scale, then tone map (the exact chain)", f"scale=720:1280,{tonemap},format=yuv420p"),
            ("scale to RGB, the exact chain as a 33³ LUT (the reply's)", through_lut("smpte2084", 10)),
            ("scale, then PQ to BT.709 without a tone curve", "scale=720:1280,zscale=tin=smpte2084:pin=bt2020:min=bt2020nc:t=bt709:p=bt709:m=bt709:r=tv:npl=100,format=yuv420p"),
        ]),
        ("640x480 BT.601 to BT.709 960x720", sd, [
            # The matrix alone (BT.601 primaries and curve read as BT.709's, as players do): float, exact.
            ("colorspace filter (exact, float)", "scale=960:720,colorspace=all=bt709:ispace=bt470bg:itrc=bt709:iprimaries=bt709:irange=tv:fast=0,format=yuv420p"),
            ("swscale matrix in the scale (the reply's chain)", "scale=960:720:in_color_matrix=bt601:in_range=tv:out_color_matrix=bt709:out_range=tv,format=yuv420p"),
            ("colorspace filter, fast", "scale=960:720,colorspace=all=bt709:ispace=bt470bg:itrc=bt709:iprimaries=bt709:irange=tv:fast=1,format=yuv420p"),
            ("zscale matrix", "zscale=w=960:h=720:min=170m:m=709:rin=tv:r=tv,format=yuv420p"),
            ("no conversion (wrong colours: the cost floor)", "scale=960:720,format=yuv420p"),
        ]),
    ]
    for title, clip, variants in groups:
        print(f"    {title}")
        reference = None
        for i, (name, chain) in enumerate(variants):
            wall, cpu = chain_cost(clip, chain, ROUNDS)
            picture, luma = still(clip, chain, 12.0, OUT / f"chain_{clip.stem}_{i}.png")
            score = "ref" if reference is None else psnr(reference, picture)
            reference = reference or picture
            print(f"      {name:<56} {wall:6.2f}s {cpu:6.2f}s {score:>7} {luma:10.1f}")
    print(f"    (pictures in {OUT}/chain_*.png)")
    print()


def at_phone_rate(clip):
    """The same pictures at a phone camera's 16 Mb/s (the bench's noise makes 55 Mb/s, which
    costs twice the decoding of what phones upload)."""
    path = clip.with_name(clip.stem + "_16M.mp4")
    if not path.exists():
        temporary = path.with_name("." + path.name + ".making.mp4")
        subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-i", str(clip), "-c:v", "libx264", "-preset", "veryfast",
                        "-b:v", "16M", "-maxrate", "16M", "-bufsize", "32M", "-pix_fmt", "yuv420p", "-color_primaries", "bt709",
                        "-color_trc", "bt709", "-colorspace", "bt709", "-color_range", "tv", "-c:a", "copy", str(temporary)], check=True)
        os.replace(temporary, path)
    return path


def bt709_clip():
    return make_source(*next(x for x in SOURCES if x[0].startswith("BT.709")))


def upload_to_manifest(binary):
    bench_clip = bt709_clip()
    print(f"17. upload completed to the reply's manifest, 30 s BT.709 1080x1920 clip, {ROUNDS} rounds, medians")
    for label, clip in (("55 Mb/s", bench_clip), ("16 Mb/s", at_phone_rate(bench_clip))):
        for template in ("twitter-reply", "twitter-reply-fast"):
            upload_rounds(binary, clip, label, template)
    print("    (target: <= 0.5x the clip's length)")
    print()


def upload_rounds(binary, clip, label, template):
    """One template's rounds of upload to manifest, each against a freshly started service."""
    import shutil, time
    ws = OUT / "upload-workspace"
    shutil.rmtree(ws, ignore_errors=True)
    (ws / "inbox").mkdir(parents=True)
    service = subprocess.Popen([binary, "watch", "--workspace", str(ws), "--no-http", "--workers", "1"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    seconds = []
    try:
        time.sleep(1.0)
        for i in range(ROUNDS):
            name = f"reply{i}.mp4"
            (ws / "inbox" / f"reply{i}.job.json").write_text(json.dumps({
                "template": template, "speaker": {"name": "Bench", "camp": "Kakuma", "consent": True}, "reply_to": {"handle": "@bench"}}))
            part = ws / "inbox" / f".{name}.part"
            shutil.copyfile(clip, part)
            with open(part, "ab") as f:
                f.write(bytes([i]))  # a different upload each round
            done = time.monotonic()
            part.rename(ws / "inbox" / name)
            before = set((ws / "outbox").glob("*/manifest.json")) if (ws / "outbox").is_dir() else set()
            found = None
            while found is None and time.monotonic() - done < 600:
                time.sleep(0.05)
                now = set((ws / "outbox").glob("*/manifest.json")) if (ws / "outbox").is_dir() else set()
                fresh = [m for m in now - before if json.loads(m.read_text()).get("template") == template]
                found = fresh[0] if fresh else None
            seconds.append(time.monotonic() - done if found else float("nan"))
            # Let the bts job the production template queues finish before the next round.
            while any(j["state"] in ("queued", "running") for j in json.loads(subprocess.run(
                    [binary, "jobs", "list", "--json", "--workspace", str(ws)], capture_output=True, text=True).stdout or "[]")):
                time.sleep(0.5)
    finally:
        service.terminate()
        service.wait()
    median = statistics.median(seconds)
    print(f"    {label} {template:<20} {median:6.2f}s = {median / 30:.2f}x the clip's length  (runs: {', '.join(f'{x:.2f}' for x in seconds)})")


def main():
    binary = sys.argv[1]
    OUT.mkdir(exist_ok=True)
    templates = plain_templates()
    if "--chains-only" in sys.argv:
        return picture_chains(binary)
    if "--upload-only" in sys.argv:
        return upload_to_manifest(binary)
    if "--x264-only" in sys.argv:
        return reply_encoder_settings(binary, at_phone_rate(bt709_clip()))
    if "--sources-only" in sys.argv:
        return sources(binary, templates)
    if "--cut-only" not in sys.argv:
        sources(binary, templates)
    editors_cut(binary)
    if "--cut-only" not in sys.argv:
        picture_chains(binary)
        upload_to_manifest(binary)
        reply_encoder_settings(binary, at_phone_rate(bt709_clip()))


def sources(binary, templates):
    print(f"14. the reply on six kinds of source against the ffmpeg command line, same filters and x264 settings, {ROUNDS} alternating rounds: medians, and ratios of each round's pair")
    print(f"    {'source':<20} {'wall ours':>9} {'wall ffmpeg':>11} {'wall ratio':>10} {'cpu ratio':>9} {'cores ours':>10} {'cores ffmpeg':>12} {'RSS ours':>9} {'RSS ffmpeg':>10}")
    # --source PREFIX (repeatable) keeps only the rows whose name starts with it.
    chosen = [sys.argv[i + 1] for i, a in enumerate(sys.argv[:-1]) if a == "--source"]
    for name, size, fps, seconds, video in SOURCES:
        if chosen and not any(name.startswith(c) for c in chosen):
            continue
        clip = make_source(name, size, fps, seconds, video)
        ours = [binary, "process", str(clip), "--out", str(OUT / f"ours_{clip.stem}"), "--templates", str(templates),
                "--template", "reply-plain", "--outputs", "reply"]
        runs = compare_runs({"mediaorch": ours, "ffmpeg": ffmpeg_command(binary, clip, OUT / f"ffmpeg_{clip.stem}.mp4", templates)}, ROUNDS)
        mine, theirs = runs["mediaorch"], runs["ffmpeg"]
        # This machine's speed drifts by a fifth over minutes: each round's two runs, back to back,
        # are compared with each other, and the ratios' median is reported.
        wall = statistics.median(a[0] / b[0] for a, b in zip(mine, theirs))
        cpu = statistics.median(a[1] / b[1] for a, b in zip(mine, theirs))
        cores = [statistics.median(r[1] / r[0] for r in side) for side in (mine, theirs)]
        ow, fw = (statistics.median(r[0] for r in side) for side in (mine, theirs))
        orss, frss = (max(r[2] for r in side) for side in (mine, theirs))
        print(f"    {name:<20} {ow:8.2f}s {fw:10.2f}s {wall:10.3f} {cpu:9.3f} {cores[0]:10.2f} {cores[1]:12.2f} {orss:8.0f}M {frss:9.0f}M"
              f"   (rounds: {', '.join(f'{a[0] / b[0]:.3f}' for a, b in zip(mine, theirs))})")
    print("    (HLG, PQ: the ffmpeg CLI runs the exact tone-mapping chain `mediaorch plan` prints; the reply samples it into a LUT, section 16)")
    print("    (targets: wall ratio <= 0.95 on every kind, peak RSS <= 350 MB; ratios: median of each round's pair;")
    print("     cores: CPU seconds per wall second, of 2)")
    print()


if __name__ == "__main__":
    main()
