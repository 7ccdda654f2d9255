#!/usr/bin/env python3
"""make bench-proxy (and make bench, section 19): a reply made from a phone's proxy.

  after-last-byte  a 60 s streamable proxy (fragmented MP4, 720x1280, about 3 Mb/s) sent at a
                   camp's 4 Mb/s by deferred-length tus (scripts/arriving-check.py) to a running
                   `mediaorch watch`: seconds from its last acknowledged byte to its request's reply
                   being ready, with the reply rendered while the proxy arrives, and without
                   (--arriving-renders 0: today's path, the whole render after the last byte).
  picture          the reply made from the proxy against the reply made from the camera's
                   original, same template, captions burned in: SSIM and PSNR by ffmpeg, over every
                   picture and over the caption band alone, and the caption band of one picture of
                   each written side by side to bench-output/proxy/captions.png to look at.

The proxy is made with ffmpeg from a 60 s 1080x1920 16 Mb/s camera-like clip (camera-like noise,
speech-like sound), as the field page makes it with Mediabunny (720x1280, 3 Mb/s, key frames every
2 s, AAC, fragmented MP4); --proxy FILE uses another proxy (the one a browser made, say).
Prints a table and writes bench-output/proxy/report.json. Python 3.11 standard library, ffmpeg.
"""
import argparse
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench-output" / "proxy"
SPEECH = ("aevalsrc='0.25*sin(2*PI*180*t)*(0.55+0.45*sin(2*PI*2.7*t))"
          "+0.08*sin(2*PI*410*t)*(0.5+0.5*sin(2*PI*4.1*t))':s=48000")


def ffmpeg(*arguments):
    subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", *arguments], check=True)


def camera_clip(seconds):
    path = OUT / f"camera-{seconds}s.mp4"
    if not path.exists():
        ffmpeg("-f", "lavfi", "-i", f"testsrc2=s=1080x1920:r=30:d={seconds},noise=alls=14:allf=t+u",
               "-f", "lavfi", "-i", f"{SPEECH}:d={seconds}", "-c:v", "libx264", "-preset", "veryfast",
               "-b:v", "16M", "-maxrate", "16M", "-bufsize", "8M", "-c:a", "aac", "-b:a", "128k", "-shortest", str(path))
    return path


def proxy_of(camera):
    path = OUT / (camera.stem + "-proxy.mp4")
    if not path.exists():
        ffmpeg("-i", str(camera), "-vf", "scale=720:1280", "-c:v", "libx264", "-preset", "veryfast", "-b:v", "3M",
               "-maxrate", "3.5M", "-bufsize", "3M", "-g", "60", "-c:a", "aac", "-b:a", "128k",
               "-movflags", "frag_keyframe+empty_moov+default_base_moof", str(path))
    return path


def after_last_byte(binary, proxy, camera, rate_kbps):
    rows = {}
    for label, extra in (("rendered while arriving", []), ("rendered once whole (today)", ["--no-arriving"])):
        workspace = OUT / ("ws-arriving" if not extra else "ws-whole")
        shutil.rmtree(workspace, ignore_errors=True)
        run = subprocess.run([sys.executable, str(ROOT / "scripts" / "arriving-check.py"), binary, str(workspace), str(proxy), str(camera),
                              "--rate-kbps", str(rate_kbps), "--chunk-kb", "256", *extra], capture_output=True, text=True)
        try:
            report = json.loads(run.stdout)
        except json.JSONDecodeError:
            sys.exit(f"bench-proxy: arriving-check printed no report:\n{run.stderr[-3000:]}")
        if run.returncode != 0:
            sys.exit(f"bench-proxy: {label}: {report.get('failure')}")
        rows[label] = report
    return rows


def quality(reference, distorted, crop=None):
    """SSIM (All) and PSNR (average) of `distorted` against `reference`, every picture."""
    prefix = f"crop={crop}," if crop else ""
    graph = f"[0:v]{prefix}split[a0][a1];[1:v]{prefix}split[b0][b1];[a0][b0]ssim;[a1][b1]psnr"
    run = subprocess.run(["ffmpeg", "-hide_banner", "-i", str(distorted), "-i", str(reference), "-lavfi", graph, "-f", "null", "-"],
                         capture_output=True, text=True)
    ssim = re.search(r"SSIM Y:([\d.]+).*All:([\d.]+)", run.stderr)
    psnr = re.search(r"PSNR y:([\d.]+).*average:([\d.inf]+)", run.stderr)
    return {"ssim_y": float(ssim.group(1)), "ssim": float(ssim.group(2)), "psnr_y": float(psnr.group(1)),
            "psnr": float(psnr.group(2)) if psnr.group(2) != "inf" else 99.0}


