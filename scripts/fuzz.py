#!/usr/bin/env python3
"""make fuzz: damaged uploads through `mediaorch process`.

Mutates the real clips in ../shared/media/ and the sample media in SampleMedia/ (truncation,
bit flips in the header and in the bitstream, zeroed blocks, ISO-BMFF box sizes and table
fields made huge, tiny or off by some, repeated chunks, WebM/Matroska EBML sizes and vint
lengths damaged, odd picture sizes in the VP8 key frames and the containers, and pairs of these) and runs every case through `mediaorch process`. Each case
must end either as an X-compliant reply (checked independently with ffprobe) or as a clean
refusal (exit 1 or 2, one line on stderr naming the file and the reason, no reply.mp4, no
manifest.json, no hidden or partial files), never a signal, a hang or more than 1.5 GB of memory.

With --editors-cut every case is an editor's cut between two times instead (`--template bts-cut
--trim-start A --trim-end B`, the times a function of the case number): the smart cut's reader
and joiner, or the full re-encode it falls back to, on the same damaged files; one case in five
is the whole clip (`--template bts-cut` alone), the camera's packets copied or re-encoded. Exit 0
must then leave a bts.mp4 that ffprobe reads as one H.264/HEVC video track and that ffmpeg
decodes through, and a manifest saying how the cut was made (or, for a whole clip, what its
video is).

With --streamed every case is delivered in pieces while `mediaorch process --arriving-duration`
renders it as it grows (a proxy arriving over a camp's link, read through the growing-file
reader): the seeds are the clips remuxed as streams (fragmented MP4, WebM as they are), the
pieces and pauses a function of the case, and one case in eight stalls half way and one in
eight never says it is whole; the same outcomes are required (a stall is a clean refusal that
says the upload stopped growing).

Every case is a pure function of (--seed, case number, the seed clips), so a finding can be
rerun with --replay N; the damaged file of every finding is kept in fuzz-output/findings/.
Python 3.11 standard library only; ffprobe must be on PATH.
"""
import argparse
import json
import os
import random
import re
import signal
import struct
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEED_DIRS = [ROOT.parent / "shared" / "media", ROOT / "SampleMedia"]
SAMPLE_EXTENSIONS = {".mov", ".mp4"}
OUTPUT = ROOT / "fuzz-output"
CASES = OUTPUT / "cases"
FINDINGS = OUTPUT / "findings"
HEADER_REGION = 64 * 1024
MEMORY_LIMIT_KIB = 1536 * 1024          # 1.5 GiB
POLL_SECONDS = 0.05
PROGRESS_LINE = re.compile(r"^[A-Za-z][\w-]*: \d{1,3}% \(")   # ProgressDisplay's non-terminal lines


# --------------------------------------------------------------------------------------------
# Seeds
# --------------------------------------------------------------------------------------------

def seed_files(only=None, editors_cut=False):
    """Every file of ../shared/media except README.md, and SampleMedia's *.mov / *.mp4, sorted;
    for editors' cuts also three HEVC camera clips (see made_hevc_seeds), which --only can also
    name for replies (the HLG and PQ ones go through the reply's tone-mapping LUT, their peak
    read from the first picture)."""
    seeds = []
    shared, samples = SEED_DIRS
    if shared.is_dir():
        seeds += sorted(p for p in shared.iterdir() if p.is_file() and p.name != "README.md")
    if samples.is_dir():
        seeds += sorted(p for p in samples.iterdir() if p.is_file() and p.suffix.lower() in SAMPLE_EXTENSIONS)
    if editors_cut or (only or "").startswith("made_hevc"):
        seeds += made_hevc_seeds()
    if only:
        seeds = [p for p in seeds if p.name == only or p.stem == only]
        if not seeds:
            sys.exit(f"fuzz: no seed clip named {only!r}")
    if not seeds:
        sys.exit("fuzz: no seed clips found in ../shared/media or SampleMedia")
    return seeds


def made_hevc_seeds():
    """The shared clips' only HEVC one is 5 pictures long, too short for a cut, so the smart cut's
    HEVC path (hvcC record, parameter set ids, libx265's joins) gets seeds of its own: 4 s of HEVC
    with 1 s closed GOPs, B-frames and sound, made once with ffmpeg (single-threaded, so the same
    bytes every time) and kept in fuzz-output/seeds/: SDR Main, 10-bit HLG marked as Dolby
    Vision 8.4 the way an iPhone films, and 10-bit PQ with HDR10's mastering display and content
    light level messages, as a Samsung films HDR10+."""
    hlg = ["-pix_fmt", "yuv420p10le", "-color_primaries", "bt2020", "-color_trc", "arib-std-b67", "-colorspace", "bt2020nc"]
    pq = ["-pix_fmt", "yuv420p10le", "-color_primaries", "bt2020", "-color_trc", "smpte2084", "-colorspace", "bt2020nc"]
    hdr10 = ":hdr10=1:master-display=G(13250,34500)B(7500,3000)R(34000,16000)WP(15635,16450)L(10000000,50):max-cll=1000,400"
    return [made_hevc_seed("made_hevc_main_closed_gop.mp4", []),
            made_hevc_seed("made_hevc_hlg_dolby_vision.mp4", hlg, dolby_vision=True),
            made_hevc_seed("made_hevc_pq_hdr10.mp4", pq, x265=hdr10)]


def made_hevc_seed(name, video, dolby_vision=False, x265=""):
    path = OUTPUT / "seeds" / name
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(".making.mp4")
        subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-threads", "1",
                        "-f", "lavfi", "-i", "testsrc2=s=640x360:r=30:d=4", "-f", "lavfi", "-i", "sine=f=440:d=4",
                        "-c:v", "libx265", "-preset", "fast", "-tag:v", "hvc1", *video,
                        "-x265-params", "log-level=error:keyint=30:min-keyint=30:scenecut=0:open-gop=0:bframes=3:frame-threads=1:pools=none" + x265,
                        "-c:a", "aac", "-shortest", str(temporary)], check=True)
        if dolby_vision:
            subprocess.run([sys.executable, str(ROOT / "scripts" / "add-dolby-vision-record.py"), str(temporary)], check=True)
        os.replace(temporary, path)
    return path


def streamed_seeds(seeds):
    """Each seed as a stream a phone or browser sends while making it: MP4/MOV/3GP remuxed as
    fragmented MP4 (the camera's packets untouched), WebM/Matroska as they are; made once with
    ffmpeg into fuzz-output/seeds/streamed/. A seed ffmpeg cannot remux is left out."""
    made = []
    for seed in seeds:
        if seed.suffix.lower() in (".webm", ".mkv"):
            made.append(seed)
            continue
        path = OUTPUT / "seeds" / "streamed" / (seed.stem + ".mp4")
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            temporary = path.with_name(".making.mp4")
            done = subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-i", str(seed), "-map", "0:v:0", "-map", "0:a:0?",
                                   "-c", "copy", "-movflags", "frag_keyframe+empty_moov+default_base_moof", str(temporary)], capture_output=True)
            if done.returncode != 0:
                temporary.unlink(missing_ok=True)
                continue
            os.replace(temporary, path)
        made.append(path)
    return made


def declared_duration(path):
    """The seed's video length as a phone would declare it (ffprobe, by its packets)."""
    out = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries", "packet=pts_time,duration_time",
                          "-of", "csv=p=0", str(path)], capture_output=True, text=True).stdout
    end, start = 0.0, None
    for line in out.splitlines():
        parts = [p for p in line.split(",") if p and p != "N/A"]
        try:
            pts = float(parts[0]); duration = float(parts[1]) if len(parts) > 1 else 0.0
        except (ValueError, IndexError):
            continue
        start = pts if start is None else min(start, pts)
        end = max(end, pts + duration)
    return max(0.1, min(600.0, end - (start or 0.0)))


class Feed(threading.Thread):
    """Writes a case's bytes into place piece by piece, as an upload arrives: pieces of 2 to 96 KiB
    with pauses of 0 to 15 ms, fsynced, then FILE.length, unless the case stalls half way or never
    tells its length."""
    def __init__(self, path, data, rng):
        super().__init__(daemon=True)
        self.path, self.data, self.rng = path, data, rng
        kind = rng.randrange(8)
        self.ending = "stall" if kind == 0 else "untold" if kind == 1 else "told"
        self.stop_at = len(data) // 2 if self.ending == "stall" else len(data)

    def run(self):
        with open(self.path, "wb") as f:
            at = 0
            while at < self.stop_at and not _stopping.is_set():
                end = min(self.stop_at, at + self.rng.randrange(2048, 96 * 1024))
                f.write(self.data[at:end]); f.flush(); os.fsync(f.fileno())
                at = end
                time.sleep(self.rng.randrange(16) / 1000)
        if self.ending == "told":
            Path(str(self.path) + ".length").write_text(str(len(self.data)))


