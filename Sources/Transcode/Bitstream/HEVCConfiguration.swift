/// The hvcC record of an MP4's HEVC sample description (ISO/IEC 14496-15 8.3.3.1): the profile,
/// the NAL length size and arrays of parameter sets by NAL type. With the `hvc1` sample entry
/// every set is here and none in the samples, so a smart cut adds the re-encoder's sets, under
/// ids of their own, to the camera's arrays.
struct HEVCConfiguration: Equatable {
    /// Everything before the arrays (profile, level, chroma format, bit depths, frame rate and
    /// the length size), kept as the camera wrote it.
    var header: [UInt8]
    var arrays: [ParameterSetArray]

    struct ParameterSetArray: Equatable {
        var complete: Bool
        var type: UInt8
        var units: [[UInt8]]
    }

    init?(_ record: [UInt8]) {
        guard record.count >= 23, record[0] == 1 else { return nil }
        header = Array(record[0..<22])
        var offset = 23
        var arrays: [ParameterSetArray] = []
        for _ in 0..<Int(record[22]) {
            guard offset + 3 <= record.count else { return nil }
            var array = ParameterSetArray(complete: record[offset] & 0x80 != 0, type: record[offset] & 0x3F, units: [])
            let count = Int(record[offset + 1]) << 8 | Int(record[offset + 2])
            offset += 3
            for _ in 0..<count {
                guard offset + 2 <= record.count else { return nil }
                let length = Int(record[offset]) << 8 | Int(record[offset + 1])
                offset += 2
                guard length > 0, offset + length <= record.count else { return nil }
                array.units.append(Array(record[offset..<offset + length]))
                offset += length
            }
            arrays.append(array)
        }
        self.arrays = arrays
    }

    /// Bytes of each NAL unit's length prefix in a sample (1, 2 or 4).
    var lengthSize: Int { Int(header[21] & 0x03) + 1 }

    func units(ofType type: UInt8) -> [[UInt8]] { arrays.filter { $0.type == type }.flatMap(\.units) }

    /// Adds a parameter set; for an SPS, the record's profile fields are made to cover it too
    /// (14496-15: compatibility and constraint flags common to every SPS, the highest tier and level).
    mutating func append(_ unit: [UInt8], ofType type: UInt8) {
        if type == HEVCSyntax.sequenceParameterSet {
            // The SPS's general profile_tier_level sits in its RBSP's bytes 1-12, laid out as the record's bytes 1-12.
            let rbsp = HEVCSyntax.rbsp(unit[...])
            if rbsp.count > 12 {
                header[1] = header[1] & 0xDF | max(header[1] & 0x20, rbsp[1] & 0x20) // general_tier_flag
                for i in 2...11 { header[i] &= rbsp[i] }
                header[12] = max(header[12], rbsp[12]) // general_level_idc
            }
        }
        if let i = arrays.firstIndex(where: { $0.type == type }) {
            arrays[i].units.append(unit)
        } else {
            arrays.append(ParameterSetArray(complete: true, type: type, units: [unit]))
            arrays.sort { $0.type < $1.type } // VPS, SPS, PPS, then SEI
        }
    }

    var bytes: [UInt8] {
        var out = header + [UInt8(arrays.count)]
        for array in arrays {
            out += [(array.complete ? 0x80 : 0) | array.type, UInt8(array.units.count >> 8), UInt8(array.units.count & 0xFF)]
            for unit in array.units { out += [UInt8(unit.count >> 8), UInt8(unit.count & 0xFF)] + unit }
        }
        return out
    }

    /// The ids the camera's sets use, by kind.
    var videoIDs: Set<Int> { Set(units(ofType: HEVCSyntax.videoParameterSet).compactMap { HEVCSyntax.videoParameterSetID($0[...]) }) }
    var sequenceIDs: Set<Int> { Set(units(ofType: HEVCSyntax.sequenceParameterSet).compactMap { HEVCSyntax.sequenceParameterSetID($0[...]) }) }
    var pictureIDs: Set<Int> { Set(units(ofType: HEVCSyntax.pictureParameterSet).compactMap { HEVCSyntax.pictureParameterSetID($0[...]) }) }
}
