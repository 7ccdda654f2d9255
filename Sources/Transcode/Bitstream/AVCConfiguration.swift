/// The avcC record of an MP4's H.264 sample description (ISO/IEC 14496-15 5.3.3.1): the
/// parameter sets every sample refers to by id. A smart cut adds the re-encoder's sets under ids
/// of their own, so the camera's pictures and x264's share one track and one sample description.
struct AVCConfiguration: Equatable {
    var profile: UInt8
    var compatibility: UInt8
    var level: UInt8
    /// Bytes of each NAL unit's length prefix in a sample (1, 2 or 4).
    var lengthSize: Int
    var sequenceParameterSets: [[UInt8]]
    var pictureParameterSets: [[UInt8]]
    /// What follows the PPS list (High profiles: chroma format, bit depths, SPS extensions), kept as written.
    var trailing: [UInt8]

    init?(_ record: [UInt8]) {
        guard record.count >= 7, record[0] == 1 else { return nil }
        profile = record[1]
        compatibility = record[2]
        level = record[3]
        lengthSize = Int(record[4] & 0x03) + 1
        guard lengthSize != 3 else { return nil }
        var offset = 5
        func sets(count: Int) -> [[UInt8]]? {
            var found: [[UInt8]] = []
            for _ in 0..<count {
                guard offset + 2 <= record.count else { return nil }
                let length = Int(record[offset]) << 8 | Int(record[offset + 1])
                offset += 2
                guard length > 0, offset + length <= record.count else { return nil }
                found.append(Array(record[offset..<offset + length]))
                offset += length
            }
            return found
        }
        let spsCount = Int(record[offset] & 0x1F)
        offset += 1
        guard let sps = sets(count: spsCount) else { return nil }
        sequenceParameterSets = sps
        guard offset < record.count else { return nil }
        let ppsCount = Int(record[offset])
        offset += 1
        guard let pps = sets(count: ppsCount) else { return nil }
        pictureParameterSets = pps
        trailing = Array(record[offset...])
    }

    var bytes: [UInt8] {
        var out: [UInt8] = [1, profile, compatibility, level, 0xFC | UInt8(lengthSize - 1), 0xE0 | UInt8(sequenceParameterSets.count)]
        for set in sequenceParameterSets { out += [UInt8(set.count >> 8), UInt8(set.count & 0xFF)] + set }
        out.append(UInt8(pictureParameterSets.count))
        for set in pictureParameterSets { out += [UInt8(set.count >> 8), UInt8(set.count & 0xFF)] + set }
        return out + trailing
    }

    /// The ids the record's sequence and picture parameter sets use.
    var sequenceIDs: Set<Int> { Set(sequenceParameterSets.compactMap(H264Bitstream.sequenceParameterSetID)) }
    var pictureIDs: Set<Int> { Set(pictureParameterSets.compactMap(H264Bitstream.pictureParameterSetID)) }
}

extension H264Bitstream {
    static let sequenceParameterSet: UInt8 = 7
    static let pictureParameterSet: UInt8 = 8

    /// seq_parameter_set_id: the first Exp-Golomb number after profile, constraints and level.
    static func sequenceParameterSetID(_ nal: [UInt8]) -> Int? {
        guard nal.first.map({ $0 & 0x1F }) == sequenceParameterSet else { return nil }
        var reader = RBSPReader(EmulationPrevention.removed(nal.dropFirst(1)))
        return try? { try reader.skip(24); return try reader.ue() }()
    }

    /// pic_parameter_set_id: the PPS's first Exp-Golomb number.
    static func pictureParameterSetID(_ nal: [UInt8]) -> Int? {
        guard nal.first.map({ $0 & 0x1F }) == pictureParameterSet else { return nil }
        var reader = RBSPReader(EmulationPrevention.removed(nal.dropFirst(1)))
        return try? reader.ue()
    }

    /// NAL units of an Annex B byte stream (start codes 00 00 01 or 00 00 00 01), as libx264 writes them.
    static func annexBUnits(_ bytes: UnsafeBufferPointer<UInt8>) -> [ArraySlice<UInt8>] {
        var starts: [(code: Int, payload: Int)] = []
        var i = 0
        while i + 2 < bytes.count {
            if bytes[i] == 0 && bytes[i + 1] == 0 && bytes[i + 2] == 1 {
                starts.append((i > 0 && bytes[i - 1] == 0 ? i - 1 : i, i + 3))
                i += 3
            } else {
                i += 1
            }
        }
        let all = Array(bytes)
        return starts.enumerated().compactMap { index, start in
            var end = index + 1 < starts.count ? starts[index + 1].code : all.count
            while end > start.payload && all[end - 1] == 0 { end -= 1 } // trailing_zero_8bits
            return end > start.payload ? all[start.payload..<end] : nil
        }
    }

    /// NAL units of an MP4 sample, each behind a `lengthSize`-byte big-endian length.
    static func lengthPrefixedUnits(_ sample: UnsafeBufferPointer<UInt8>, lengthSize: Int) -> [ArraySlice<UInt8>]? {
        var units: [ArraySlice<UInt8>] = []
        var offset = 0
        let all = Array(sample)
        while offset < all.count {
            guard offset + lengthSize <= all.count else { return nil }
            var length = 0
            for i in 0..<lengthSize { length = length << 8 | Int(all[offset + i]) }
            offset += lengthSize
            guard length > 0, offset + length <= all.count else { return nil }
            units.append(all[offset..<offset + length])
            offset += length
        }
        return units
    }

    /// NAL units written as an MP4 sample: each behind its length in `lengthSize` bytes.
    static func sample(_ units: [ArraySlice<UInt8>], lengthSize: Int) -> [UInt8]? {
        var out: [UInt8] = []
        for unit in units {
            guard lengthSize == 4 || unit.count < 1 << (8 * lengthSize) else { return nil }
            for shift in stride(from: 8 * (lengthSize - 1), through: 0, by: -8) { out.append(UInt8((unit.count >> shift) & 0xFF)) }
            out += unit
        }
        return out
    }
}