def relative(path):
    try:
        return os.path.relpath(path, ROOT)
    except ValueError:
        return str(path)


# --------------------------------------------------------------------------------------------
# ISO-BMFF (MP4 / MOV / 3GP) box tree
# --------------------------------------------------------------------------------------------

ISO_CONTAINERS = {"moov", "trak", "mdia", "minf", "stbl", "dinf", "edts", "udta", "mvex", "moof",
                  "traf", "mfra", "tref", "gmhd", "sinf", "schi", "ipro", "wave", "clip", "matt"}
ISO_TOP_LEVEL = {"ftyp", "moov", "mdat", "free", "skip", "wide", "uuid", "pnot", "pdin", "moof", "meta"}
VISUAL_ENTRIES = {"avc1", "avc3", "hvc1", "hev1", "dvh1", "dvhe", "mp4v", "s263", "h263", "vp08",
                  "vp09", "av01", "encv", "jpeg", "mjpa", "apcn", "apch", "apcs", "apco", "ap4h"}
AUDIO_ENTRIES = {"mp4a", "samr", "sawb", "Opus", "ac-3", "ec-3", "alac", "lpcm", "sowt", "twos",
                 "enca", "ulaw", "alaw", "fLaC"}
MAX_BOXES = 5000
MAX_DEPTH = 16


@dataclass
class Box:
    off: int            # first byte of the box
    hdr: int            # header length (8, or 16 with a 64-bit largesize)
    size: int           # size as declared (0 resolved to "to the end of the parent")
    end: int            # end, clipped to the parent / the file
    type: str
    path: str
    size_off: int       # where the size field is (off, or off + 8 for a largesize)
    size_len: int       # 4 or 8
    parent: int         # index of the parent in the list, -1 at the top
    depth: int
    entry_kind: str = ""   # "visual" / "audio" for stsd sample entries


def u16(d, o): return struct.unpack_from(">H", d, o)[0]
def u32(d, o): return struct.unpack_from(">I", d, o)[0]
def u64(d, o): return struct.unpack_from(">Q", d, o)[0]


def box_type(raw):
    if all(0x20 <= b <= 0x7E or b == 0xA9 for b in raw):
        return raw.decode("latin-1")
    return None


def looks_iso(data):
    return len(data) >= 8 and box_type(data[4:8]) in ISO_TOP_LEVEL


def parse_iso(data):
    """The box tree as a flat list (parents before children). Never raises on damaged input."""
    boxes = []
    _parse_iso_level(data, 0, len(data), "", -1, 0, boxes)
    return boxes


def _parse_iso_level(data, start, end, prefix, parent, depth, boxes, entry_kinds=None):
    pos, seen = start, {}
    while pos + 8 <= end and len(boxes) < MAX_BOXES:
        size, typ = u32(data, pos), box_type(data[pos + 4:pos + 8])
        if typ is None:
            return
        hdr, size_off, size_len = 8, pos, 4
        if size == 1:
            if pos + 16 > end:
                return
            size, hdr, size_off, size_len = u64(data, pos + 8), 16, pos + 8, 8
        elif size == 0:
            size = end - pos
        if size < hdr:
            return
        box_end = min(pos + size, end)
        n = seen.get(typ, 0)
        seen[typ] = n + 1
        path = f"{prefix}/{typ}" if prefix else typ
        if n:
            path += f"[{n}]"
        kind = ""
        if entry_kinds is not None:
            kind = "visual" if typ in VISUAL_ENTRIES else "audio" if typ in AUDIO_ENTRIES else ""
        boxes.append(Box(pos, hdr, size, box_end, typ, path, size_off, size_len, parent, depth, kind))
        me = len(boxes) - 1
        if depth < MAX_DEPTH:
            body = pos + hdr
            if typ in ISO_CONTAINERS:
                _parse_iso_level(data, body, box_end, path, me, depth + 1, boxes)
            elif typ == "meta" and body + 4 <= box_end:
                # ISO meta is a full box (version/flags first); QuickTime's is a plain container.
                skip = 4 if u32(data, body) == 0 else 0
                _parse_iso_level(data, body + skip, box_end, path, me, depth + 1, boxes)
            elif typ in ("stsd", "dref"):
                _parse_iso_level(data, body + 8, box_end, path, me, depth + 1, boxes,
                                 entry_kinds=True if typ == "stsd" else None)
            elif kind == "visual":
                _parse_iso_level(data, pos + 86, box_end, path, me, depth + 1, boxes)
            elif kind == "audio" and pos + 18 <= box_end:
                version = u16(data, pos + 16)
                extra = {1: 16, 2: 36}.get(version, 0)
                _parse_iso_level(data, pos + 36 + extra, box_end, path, me, depth + 1, boxes)
        if pos + size > end:
            return
        pos += size


def iso_fields(data, box):
    """The numeric fields of a box worth damaging: [(name, offset, width)]."""
    p, t, end = box.off + box.hdr, box.type, box.end
    if p >= end:
        return []
    v = data[p]
    fields = []
    if t == "stsz":
        fields = [("sample_size", p + 4, 4), ("sample_count", p + 8, 4)]
    elif t == "stz2":
        fields = [("sample_count", p + 8, 4)]
    elif t in ("stco", "co64", "stts", "stsc", "stss", "ctts", "elst", "stsd", "dref"):
        fields = [("entry_count", p + 4, 4)]
    elif t in ("sgpd", "sbgp"):
        fields = [("entry_count", p + (12 if v >= 1 else 8), 4)]   # after grouping_type (and its v1 extra)
    elif t in ("mvhd", "mdhd"):
        fields = ([("timescale", p + 20, 4), ("duration", p + 24, 8)] if v == 1
                  else [("timescale", p + 12, 4), ("duration", p + 16, 4)])
    elif t == "tkhd":
        m = p + 52 if v == 1 else p + 40          # the display matrix; a and b carry the rotation
        fields = [("duration", p + 28, 8) if v == 1 else ("duration", p + 20, 4),
                  ("matrix.a", m, 4), ("matrix.b", m + 4, 4), ("width", m + 36, 4), ("height", m + 40, 4)]
    elif t == "hdlr":
        fields = [("handler_type", p + 8, 4)]
    elif box.entry_kind == "visual":
        fields = [("width", box.off + 32, 2), ("height", box.off + 34, 2)]
    elif box.entry_kind == "audio":
        fields = [("channelcount", box.off + 24, 2), ("samplesize", box.off + 26, 2), ("samplerate", box.off + 32, 4)]
    return [f for f in fields if f[1] + f[2] <= end]


# --------------------------------------------------------------------------------------------
# EBML (WebM / Matroska) element tree
# --------------------------------------------------------------------------------------------

EBML_NAMES = {
    0x1A45DFA3: "EBML", 0x4286: "EBMLVersion", 0x4282: "DocType", 0x18538067: "Segment",
    0x114D9B74: "SeekHead", 0x4DBB: "Seek", 0x53AB: "SeekID", 0x53AC: "SeekPosition",
    0x1549A966: "Info", 0x2AD7B1: "TimestampScale", 0x4489: "Duration", 0x4D80: "MuxingApp",
    0x5741: "WritingApp", 0x1654AE6B: "Tracks", 0xAE: "TrackEntry", 0xD7: "TrackNumber",
    0x73C5: "TrackUID", 0x83: "TrackType", 0x86: "CodecID", 0x63A2: "CodecPrivate",
    0x23E383: "DefaultDuration", 0xE0: "Video", 0xB0: "PixelWidth", 0xBA: "PixelHeight",
    0x55B0: "Colour", 0xE1: "Audio", 0xB5: "SamplingFrequency", 0x9F: "Channels",
    0x6264: "BitDepth", 0x1F43B675: "Cluster", 0xE7: "Timestamp", 0xA3: "SimpleBlock",
    0xA0: "BlockGroup", 0xA1: "Block", 0x1C53BB6B: "Cues", 0xBB: "CuePoint", 0xB7: "CueTrackPositions",
    0x1254C367: "Tags", 0x7373: "Tag", 0x63C0: "Targets", 0x67C8: "SimpleTag", 0x1043A770: "Chapters",
    0x1941A469: "Attachments", 0x6D80: "ContentEncodings", 0x6240: "ContentEncoding", 0xEC: "Void",
}
EBML_MASTERS = {0x1A45DFA3, 0x18538067, 0x114D9B74, 0x4DBB, 0x1549A966, 0x1654AE6B, 0xAE, 0xE0,
                0x55B0, 0xE1, 0x1F43B675, 0xA0, 0x1C53BB6B, 0xBB, 0xB7, 0x1254C367, 0x7373, 0x63C0,
                0x67C8, 0x1043A770, 0x6D80, 0x6240}
