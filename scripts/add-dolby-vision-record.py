#!/usr/bin/env python3
"""Adds a Dolby Vision configuration record (dvvC: profile 8, level 2, RPU and base layer
present, base layer compatible with HLG, id 4) to the HEVC sample entry of an MP4 whose moov
follows its mdat, the way an iPhone marks its HDR video: ffmpeg 5.1's command line cannot write
one. The pictures carry no RPUs; the record alone is what players and libav's probe read. Dev
tooling for test fixtures only.
usage: add-dolby-vision-record.py FILE"""
import struct, sys

CONTAINERS = {b"moov", b"trak", b"mdia", b"minf", b"stbl"}


def boxes(data, start, end):
    pos = start
    while pos + 8 <= end:
        size, kind = struct.unpack(">I4s", data[pos:pos + 8])
        if size < 8:
            sys.exit(f"box {kind!r} at {pos}: size {size} (64-bit and open-ended boxes are not handled)")
        yield kind, pos, size
        pos += size


def record():
    # version 1.0; profile 8 (7 bits), level 2 (6 bits), rpu 1, el 0, bl 1; compatibility id 4.
    bits = (8 << 9) | (2 << 3) | (1 << 2) | (0 << 1) | 1
    body = bytes([1, 0]) + struct.pack(">H", bits) + bytes([4 << 4]) + bytes(19)
    return struct.pack(">I4s", 8 + len(body), b"dvvC") + body


def main(path):
    data = bytearray(open(path, "rb").read())
    top = {kind: pos for kind, pos, _ in boxes(data, 0, len(data))}
    if b"moov" not in top or b"mdat" not in top or top[b"moov"] < top[b"mdat"]:
        sys.exit(f"{path}: needs its moov after its mdat (growing moov must not move the samples)")
    box = record()
    path_to_entry = []

    def find(start, end, trail):
        for kind, pos, size in boxes(data, start, end):
            if kind in CONTAINERS:
                if find(pos + 8, pos + size, trail + [pos]):
                    return True
            elif kind == b"stsd":
                entries = pos + 8 + 8  # full box header and entry count
                for entry, entry_pos, entry_size in boxes(data, entries, pos + size):
                    if entry in (b"hvc1", b"hev1"):
                        path_to_entry.extend(trail + [pos, entry_pos])
                        return True
        return False

    if not find(0, len(data), []):
        sys.exit(f"{path}: no HEVC sample entry")
    entry_pos = path_to_entry[-1]
    entry_end = entry_pos + struct.unpack(">I", data[entry_pos:entry_pos + 4])[0]
    data[entry_end:entry_end] = box
    for pos in path_to_entry:
        struct.pack_into(">I", data, pos, struct.unpack(">I", data[pos:pos + 4])[0] + len(box))
    open(path, "wb").write(data)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