def captioned_ticket(name, seconds):
    """A ticket with an English caption every 3 s, burned in, beside the clip."""
    fmt = lambda t: f"00:{int(t) // 60:02d}:{int(t) % 60:02d},{int(round(t % 1 * 1000)):03d}"
    cues = [f"{i + 1}\n{fmt(i * 3 + 0.2)} --> {fmt(i * 3 + 2.8)}\nThank you for speaking out\nabout the people in Kakuma.\n"
            for i in range(seconds // 3)]
    (OUT / "captions.en.srt").write_text("\n".join(cues))
    ticket = OUT / f"{name}.job.json"
    ticket.write_text(json.dumps({"speaker": {"consent": True}, "captions": [{"file": "captions.en.srt", "language": "en", "burn": True}]}))
    return ticket


def reply(binary, clip, name, seconds):
    out = OUT / f"reply-from-{name}"
    shutil.rmtree(out, ignore_errors=True)
    subprocess.run([binary, "process", str(clip), "--ticket", str(captioned_ticket(name, seconds)), "--out", str(out),
                    "--outputs", "reply,thumbnails"], check=True, capture_output=True)
    return out / "reply.mp4"


def picture(binary, camera, proxy, seconds):
    from_camera = reply(binary, camera, "original", seconds)
    from_proxy = reply(binary, proxy, "proxy", seconds)
    probe = json.loads(subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries", "stream=width,height",
                                       "-of", "json", str(from_camera)], capture_output=True, text=True, check=True).stdout)
    width, height = probe["streams"][0]["width"], probe["streams"][0]["height"]
    # The captions sit in the lower part of the picture: the band from 70 % to 90 % of its height.
    band = f"{width}:{height // 5}:0:{height * 7 // 10}"
    ffmpeg("-ss", "1.5", "-i", str(from_camera), "-ss", "1.5", "-i", str(from_proxy), "-filter_complex",
           f"[0:v]crop={band}[a];[1:v]crop={band}[b];[a][b]vstack", "-frames:v", "1", str(OUT / "captions.png"))
    return {"whole picture": quality(from_camera, from_proxy), "caption band": quality(from_camera, from_proxy, band),
            "reply_size": f"{width}x{height}"}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("binary")
    ap.add_argument("--seconds", type=int, default=60)
    ap.add_argument("--rate-kbps", type=int, default=4000)
    ap.add_argument("--proxy", help="a proxy made elsewhere (a browser's), of the same camera clip")
    ap.add_argument("--camera", help="the camera clip the proxy was made from")
    ap.add_argument("--picture-only", action="store_true", help="compare the pictures only (no service, no upload)")
    args = ap.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    camera = Path(args.camera) if args.camera else camera_clip(args.seconds)
    proxy = Path(args.proxy) if args.proxy else proxy_of(camera)
    print(f"bench-proxy: camera clip {camera.name} ({camera.stat().st_size / 1e6:.1f} MB), proxy {proxy.name} "
          f"({proxy.stat().st_size / 1e6:.1f} MB, {proxy.stat().st_size / camera.stat().st_size:.2f}x)", flush=True)

    timing = None if args.picture_only else after_last_byte(args.binary, proxy, camera, args.rate_kbps)
    if timing:
        print(f"\nafter the last byte: the {args.seconds} s proxy at {args.rate_kbps} kb/s")
        print(f"  {'':32} {'sent in':>9} {'ready after last byte':>22} {'reply render':>13}")
        for label, r in timing.items():
            print(f"  {label:32} {r['send_seconds']:8.1f}s {r['ready_after_last_byte_seconds']:21.2f}s "
                  f"{(r.get('stage_seconds') or {}).get('reply', 0):12.1f}s")
        arriving, whole = timing["rendered while arriving"], timing["rendered once whole (today)"]
        print(f"  ratio: {arriving['ready_after_last_byte_seconds'] / whole['ready_after_last_byte_seconds']:.2f}x of today's wait after the last byte")

    pictures = picture(args.binary, camera, proxy, args.seconds)
    print(f"\npicture: the reply from the proxy against the reply from the original ({pictures['reply_size']}, captions burned in)")
    for region in ("whole picture", "caption band"):
        q = pictures[region]
        print(f"  {region:14} SSIM {q['ssim']:.4f} (Y {q['ssim_y']:.4f})   PSNR {q['psnr']:.2f} dB (Y {q['psnr_y']:.2f})")
    print(f"  one picture's caption band, original's above the proxy's: {OUT / 'captions.png'}")
    (OUT / "report.json").write_text(json.dumps({"after_last_byte": timing, "picture": pictures}, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