EBML_LEVEL1 = {0x114D9B74, 0x1549A966, 0x1654AE6B, 0x1F43B675, 0x1C53BB6B, 0x1254C367, 0x1043A770, 0x1941A469}
EBML_UINTS = {0x4286, 0x2AD7B1, 0xD7, 0x83, 0x23E383, 0xB0, 0xBA, 0x9F, 0x6264, 0xE7, 0x53AC}
EBML_FLOATS = {0x4489, 0xB5}


@dataclass
class Element:
    off: int
    id: int
    id_len: int
    size_len: int
    size: int           # declared size (-1: unknown)
    end: int            # end of the element, clipped
    path: str
    parent: int
    depth: int

    @property
    def name(self):
        return EBML_NAMES.get(self.id, f"0x{self.id:X}")

    @property
    def body(self):
        return self.off + self.id_len + self.size_len


def read_vint(data, pos, end):
    """(length, value, all-ones) of the EBML variable-length integer at pos, or None."""
    if pos >= end or data[pos] == 0:
        return None
    first = data[pos]
    n = 9 - first.bit_length()
    if pos + n > end:
        return None
    value = first & ((1 << (8 - n)) - 1)
    for b in data[pos + 1:pos + n]:
        value = (value << 8) | b
    return n, value, value == (1 << (7 * n)) - 1


def looks_ebml(data):
    return data[:4] == b"\x1a\x45\xdf\xa3"


def parse_ebml(data):
    elements = []
    _parse_ebml_level(data, 0, len(data), "", -1, 0, False, elements)
    return elements


def _parse_ebml_level(data, start, end, prefix, parent, depth, stop_at_level1, elements):
    """Parses elements in [start, end); returns where it stopped (the end of an unknown-size parent)."""
    pos, seen = start, {}
    while pos < end and len(elements) < MAX_BOXES:
        idv = read_vint(data, pos, end)
        if idv is None or idv[0] > 4:
            return pos
        id_len = idv[0]
        eid = int.from_bytes(data[pos:pos + id_len], "big")
        if stop_at_level1 and eid in EBML_LEVEL1:
            return pos
        sz = read_vint(data, pos + id_len, end)
        if sz is None:
            return pos
        size_len, size, unknown = sz
        body = pos + id_len + size_len
        el_end = end if unknown else body + size
        name = EBML_NAMES.get(eid, f"0x{eid:X}")
        n = seen.get(eid, 0)
        seen[eid] = n + 1
        path = (f"{prefix}/{name}" if prefix else name) + (f"[{n}]" if n else "")
        elements.append(Element(pos, eid, id_len, size_len, -1 if unknown else size, min(el_end, end), path, parent, depth))
        me = len(elements) - 1
        if eid in EBML_MASTERS and depth < MAX_DEPTH:
            stopped = _parse_ebml_level(data, body, min(el_end, end), path, me, depth + 1,
                                        unknown and eid != 0x18538067, elements)
            if unknown:
                el_end = stopped
                elements[me].end = stopped
        if el_end > end or el_end <= pos:
            return end if el_end > end else pos
        pos = el_end
    return pos


# --------------------------------------------------------------------------------------------
# Mutations: each takes (data: bytearray, rng, fmt) and returns a description, or None when it
# does not apply to this file (the caller then picks another).
# --------------------------------------------------------------------------------------------

def hexoff(o):
    return f"@0x{o:X}"


def structure(data, fmt):
    if fmt == "iso":
        return parse_iso(data)
    if fmt == "ebml":
        return parse_ebml(data)
    return []


def find_first(nodes, name):
    for n in nodes:
        if (n.type if isinstance(n, Box) else n.name) == name:
            return n
    return None


def header_region(data, fmt, rng):
    """(start, end, label) of the header: the first 64 KiB, or the moov box / the Tracks element."""
    nodes = structure(data, fmt)
    inner = find_first(nodes, "moov" if fmt == "iso" else "Tracks") if fmt in ("iso", "ebml") else None
    if inner is not None and inner.end > inner.off + 8 and rng.random() < 0.5:
        return inner.off, inner.end, ("moov" if fmt == "iso" else "Tracks")
    return 0, min(len(data), HEADER_REGION), "first 64 KiB"


