/// Just enough of H.264's bitstream to tell an IDR keyframe (closed GOP) from an open-GOP
/// recovery point: the NAL unit types inside an MP4 sample (HEVC's samples are split the same way).
enum H264Bitstream {
    static let idrSlice: UInt8 = 5

    /// The first byte of each NAL unit in one sample (its header: H.264's type is the low 5 bits,
    /// HEVC's the 6 after the first), given the length-prefix size from the avcC or hvcC record.
    static func nalHeaderBytes(sample: UnsafeBufferPointer<UInt8>, lengthSize: Int) -> [UInt8] {
        var headers: [UInt8] = []
        var offset = 0
        while offset + lengthSize < sample.count {
            var length = 0
            for i in 0..<lengthSize { length = length << 8 | Int(sample[offset + i]) }
            offset += lengthSize
            guard length > 0, offset + length <= sample.count else { break }
            headers.append(sample[offset])
            offset += length
        }
        return headers
    }

    static func nalUnitTypes(sample: UnsafeBufferPointer<UInt8>, lengthSize: Int) -> [UInt8] {
        nalHeaderBytes(sample: sample, lengthSize: lengthSize).map { $0 & 0x1F }
    }

    /// Whether an MP4 sample carries an IDR slice: a keyframe decoding may start at with nothing before it.
    static func carriesIDR(sample: UnsafeBufferPointer<UInt8>, lengthSize: Int) -> Bool {
        nalUnitTypes(sample: sample, lengthSize: lengthSize).contains(idrSlice)
    }

    /// NAL length-prefix size (1, 2 or 4) from an avcC record; nil for Annex B streams.
    static func lengthSize(avcC: UnsafeBufferPointer<UInt8>) -> Int? {
        guard avcC.count >= 5, avcC[0] == 1 else { return nil }
        return Int(avcC[4] & 0x03) + 1
    }
}
