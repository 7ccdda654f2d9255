/// The bits of a NAL unit's payload (its RBSP: emulation-prevention bytes removed), read and
/// written as the H.264 and HEVC syntax tables spell them: u(n), ue(v), se(v).
struct RBSPReader {
    let bytes: [UInt8]
    /// The next bit to read, from the RBSP's first bit.
    private(set) var position = 0

    init(_ rbsp: [UInt8]) { bytes = rbsp }

    struct OutOfBits: Error {}

    mutating func bits(_ count: Int) throws -> Int {
        var value = 0
        for _ in 0..<count {
            guard position < bytes.count * 8 else { throw OutOfBits() }
            value = value << 1 | Int(bytes[position >> 3] >> (7 - UInt8(position & 7))) & 1
            position += 1
        }
        return value
    }

    mutating func flag() throws -> Bool { try bits(1) == 1 }

    mutating func skip(_ count: Int) throws { _ = try bits(count) }

    mutating func ue() throws -> Int {
        var zeros = 0
        while try bits(1) == 0 {
            zeros += 1
            guard zeros < 32 else { throw OutOfBits() }
        }
        return (1 << zeros) - 1 + (try bits(zeros))
    }

    mutating func se() throws -> Int {
        let k = try ue()
        return k & 1 == 1 ? (k + 1) / 2 : -(k / 2)
    }
}

struct RBSPWriter {
    private(set) var bytes: [UInt8] = []
    private(set) var count = 0

    mutating func put(_ value: Int, bits: Int) {
        for shift in stride(from: bits - 1, through: 0, by: -1) {
            if count & 7 == 0 { bytes.append(0) }
            if (value >> shift) & 1 == 1 { bytes[bytes.count - 1] |= 0x80 >> UInt8(count & 7) }
            count += 1
        }
    }

    mutating func ue(_ value: Int) {
        let coded = value + 1
        let length = Int.bitWidth - coded.leadingZeroBitCount
        put(0, bits: length - 1)
        put(coded, bits: length)
    }

    /// Bits [from, to) of `source`, as they are.
    mutating func copy(_ source: [UInt8], from: Int, to: Int) {
        for bit in from..<to { put(Int(source[bit >> 3] >> (7 - UInt8(bit & 7))) & 1, bits: 1) }
    }

    /// rbsp_trailing_bits and byte_alignment(): a one, then zeros to the byte's end.
    mutating func align() {
        put(1, bits: 1)
        while count & 7 != 0 { put(0, bits: 1) }
    }
}

/// Emulation prevention (H.264 7.4.1, HEVC 7.4.2): no 00 00 0x (x ≤ 3) may appear in a NAL unit,
/// so encoders insert 03 after two zeros; the RBSP is the payload with those taken out again.
enum EmulationPrevention {
    static func removed(_ payload: ArraySlice<UInt8>) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(payload.count)
        var zeros = 0
        for byte in payload {
            if zeros >= 2 && byte == 3 { zeros = 0; continue }
            zeros = byte == 0 ? zeros + 1 : 0
            out.append(byte)
        }
        return out
    }

    static func inserted(_ rbsp: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(rbsp.count + rbsp.count / 64 + 1)
        var zeros = 0
        for byte in rbsp {
            if zeros >= 2 && byte <= 3 { out.append(3); zeros = 0 }
            zeros = byte == 0 ? zeros + 1 : 0
            out.append(byte)
        }
        if out.last == 0 { out.append(3) } // a payload may not end in a zero byte
        return out
    }
}