def stream_region(data, fmt, rng):
    """(start, end, label) of the bitstream: an mdat payload / a Cluster, else past the header."""
    nodes = structure(data, fmt)
    if fmt == "iso":
        mdats = [b for b in nodes if b.type == "mdat" and b.end > b.off + b.hdr + 16]
        if mdats:
            m = rng.choice(mdats)
            return m.off + m.hdr, m.end, "mdat"
    elif fmt == "ebml":
        clusters = [e for e in nodes if e.id == 0x1F43B675 and e.end > e.body + 16]
        if clusters:
            c = rng.choice(clusters)
            return c.body, c.end, f"{c.path}"
    start = min(HEADER_REGION, len(data) // 2)
    return start, len(data), "after the header"


def flip_bits(data, rng, start, end, count):
    flips = []
    for _ in range(count):
        o = rng.randrange(start, end)
        bit = rng.randrange(8)
        data[o] ^= 1 << bit
        flips.append(f"0x{o:X}.{bit}")
    return flips


def m_truncate(data, rng, fmt):
    if len(data) < 2:
        return None
    size = len(data)
    cut = rng.randrange(1, size)
    del data[cut:]
    return f"truncate to {cut} of {size} bytes"


def m_truncate_structure(data, rng, fmt):
    nodes = structure(data, fmt)
    if not nodes:
        return None
    n = rng.choice(nodes)
    label = n.path
    hdr = n.hdr if isinstance(n, Box) else (n.id_len + n.size_len)
    where = rng.choice(["start", "in header", "after header", "middle", "end - 1", "end"])
    cut = {"start": n.off, "in header": n.off + rng.randrange(1, hdr), "after header": n.off + hdr,
           "middle": (n.off + hdr + n.end) // 2, "end - 1": n.end - 1, "end": n.end}[where]
    if not 1 <= cut < len(data):
        return None
    del data[cut:]
    return f"truncate at {cut} ({where} of {label})"


def m_bitflip_header(data, rng, fmt):
    start, end, label = header_region(data, fmt, rng)
    if end <= start:
        return None
    count = rng.choice([1, 1, 1, 2, 2, 3, 4, 8])
    flips = flip_bits(data, rng, start, end, count)
    return f"flip {count} bit(s) in {label}: {' '.join(flips)}"


def m_bitflip_stream(data, rng, fmt):
    start, end, label = stream_region(data, fmt, rng)
    if end <= start:
        return None
    count = rng.choice([1, 2, 4, 8, 16, 32, 64])
    if rng.random() < 0.3:
        # a burst: consecutive random bytes, as a bad sector or a broken upload would leave
        o = rng.randrange(start, end)
        length = min(end - o, rng.choice([4, 16, 64, 256]))
        data[o:o + length] = bytes(rng.randrange(256) for _ in range(length))
        return f"random burst of {length} bytes {hexoff(o)} in {label}"
    flips = flip_bits(data, rng, start, end, count)
    shown = " ".join(flips[:6]) + (" ..." if len(flips) > 6 else "")
    return f"flip {count} bit(s) in {label}: {shown}"


def m_zero_block(data, rng, fmt):
    if not data:
        return None
    length = rng.choice([rng.randrange(1, 17), rng.randrange(16, 513), rng.randrange(512, 4097),
                         rng.randrange(4096, 65537)])
    nodes = structure(data, fmt)
    pick = rng.random()
    if nodes and pick < 0.4:
        n = rng.choice(nodes)
        body = n.off + (n.hdr if isinstance(n, Box) else n.id_len + n.size_len)
        start, end, label = body, max(body, n.end), f"the payload of {n.path}"
        if end <= start:
            start, end, label = n.off, n.end, n.path
    elif pick < 0.6:
        start, end, label = 0, min(len(data), HEADER_REGION), "the first 64 KiB"
    else:
        start, end, label = 0, len(data), "the file"
    if end <= start:
        return None
    o = rng.randrange(start, end)
    length = min(length, end - o)
    data[o:o + length] = bytes(length)
    return f"zero {length} bytes {hexoff(o)} in {label}"


def m_repeat_chunk(data, rng, fmt):
    if len(data) < 2:
        return None
    o = rng.randrange(0, len(data) - 1)
    length = min(len(data) - o, rng.choice([rng.randrange(1, 65), rng.randrange(64, 4097), rng.randrange(4096, 131073)]))
    times = rng.choice([1, 1, 1, 2, 3])
    chunk = bytes(data[o:o + length])
    data[o + length:o + length] = chunk * times
    return f"repeat {length} bytes {hexoff(o)} {times} more time(s) in place"


def pick_value(rng, orig, width):
    top = (1 << (8 * width)) - 1
    k = rng.randrange(1, 17)
    choices = [("0", 0), ("1", 1), ("max", top), ("max signed", top >> 1),
               (f"+{k}", orig + k), (f"-{k}", orig - k), ("x2", orig * 2), ("/2", orig // 2)]
    if width >= 4:
        choices += [("0xFFFFFFFF", 0xFFFFFFFF), ("0x7FFFFFFF", 0x7FFFFFFF), ("0x80000000", 0x80000000),
                    ("0x10000000", 0x10000000), ("+0x10000", orig + 0x10000)]
    label, value = rng.choice(choices)
    return label, value & top


def m_box_size(data, rng, fmt):
    if fmt != "iso":
        return None
    boxes = parse_iso(data)
    if not boxes:
        return None
    # favour the boxes a demuxer trusts most: moov and its tables, mdat
    weighted = [b for b in boxes for _ in range(3 if b.type in ("moov", "trak", "stbl", "stsd", "mdat", "stsz", "stco", "co64") else 1)]
    b = rng.choice(weighted)
    orig = u32(data, b.size_off) if b.size_len == 4 else u64(data, b.size_off)
    k = rng.randrange(1, 65)
    if b.size_len == 8:
        options = [("0", 0), ("max", 2**64 - 1), ("2^63", 2**63), ("0xFFFFFFFF", 0xFFFFFFFF),
                   (f"+{k}", orig + k), (f"-{k}", orig - k), ("x2", orig * 2)]
        top = 2**64 - 1
    else:
        options = [("0 (to the end)", 0), ("1 (largesize follows)", 1), ("7", 7), ("8", 8),
                   ("0xFFFFFFFF", 0xFFFFFFFF), ("0x7FFFFFFF", 0x7FFFFFFF), (f"+{k}", orig + k),
                   (f"-{k}", orig - k), ("x2", orig * 2), ("/2", orig // 2),
                   ("past the end of file", len(data) - b.off + k)]
        top = 0xFFFFFFFF
    label, value = rng.choice(options)
    value &= top
    struct.pack_into(">Q" if b.size_len == 8 else ">I", data, b.size_off, value)
    return f"box size of {b.path} {hexoff(b.off)}: {orig} -> {value} ({label})"


def m_table_field(data, rng, fmt):
    if fmt != "iso":
        return None
    candidates = [(b, f) for b in parse_iso(data) for f in iso_fields(data, b)]
    if not candidates:
        return None
    b, (name, off, width) = rng.choice(candidates)
    if name == "handler_type":
        orig = bytes(data[off:off + 4])
        new = rng.choice([b"vide", b"soun", b"meta", b"text", b"tmcd", b"\0\0\0\0",
                          bytes(rng.randrange(0x61, 0x7B) for _ in range(4))])
        data[off:off + 4] = new
        return f"{b.path}.handler_type {hexoff(off)}: {orig!r} -> {new!r}"
    orig = int.from_bytes(data[off:off + width], "big")
    label, value = pick_value(rng, orig, width)
    data[off:off + width] = value.to_bytes(width, "big")
    return f"{b.path}.{name} {hexoff(off)}: {orig} -> {value} ({label})"


def fix_iso_ancestors(data, boxes, b, delta):
    """Grows every ancestor of b by delta bytes so the tree still parses around an inserted copy."""
    p = b.parent
    while p >= 0:
        a = boxes[p]
        if a.size_len == 8:
            struct.pack_into(">Q", data, a.size_off, u64(data, a.size_off) + delta)
        elif u32(data, a.size_off) not in (0, 1) and u32(data, a.size_off) + delta <= 0xFFFFFFFF:
            struct.pack_into(">I", data, a.size_off, u32(data, a.size_off) + delta)
        p = a.parent


def m_repeat_structure(data, rng, fmt):
    """A whole box / element duplicated in place, with its ancestors' sizes fixed half the time."""
    nodes = structure(data, fmt)
    nodes = [n for n in nodes if n.end - n.off <= 4 * 1024 * 1024 and n.end > n.off]
    if not nodes:
        return None
    n = rng.choice(nodes)
    chunk = bytes(data[n.off:n.end])
    fix = rng.random() < 0.5
    if fix and fmt == "iso":
        fix_iso_ancestors(data, parse_iso(data), n, len(chunk))
    elif fix and fmt == "ebml":
        fix = fix_ebml_ancestors(data, parse_ebml(data), n, len(chunk))
    data[n.end:n.end] = chunk
    return f"repeat {n.path} {hexoff(n.off)} ({len(chunk)} bytes) in place" + (", parent sizes fixed" if fix else "")


def write_vint(data, pos, length, value):
    raw = ((1 << (7 * length)) | value).to_bytes(length, "big") if length < 8 else \
        (b"\x01" + value.to_bytes(7, "big"))
    data[pos:pos + length] = raw


def fix_ebml_ancestors(data, elements, e, delta):
    fixed = False
    p = e.parent
    while p >= 0:
        a = elements[p]
        if a.size >= 0 and a.size + delta < (1 << (7 * a.size_len)) - 1:
            write_vint(data, a.off + a.id_len, a.size_len, a.size + delta)
            fixed = True
        p = a.parent
    return fixed


def m_ebml_size(data, rng, fmt):
    if fmt != "ebml":
        return None
    elements = parse_ebml(data)
    if not elements:
        return None
    weighted = [e for e in elements for _ in range(4 if e.id in EBML_MASTERS or e.id == 0x63A2 else 1)]
    e = rng.choice(weighted)
    n = e.size_len
    pos = e.off + e.id_len
    top = (1 << (7 * n)) - 1
    orig = e.size
    k = rng.randrange(1, 65)
    base = max(orig, 0)
    options = [("unknown size (all ones)", top), ("largest known size", top - 1), ("0", 0), ("1", 1),
               (f"+{k}", base + k), (f"-{k}", max(base - k, 0)), ("x2", base * 2), ("past the end of file", len(data) - e.body + k)]
    label, value = rng.choice(options)
    value = min(value, top)
    write_vint(data, pos, n, value)
    return f"EBML size of {e.path} {hexoff(e.off)}: {'unknown' if orig < 0 else orig} -> {value} ({label})"


def m_ebml_vint_length(data, rng, fmt):
    """Damages the length marker of a size vint, so the reader takes too few or too many bytes."""
    if fmt != "ebml":
        return None
    elements = parse_ebml(data)
    if not elements:
        return None
    e = rng.choice(elements)
    pos = e.off + e.id_len
    orig = data[pos]
    n = e.size_len
    choice = rng.choice(["invalid (0x00)", "8 bytes (0x01)", "1 byte", "longer", "shorter"])
    if choice == "invalid (0x00)":
        new = 0x00
    elif choice == "8 bytes (0x01)":
        new = 0x01
    elif choice == "1 byte":
        new = 0x80 | (orig & 0x7F)
    elif choice == "longer":
        m = min(8, n + rng.randrange(1, 4))
        new = 1 << (8 - m)
    else:
        m = max(1, n - rng.randrange(1, 4))
        new = (1 << (8 - m)) | (orig & ((1 << (8 - m)) - 1))
    data[pos] = new
    return f"EBML size vint of {e.path} {hexoff(e.off)}: first byte 0x{orig:02X} -> 0x{new:02X} ({choice})"


def m_ebml_value(data, rng, fmt):
    """A numeric element (width, height, channels, timestamp scale, sampling rate) made absurd."""
    if fmt != "ebml":
        return None
    elements = [e for e in parse_ebml(data) if (e.id in EBML_UINTS or e.id in EBML_FLOATS)
                and 1 <= e.size <= 8 and e.body + e.size <= len(data)]
    if not elements:
        return None
    e = rng.choice(elements)
    body, size = e.body, e.size
    if e.id in EBML_FLOATS and size in (4, 8):
        fmt_ = ">f" if size == 4 else ">d"
        orig = struct.unpack_from(fmt_, data, body)[0]
        label, value = rng.choice([("0", 0.0), ("NaN", float("nan")), ("inf", float("inf")),
                                   ("-1", -1.0), ("1e30", 1e30), ("1e-30", 1e-30)])
        struct.pack_into(fmt_, data, body, value)
        return f"{e.path} {hexoff(e.off)}: {orig:g} -> {label}"
    orig = int.from_bytes(data[body:body + size], "big")
    label, value = pick_value(rng, orig, size)
    data[body:body + size] = value.to_bytes(size, "big")
    return f"{e.path} {hexoff(e.off)}: {orig} -> {value} ({label})"


def odd_near(rng, orig, top):
    """An odd size near `orig` (a pixel or a few off), or an odd one anywhere up to `top`."""
    if orig > 2 and rng.random() < 0.7:
        value = orig + rng.choice([-3, -1, 1, 3])
    else:
        value = rng.randrange(1, top, 2)
    value |= 1
    return max(1, min(value, top if top % 2 else top - 1))


def m_odd_size(data, rng, fmt):
    """Odd picture sizes, as screen recordings, cropped exports and old phones write them: in the
    sequence headers (every VP8 key frame's own width and height) and, consistently or not, in the
    container (Matroska PixelWidth/PixelHeight; MP4 sample entry and track header)."""
    changed = []
    if fmt == "ebml":
        starts = [m.start() for m in re.finditer(re.escape(b"\x9d\x01\x2a"), bytes(data))
                  if m.start() >= 3 and data[m.start() - 3] & 1 == 0]   # a key frame's tag, then its start code
        if not starts:
            return None
        first = starts[0] + 3
        ow, oh = int.from_bytes(data[first:first + 2], "little") & 0x3FFF, int.from_bytes(data[first + 2:first + 4], "little") & 0x3FFF
        nw = odd_near(rng, ow, 0x3FFF) if rng.random() < 0.8 else ow
        nh = odd_near(rng, oh, 0x3FFF) if nw == ow or rng.random() < 0.6 else oh
        for start in starts:
            at = start + 3
            for value, off in ((nw, at), (nh, at + 2)):
                scale = int.from_bytes(data[off:off + 2], "little") & 0xC000
                data[off:off + 2] = (scale | value).to_bytes(2, "little")
        changed.append(f"{len(starts)} VP8 key frame(s) {ow}x{oh} -> {nw}x{nh}")
        if rng.random() < 0.5:
            for e in parse_ebml(data):
                if e.id in (0xB0, 0xBA) and 1 <= e.size <= 4 and e.body + e.size <= len(data):
                    value = (nw if e.id == 0xB0 else nh) & ((1 << (8 * e.size)) - 1)
                    data[e.body:e.body + e.size] = value.to_bytes(e.size, "big")
            changed.append("PixelWidth/PixelHeight to match")
        return "odd size: " + ", ".join(changed)
    if fmt == "iso":
        boxes = parse_iso(data)
        entries = [b for b in boxes if b.entry_kind == "visual" and b.off + 36 <= b.end]
        if not entries:
            return None
        e = rng.choice(entries)
        ow, oh = int.from_bytes(data[e.off + 32:e.off + 34], "big"), int.from_bytes(data[e.off + 34:e.off + 36], "big")
        nw, nh = odd_near(rng, ow, 0xFFFF), odd_near(rng, oh, 0xFFFF)
        data[e.off + 32:e.off + 36] = nw.to_bytes(2, "big") + nh.to_bytes(2, "big")
        changed.append(f"{e.path} {ow}x{oh} -> {nw}x{nh}")
        if rng.random() < 0.5:
            for t in (b for b in boxes if b.type == "tkhd"):
                fields = dict((name, off) for name, off, _ in iso_fields(data, t))
                if "width" in fields and "height" in fields and int.from_bytes(data[fields["width"]:fields["width"] + 4], "big"):
                    data[fields["width"]:fields["width"] + 4] = (nw << 16).to_bytes(4, "big")
                    data[fields["height"]:fields["height"] + 4] = (nh << 16).to_bytes(4, "big")
            changed.append("track header to match")
        return "odd size: " + ", ".join(changed)
    return None


MUTATIONS = {
    # name: (function, weight, formats it applies to; None = any)
    "truncate": (m_truncate, 3, None),
    "truncate-boundary": (m_truncate_structure, 3, ("iso", "ebml")),
    "flip-header": (m_bitflip_header, 4, None),
    "flip-stream": (m_bitflip_stream, 3, None),
    "zero-block": (m_zero_block, 3, None),
    "repeat-chunk": (m_repeat_chunk, 2, None),
    "repeat-box": (m_repeat_structure, 2, ("iso", "ebml")),
    "box-size": (m_box_size, 4, ("iso",)),
    "table-field": (m_table_field, 5, ("iso",)),
    "ebml-size": (m_ebml_size, 4, ("ebml",)),
    "ebml-vint-length": (m_ebml_vint_length, 3, ("ebml",)),
    "ebml-value": (m_ebml_value, 3, ("ebml",)),
    "odd-size": (m_odd_size, 3, ("iso", "ebml")),
}


def file_format(data):
    return "iso" if looks_iso(data) else "ebml" if looks_ebml(data) else "other"


@dataclass
class Case:
    number: int
    seed: Path
    data: bytes
    mutations: list          # [(name, description)]

    @property
    def description(self):
        return " + ".join(f"{n}: {d}" for n, d in self.mutations)

    @property
    def kinds(self):
        return "+".join(n for n, _ in self.mutations)

    @property
    def filename(self):
        return f"{self.number:05d}-{self.seed.stem}{self.seed.suffix}"


def make_case(number, seeds, seed, allowed=None):
    """Case `number` under fuzz seed `seed`: the same inputs always give the same bytes."""
    rng = random.Random(f"mediaorch-fuzz/{seed}/{number}")
    clip = seeds[(number - 1) % len(seeds)]
    data = bytearray(clip.read_bytes())
    fmt = file_format(data)
    names = [n for n, (_, _, fmts) in MUTATIONS.items()
             if (fmts is None or fmt in fmts) and (allowed is None or n in allowed)]
    if not names:
        sys.exit(f"fuzz: no mutation in {sorted(allowed)} applies to {clip.name} ({fmt})")
    weights = [MUTATIONS[n][1] for n in names]
    count = 2 if rng.random() < 0.25 else 1
    applied = []
    for _ in range(count):
        for _attempt in range(20):
            name = rng.choices(names, weights)[0]
            description = MUTATIONS[name][0](data, rng, fmt)
            if description is not None:
                applied.append((name, description))
                break
    if not applied or bytes(data) == clip.read_bytes():
        # every pick was a no-op (tiny file or nothing to damage): fall back to a truncation
        if len(data) > 1:
            size = len(data)
            cut = rng.randrange(1, size)
            del data[cut:]
            applied.append(("truncate", f"truncate to {cut} of {size} bytes"))
    return Case(number, clip, bytes(data), applied)


# --------------------------------------------------------------------------------------------
# Running one case
# --------------------------------------------------------------------------------------------

_active = set()          # process-group ids of running children, for Ctrl-C
_active_lock = threading.Lock()
_stopping = threading.Event()   # set on Ctrl-C: cases killed by us are not results


def proc_children(pid):
    kids = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            try:
                with open(f"/proc/{pid}/task/{task}/children") as f:
                    kids += [int(x) for x in f.read().split()]
            except OSError:
                pass
    except OSError:
        pass
    return kids


def process_tree(pid):
    seen, todo = [], [pid]
    while todo:
        p = todo.pop()
        if p in seen:
            continue
        seen.append(p)
        todo += proc_children(p)
    return seen


def group_members(pgid):
    """Every live process whose process group is pgid (strays the tree walk can no longer see)."""
    members = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
            fields = stat[stat.rindex(")") + 2:].split()
            if int(fields[2]) == pgid and fields[0] != "Z":
                members.append(int(entry))
        except (OSError, ValueError, IndexError):
            pass
    return members


def start_time(pid):
    """The process's start time in clock ticks (tells a live process from a reused pid), or None."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            stat = f.read()
        fields = stat[stat.rindex(")") + 2:].split()
        return None if fields[0] == "Z" else int(fields[19])
    except (OSError, ValueError, IndexError):
        return None


def memory_kib(pid):
    """(VmHWM, VmRSS) of one process in KiB."""
    hwm = rss = 0
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    hwm = int(line.split()[1])
                elif line.startswith("VmRSS:"):
                    rss = int(line.split()[1])
    except (OSError, ValueError):
        pass
    return hwm, rss


def still_alive(seen):
    return [p for p, started in seen.items() if started is not None and start_time(p) == started]


def kill_tree(pid, pids):
    for p in pids:
        try:
            os.kill(p, signal.SIGKILL)
        except OSError:
            pass
    try:
        os.killpg(pid, signal.SIGKILL)
    except OSError:
        pass


@dataclass
class Run:
    status: int = 0          # raw wait status
    exit_code: int = None    # None when killed by a signal
    signal: int = None
    timed_out: bool = False
    over_memory: bool = False
    peak_kib: int = 0
    seconds: float = 0.0
    strays: list = field(default_factory=list)
    stdout: str = ""
    stderr: str = ""


def run_child(cmd, cwd, stdout_path, stderr_path, timeout, memory_limit_kib, address_space_kib):
    binary = Path(cmd[0]) if os.path.isabs(cmd[0]) else Path(cwd) / cmd[0]
    if address_space_kib:
        # RLIMIT_AS as a safety net against a runaway allocation, set by the shell that then
        # execs the binary (same pid), so no preexec_fn runs in this threaded parent.
        cmd = ["/bin/sh", "-c", 'ulimit -v "$0" && exec "$@"', str(address_space_kib)] + cmd
    run = Run()
    env = dict(os.environ)
    env.pop("MEDIAORCH_FUZZ", None)
    for attempt in range(120):
        # a rebuild replaces the binary: wait for it rather than count a missing binary as a crash
        if binary.is_file() and os.access(binary, os.X_OK):
            try:
                with open(stdout_path, "wb") as out, open(stderr_path, "wb") as err:
                    proc = subprocess.Popen(cmd, cwd=cwd, stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                                            start_new_session=True, env=env)
                break
            except OSError as e:      # ETXTBSY while the linker writes it
                if attempt == 119:
                    raise
        time.sleep(5)
    else:
        sys.exit(f"fuzz: {binary} did not come back within 10 minutes")
    pid = proc.pid
    with _active_lock:
        _active.add(pid)
    started = time.monotonic()
    peak_hwm = peak_sum = 0
    usage = None
    # Descendants seen while it ran: a render child started by Foundation's Process sits in a
    # process group of its own, so after the parent is gone only this list still finds it.
    seen = {}
    try:
        while True:
            done, status, usage = os.wait4(pid, os.WNOHANG)
            if done:
                break
            tree = process_tree(pid)
            total = 0
            for p in tree:
                if p != pid and p not in seen:
                    seen[p] = start_time(p)
                hwm, rss = memory_kib(p)
                peak_hwm = max(peak_hwm, hwm)
                total += rss
            peak_sum = max(peak_sum, total)
            if time.monotonic() - started > timeout:
                run.timed_out = True
            elif max(peak_hwm, peak_sum) > memory_limit_kib:
                run.over_memory = True
            if run.timed_out or run.over_memory:
                kill_tree(pid, tree + group_members(pid) + still_alive(seen))
                _, status, usage = os.wait4(pid, 0)
                break
            time.sleep(POLL_SECONDS)
    finally:
        proc.returncode = -1     # reaped by wait4 above; keep Popen from waiting again
        with _active_lock:
            _active.discard(pid)
    run.seconds = time.monotonic() - started
    run.status = status
    run.peak_kib = max(peak_hwm, peak_sum, usage.ru_maxrss if usage else 0)
    if run.peak_kib > memory_limit_kib:
        run.over_memory = True
    if os.WIFSIGNALED(status):
        run.signal = os.WTERMSIG(status)
    else:
        run.exit_code = os.WEXITSTATUS(status)
    strays = sorted(set(group_members(pid) + still_alive(seen)))
    if strays:
        run.strays = strays
        kill_tree(pid, strays)
    run.stdout = Path(stdout_path).read_text(errors="replace")
    run.stderr = Path(stderr_path).read_text(errors="replace")
    return run


# --------------------------------------------------------------------------------------------
# The oracle
# --------------------------------------------------------------------------------------------

def rate(text):
    try:
        num, _, den = (text or "0/0").partition("/")
        return float(num) / float(den or 1)
    except (ValueError, ZeroDivisionError):
        return 0.0


def top_level_boxes(path):
    types = []
    with open(path, "rb") as f:
        pos = 0
        size_total = os.path.getsize(path)
        while pos + 8 <= size_total and len(types) < 64:
            f.seek(pos)
            head = f.read(16)
            size, typ = u32(head, 0), head[4:8].decode("latin-1")
            if size == 1 and len(head) >= 16:
                size = u64(head, 8)
            elif size == 0:
                size = size_total - pos
            if size < 8:
                break
            types.append(typ)
            pos += size
    return types


def check_reply(path):
    """Problems that keep reply.mp4 from being an X video reply, per ffprobe (empty: compliant)."""
    problems = []
    size = path.stat().st_size
    if size > 512 * 1024 * 1024:
        problems.append(f"{size} bytes > 512 MB")
    try:
        probe = subprocess.run(["ffprobe", "-v", "error", "-show_format", "-show_streams", "-of", "json", str(path)],
                               capture_output=True, text=True, timeout=60)
    except subprocess.TimeoutExpired:
        return problems + ["ffprobe timed out"]
    if probe.returncode != 0:
        return problems + [f"ffprobe cannot read it: {probe.stderr.strip()[:200]}"]
    info = json.loads(probe.stdout or "{}")
    fmt = info.get("format", {})
    if not {"mp4", "mov"} & set(fmt.get("format_name", "").split(",")):
        problems.append(f"container {fmt.get('format_name')!r} is not MP4/MOV")
    try:
        duration = float(fmt.get("duration", "nan"))
    except ValueError:
        duration = float("nan")
    if not 0.5 <= duration <= 140:
        problems.append(f"duration {duration} s outside 0.5-140 s")
    streams = info.get("streams", [])
    videos = [s for s in streams if s.get("codec_type") == "video"]
    audios = [s for s in streams if s.get("codec_type") == "audio"]
    others = [s.get("codec_type") for s in streams if s.get("codec_type") not in ("video", "audio")]
    if len(videos) != 1:
        problems.append(f"{len(videos)} video streams")
    if not audios:
        problems.append("no audio stream")
    if others:
        problems.append(f"extra streams: {', '.join(map(str, others))}")
    for v in videos:
        if v.get("codec_name") != "h264":
            problems.append(f"video codec {v.get('codec_name')}")
        if v.get("profile") != "High":
            problems.append(f"H.264 profile {v.get('profile')!r}")
        if v.get("pix_fmt") != "yuv420p":
            problems.append(f"pix_fmt {v.get('pix_fmt')}")
        w, h = int(v.get("width", 0)), int(v.get("height", 0))
        if not w or not h or max(w, h) > 1280:
            problems.append(f"size {w}x{h}")
        fps = rate(v.get("avg_frame_rate")) or rate(v.get("r_frame_rate"))
        if not 0 < fps <= 60.01:
            problems.append(f"frame rate {fps:.3f}")
    for a in audios:
        if a.get("codec_name") != "aac" or a.get("profile") != "LC":
            problems.append(f"audio {a.get('codec_name')} {a.get('profile')!r}, not AAC-LC")
        if not 1 <= int(a.get("channels", 0)) <= 2:
            problems.append(f"{a.get('channels')} audio channels")
    boxes = top_level_boxes(path)
    if "moov" in boxes and "mdat" in boxes and boxes.index("moov") > boxes.index("mdat"):
        problems.append("moov after mdat (not faststart)")
    return problems


def check_bts(path):
    """Problems that keep bts.mp4 from being an editors' cut a player opens and plays through."""
    try:
        probe = subprocess.run(["ffprobe", "-v", "error", "-show_format", "-show_streams", "-of", "json", str(path)],
                               capture_output=True, text=True, timeout=60)
    except subprocess.TimeoutExpired:
        return ["ffprobe timed out"]
    if probe.returncode != 0:
        return [f"ffprobe cannot read it: {probe.stderr.strip()[:200]}"]
    info = json.loads(probe.stdout or "{}")
    videos = [s for s in info.get("streams", []) if s.get("codec_type") == "video"]
    problems = []
    if len(videos) != 1 or videos[0].get("codec_name") not in ("h264", "hevc"):
        problems.append(f"video streams: {[v.get('codec_name') for v in videos]}")
    try:
        if not float(info.get("format", {}).get("duration", "0")) > 0:
            problems.append("no duration")
    except ValueError:
        problems.append("no duration")
    try:
        played = subprocess.run(["ffmpeg", "-v", "error", "-i", str(path), "-f", "null", "-"], capture_output=True, text=True, timeout=300)
        if played.returncode != 0:
            problems.append(f"ffmpeg cannot play it through: {played.stderr.strip()[:200]}")
    except subprocess.TimeoutExpired:
        problems.append("ffmpeg timed out playing it")
    return problems


def cut_times(number):
    """The in and out points of case `number`'s editors' cut: within the first few seconds, as
    most seed clips are short; some past the end, which must be refused cleanly. One case in five
    is the whole clip (None): the camera's packets copied as they are, or re-encoded."""
    rng = random.Random(f"cut-{number}")
    if rng.random() < 0.2:
        return None
    start = round(rng.choice([0, 0.1, 0.4, 0.5, 1.0, 1.7, 2.5, 6.0]) + rng.random() * 0.3, 3)
    return start, round(start + rng.choice([0.6, 1.2, 2.0, 3.3, 8.0]), 3)


def leftovers(out_dir):
    """Hidden or partial files anywhere under the output folder."""
    found = []
    if out_dir.is_dir():
        for p in sorted(out_dir.rglob("*")):
            name = p.name
            if name.startswith(".") or ".partial" in name or name.endswith((".tmp", ".part")):
                found.append(relative(p))
    return found


def classify(case_file, out_dir, run, editors_cut=False, whole_clip=False):
    """(outcome, problem or None). The outcomes that are findings carry a problem. An editors'
    cut of the whole clip says no `cut` (nothing was cut), only what its video is."""
    if run.timed_out:
        return "hang", f"no exit after {run.seconds:.0f} s (killed)"
    if run.over_memory:
        return "over-memory", f"peak {run.peak_kib // 1024} MiB > {MEMORY_LIMIT_KIB // 1024} MiB"
    if run.signal is not None:
        try:
            name = signal.Signals(run.signal).name
        except ValueError:
            name = f"signal {run.signal}"
        return "crash", f"killed by {name}; stderr: {last_lines(run.stderr)}"
    if run.strays:
        return "stray-process", f"exit {run.exit_code} but left processes {run.strays} running"
    if run.exit_code == 0:
        reply, manifest = out_dir / ("bts.mp4" if editors_cut else "reply.mp4"), out_dir / "manifest.json"
        problems = []
        if not reply.is_file():
            problems.append(f"exit 0 without {reply.name}")
        else:
            problems += check_bts(reply) if editors_cut else check_reply(reply)
        if not manifest.is_file():
            problems.append("no manifest.json")
        else:
            try:
                written = json.loads(manifest.read_text())
                if editors_cut and not any(o.get("role") == "bts" and (o.get("cut", {}).get("method") in ("smart", "reencoded")
                                                                        or (whole_clip and "video_codec" in o))
                                           for o in written.get("outputs", [])):
                    problems.append("the manifest does not say how the cut was made")
            except (ValueError, UnicodeDecodeError) as e:
                problems.append(f"manifest.json is not JSON: {e}")
        partial = leftovers(out_dir)
        if partial:
            problems.append(f"hidden/partial files: {', '.join(partial)}")
        if problems:
            return "bad-reply", "; ".join(problems)
        if editors_cut:
            bts = next(o for o in json.loads(manifest.read_text())["outputs"] if o.get("role") == "bts")
            if "cut" not in bts:
                return ("whole-copied" if "(copied from the camera" in bts.get("video_codec", "") else "whole-reencoded"), None
            return f"cut-{bts['cut']['method']}", None
        return "reply", None
    if run.exit_code in (1, 2):
        problems = []
        lines = [l for l in run.stderr.splitlines() if l.strip() and not PROGRESS_LINE.match(l)]
        if len(lines) != 1:
            problems.append(f"{len(lines)} stderr lines, want 1: {last_lines(run.stderr)}")
        else:
            line = lines[0]
            base = case_file.name
            if not line.startswith("mediaorch: "):
                problems.append(f"stderr line lacks the 'mediaorch: ' prefix: {line!r}")
            if base not in line:
                problems.append(f"stderr line does not name {base}: {line!r}")
            else:
                reason = line[line.rindex(base) + len(base):].lstrip(": ").strip()
                if len(reason) < 3:
                    problems.append(f"stderr line gives no reason: {line!r}")
        # A refused job leaves nothing at all: no reply, no manifest, no thumbnail or sidecar.
        if out_dir.is_dir():
            for path in sorted(out_dir.iterdir()):
                if not path.name.startswith("."):
                    problems.append(f"{path.name} left behind")
        partial = leftovers(out_dir)
        if partial:
            problems.append(f"hidden/partial files left: {', '.join(partial)}")
        return ("bad-refusal", "; ".join(problems)) if problems else (f"refusal-{run.exit_code}", None)
    return "bad-exit", f"exit status {run.exit_code}; stderr: {last_lines(run.stderr)}"


def last_lines(text, n=3):
    lines = [l for l in text.splitlines() if l.strip()]
    shown = " | ".join(lines[-n:])
    return (shown[:400] + "...") if len(shown) > 400 else shown or "(empty)"


# --------------------------------------------------------------------------------------------
# Driver
# --------------------------------------------------------------------------------------------

FINDING_OUTCOMES = ("crash", "hang", "over-memory", "bad-refusal", "bad-reply", "bad-exit", "stray-process")


def replay_command(args, number):
    parts = ["python3 scripts/fuzz.py", f"--seed {args.seed}"] + (["--editors-cut"] if args.editors_cut else []) + (["--streamed"] if args.streamed else [])
    if args.only:
        parts.append(f"--only {args.only}")
    if args.mutation:
        parts.append(f"--mutation {args.mutation}")
    parts.append(f"--replay {number}")
    return " ".join(parts)


def run_case(args, seeds, number, allowed, keep):
    case = make_case(number, seeds, args.seed, allowed)
    case_dir = CASES / f"{number:05d}"
    if case_dir.exists():
        remove_tree(case_dir)
    case_dir.mkdir(parents=True)
    case_file = case_dir / case.filename
    feed = None
    if args.streamed:
        case_file.write_bytes(b"")
        feed = Feed(case_file, case.data, random.Random(f"{args.seed}-{number}-feed"))
    else:
        case_file.write_bytes(case.data)
    out_dir = case_dir / "out"
    cmd = [args.binary, "process", relative(case_file), "--out", relative(out_dir)]
    if args.streamed:
        cmd += ["--arriving-duration", f"{declared_duration(case.seed):.3f}", "--arriving-stall-seconds", "2"]
    if args.editors_cut:
        times = cut_times(number)
        cmd += ["--template", "bts-cut"] + (["--trim-start", str(times[0]), "--trim-end", str(times[1])] if times else [])
    if feed:
        feed.start()
    for attempt in range(4):
        if out_dir.exists():
            remove_tree(out_dir)
        run = run_child(cmd, ROOT, case_dir / "stdout.txt", case_dir / "stderr.txt", args.timeout,
                        MEMORY_LIMIT_KIB, args.rlimit_as * 1024 * 1024)
        # 126/127 from the wrapper shell: the binary was being replaced by a rebuild; try again
        if run.exit_code in (126, 127) and run.stderr.startswith("/bin/sh:") and attempt < 3:
            time.sleep(10)
            continue
        break
    if feed:
        feed.join()
    if _stopping.is_set():
        if not keep:
            remove_tree(case_dir)
        return None
    outcome, problem = classify(case_file, out_dir, run, args.editors_cut, args.editors_cut and cut_times(number) is None)
    if feed and feed.ending != "told" and not problem and run.exit_code == 0:
        outcome, problem = "bad-exit", f"a reply was made although the upload {'stalled half way' if feed.ending == 'stall' else 'never said it was whole'}"
    if feed and not problem:
        outcome = f"{outcome}-{feed.ending}" if feed.ending != "told" else outcome
    kept = None
    if problem:
        FINDINGS.mkdir(parents=True, exist_ok=True)
        kept = FINDINGS / case.filename
        kept.write_bytes(case.data)
        (FINDINGS / f"{case.filename}.txt").write_text(
            f"case {number} ({outcome}): {problem}\n"
            f"seed clip: {relative(case.seed)}\nmutation: {case.description}\n"
            f"command: {' '.join(map(str, cmd))}\n"
            f"replay: {replay_command(args, number)}\n"
            f"exit: {run.exit_code} signal: {run.signal} peak: {run.peak_kib // 1024} MiB "
            f"time: {run.seconds:.1f} s\n--- stderr ---\n{run.stderr}\n--- stdout ---\n{run.stdout}\n")
    if not (keep or problem):
        remove_tree(case_dir)
    return case, run, outcome, problem, kept, case_file


def remove_tree(path):
    if not path.exists():
        return
    for p in sorted(path.rglob("*"), key=lambda q: len(q.parts), reverse=True):
        if p.is_dir() and not p.is_symlink():
            p.rmdir()
        else:
            p.unlink()
    path.rmdir()


def check_tools(binary):
    if not os.access(ROOT / binary if not os.path.isabs(binary) else binary, os.X_OK):
        sys.exit(f"fuzz: {binary} is not built (make release, or pass --binary)")
    try:
        subprocess.run(["ffprobe", "-version"], capture_output=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        sys.exit("fuzz: ffprobe is missing (scripts/bootstrap.sh installs it)")


def parse_args(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cases", type=int, default=200, help="how many cases (default 200; make fuzz runs 2000)")
    ap.add_argument("--seed", default="1", help="fuzz seed; cases are a function of it and their number "
                    "(default 1; 'random' picks one and prints it)")
    ap.add_argument("--jobs", type=int, default=1, help="cases run in parallel (default 1)")
    ap.add_argument("--binary", default=".build/debug/mediaorch", help="mediaorch to test (default .build/debug/mediaorch)")
    ap.add_argument("--timeout", type=float, default=120, help="seconds before a case is a hang (default 120)")
    ap.add_argument("--keep", action="store_true", help="keep every case's file and outputs in fuzz-output/cases/")
    ap.add_argument("--only", metavar="NAME", help="use only this seed clip (file name or stem)")
    ap.add_argument("--mutation", metavar="NAMES", help="only these mutations, comma-separated: " + ", ".join(MUTATIONS))
    ap.add_argument("--replay", type=int, metavar="N", help="run case N alone, keep its files and show everything")
    ap.add_argument("--start", type=int, default=1, help="first case number (default 1)")
    ap.add_argument("--rlimit-as", type=int, default=8, metavar="GB",
                    help="address-space limit of the child in GiB, a safety net (0: none; default 8)")
    ap.add_argument("--editors-cut", action="store_true", help="every case an editors' cut between two times (bts-cut template)")
    ap.add_argument("--streamed", action="store_true", help="every case delivered in pieces while the reply is rendered as it arrives")
    ap.add_argument("--dry-run", action="store_true", help="make the cases and print their mutations without running")
    args = ap.parse_args(argv)
    if args.seed == "random":
        args.seed = str(random.SystemRandom().randrange(10**9))
    return args


def main(argv=None):
    args = parse_args(argv)
    seeds = seed_files(args.only, editors_cut=args.editors_cut)
    if args.streamed:
        if args.editors_cut:
            sys.exit("fuzz: --streamed renders replies; an editors' cut is made from the whole original")
        seeds = streamed_seeds(seeds)
    allowed = None
    if args.mutation:
        allowed = {m.strip() for m in args.mutation.split(",") if m.strip()}
        unknown = allowed - set(MUTATIONS)
        if unknown:
            sys.exit(f"fuzz: unknown mutation(s) {', '.join(sorted(unknown))}; known: {', '.join(MUTATIONS)}")
    numbers = [args.replay] if args.replay is not None else list(range(args.start, args.start + args.cases))

    if args.dry_run:
        for n in numbers:
            case = make_case(n, seeds, args.seed, allowed)
            print(f"{n:05d} {case.seed.name} ({len(case.data)} bytes) {case.description}")
        return 0

    check_tools(args.binary)
    CASES.mkdir(parents=True, exist_ok=True)
    print(f"fuzz: {len(numbers)} case(s) from {len(seeds)} seed clip(s), seed {args.seed}, "
          f"{args.jobs} job(s), {args.binary}, timeout {args.timeout:g} s, memory limit "
          f"{MEMORY_LIMIT_KIB // 1024} MiB", flush=True)

    if args.replay is not None:
        case, run, outcome, problem, kept, case_file = run_case(args, seeds, args.replay, allowed, keep=True)
        print(f"case {args.replay}: {case.seed.name}: {case.description}")
        print(f"file: {relative(case_file)}")
        print(f"exit: {run.exit_code} signal: {run.signal} time: {run.seconds:.1f} s peak: {run.peak_kib // 1024} MiB")
        print(f"--- stderr ---\n{run.stderr.rstrip()}\n--- stdout ---\n{run.stdout.rstrip()}\n---")
        print(f"outcome: {outcome}" + (f": {problem}" if problem else ""))
        print(f"{0 if problem else 1} passed, {1 if problem else 0} failed")
        return 1 if problem else 0

    counts, by_mutation, findings = {}, {}, []
    done = 0
    peak = 0
    started = time.monotonic()
    lock = threading.Lock()

    def one(n):
        nonlocal done, peak
        if _stopping.is_set():
            return
        result = run_case(args, seeds, n, allowed, args.keep)
        if result is None:
            return
        case, run, outcome, problem, kept, _ = result
        with lock:
            done += 1
            counts[outcome] = counts.get(outcome, 0) + 1
            for kind in case.kinds.split("+"):
                by_mutation.setdefault(kind, {}).setdefault(outcome, 0)
                by_mutation[kind][outcome] += 1
            peak = max(peak, run.peak_kib)
            if problem:
                findings.append(n)
                print(f"FINDING case {n:05d} {outcome}: {problem}\n"
                      f"    seed {case.seed.name}; mutation {case.description}\n"
                      f"    file {relative(kept)}; replay: {replay_command(args, n)}", flush=True)
            if done % 50 == 0 or done == len(numbers):
                rate_ = (time.monotonic() - started) / done
                summary = ", ".join(f"{v} {k}" for k, v in sorted(counts.items()))
                print(f"[{done}/{len(numbers)}] {summary}; {len(findings)} finding(s); "
                      f"{rate_:.1f} s/case; peak {peak // 1024} MiB", flush=True)

    pool = ThreadPoolExecutor(max_workers=max(1, args.jobs))
    try:
        for future in [pool.submit(one, n) for n in numbers]:
            future.result()
        pool.shutdown()
    except KeyboardInterrupt:
        _stopping.set()
        pool.shutdown(wait=False, cancel_futures=True)
        with _active_lock:
            for pid in list(_active):
                kill_tree(pid, process_tree(pid) + group_members(pid))
        pool.shutdown()
        print(f"\nfuzz: interrupted after {done} case(s)", flush=True)

    replies = counts.get("reply", 0)
    refusals = counts.get("refusal-1", 0) + counts.get("refusal-2", 0)
    if args.streamed:
        stalled = sum(v for k, v in counts.items() if k.endswith("-stall"))
        untold = sum(v for k, v in counts.items() if k.endswith("-untold"))
        refusals += stalled + untold
        print(f"\nstreamed: {stalled} stalled half way, {untold} never said they were whole: each refused cleanly")
    print("\nsummary:")
    if args.editors_cut:
        print(f"  cuts          {counts.get('cut-smart', 0)} smart, {counts.get('cut-reencoded', 0)} re-encoded in full")
        print(f"  whole clips   {counts.get('whole-copied', 0)} copied from the camera, {counts.get('whole-reencoded', 0)} re-encoded")
    else:
        print(f"  replies       {replies}")
    print(f"  refusals      {refusals} (exit 2: {counts.get('refusal-2', 0)}, exit 1: {counts.get('refusal-1', 0)})")
    for outcome, label in (("crash", "crashes"), ("hang", "hangs"), ("over-memory", "over-memory"),
                           ("bad-refusal", "bad refusals"), ("bad-reply", "bad replies"),
                           ("bad-exit", "other exits"), ("stray-process", "stray processes")):
        print(f"  {label:<13} {counts.get(outcome, 0)}")
    print(f"  peak memory   {peak // 1024} MiB; {(time.monotonic() - started) / max(done, 1):.1f} s/case")
    print("  by mutation:  " + "; ".join(
        f"{k} {sum(v.values())} ({sum(c for o, c in v.items() if o in FINDING_OUTCOMES)} failed)"
        for k, v in sorted(by_mutation.items())))
    if findings:
        print(f"  findings in {relative(FINDINGS)}/: cases {', '.join(map(str, sorted(findings)))}")
    failed = len(findings)
    print(f"{done - failed} passed, {failed} failed")
    if _stopping.is_set():
        return 130
    return 1 if failed or done < len(numbers) else 0


if __name__ == "__main__":
    sys.exit(main())
