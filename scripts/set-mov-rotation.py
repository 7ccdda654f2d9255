#!/usr/bin/env python3
"""Writes a display matrix into the video track header (tkhd) of an MP4/MOV, the way phones mark
a clip filmed upright: ffmpeg 5.1's command line cannot set one. Dev tooling for SampleMedia and
test fixtures only.
usage: set-mov-rotation.py FILE DEGREES   (DEGREES as ffprobe reports them: -90, 90, 180)"""
import struct, sys

CONTAINERS = {b"moov", b"trak", b"mdia", b"minf", b"stbl", b"edts"}

def boxes(data, start, end):
    pos = start
    while pos + 8 <= end:
        size, kind = struct.unpack(">I4s", data[pos:pos + 8])
        header = 8
        if size == 1:
            size = struct.unpack(">Q", data[pos + 8:pos + 16])[0]
            header = 16
        elif size == 0:
            size = end - pos
        yield kind, pos, header, size
        pos += size

def matrix(degrees):
    one, zero = 0x10000, 0
    # ffprobe's rotation is counter-clockwise; -90 is the iPhone's portrait matrix.
    table = {
        0: (one, zero, zero, one),
        -90: (zero, one, -one, zero), 270: (zero, one, -one, zero),
        90: (zero, -one, one, zero), -270: (zero, -one, one, zero),
        180: (-one, zero, zero, -one), -180: (-one, zero, zero, -one),
    }
    return table[degrees]

def main(path, degrees):
    data = bytearray(open(path, "rb").read())
    done = False
    def walk(start, end):
        nonlocal done
        for kind, pos, header, size in boxes(data, start, end):
            if kind in CONTAINERS:
                walk(pos + header, pos + size)
            elif kind == b"tkhd" and not done:
                body = pos + header
                version = data[body]
                mat = body + (4 + 8 + 4 + 4 + 4 if version == 0 else 4 + 16 + 4 + 4 + 8) + 8 + 2 + 2 + 2 + 2
                width = struct.unpack(">I", data[mat + 36:mat + 40])[0] >> 16
                height = struct.unpack(">I", data[mat + 40:mat + 44])[0] >> 16
                if width == 0 or height == 0:
                    continue  # audio track
                a, b, c, d = matrix(degrees)
                tx = height if (a, b, c, d) == (0, 0x10000, -0x10000, 0) or degrees in (180, -180) else 0
                ty = width if (a, b, c, d) == (0, -0x10000, 0x10000, 0) or degrees in (180, -180) else 0
                if degrees in (180, -180):
                    tx, ty = width, height
                struct.pack_into(">9i", data, mat, a, b, 0, c, d, 0, tx << 16, ty << 16, 0x40000000)
                done = True
    walk(0, len(data))
    if not done:
        sys.exit(f"{path}: no video tkhd found")
    open(path, "wb").write(data)

if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
