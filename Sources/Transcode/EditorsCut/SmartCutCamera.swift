import CAV

/// The camera's video as a smart cut joins it: its parameter sets record (avcC for H.264, hvcC
/// for HEVC), which of its samples decoding may start afresh at, and the ids its sets leave free
/// for the re-encoded parts' own.
enum SmartCutCamera {
    case avc(AVCConfiguration)
    case hevc(HEVCConfiguration)

    /// The record from the stream's sample description; refused when there is none to join.
    init(_ stream: UnsafeMutablePointer<AVStream>) throws {
        let par = stream.pointee.codecpar.pointee
        let bytes = par.extradata.map { Array(UnsafeBufferPointer(start: $0, count: Int(par.extradata_size))) } ?? []
        if par.codec_id == AV_CODEC_ID_HEVC {
            guard let record = HEVCConfiguration(bytes) else {
                throw SmartCutRefusal(reason: "the HEVC stream has no hvcC record (parameter sets in the stream)")
            }
            let sets = [HEVCSyntax.videoParameterSet, HEVCSyntax.sequenceParameterSet, HEVCSyntax.pictureParameterSet].map { record.units(ofType: $0).count }
            guard sets.allSatisfy({ $0 > 0 }), record.videoIDs.count == sets[0], record.sequenceIDs.count == sets[1], record.pictureIDs.count == sets[2] else {
                throw SmartCutRefusal(reason: "the camera's hvcC record does not list its parameter sets plainly")
            }
            self = .hevc(record)
        } else {
            guard let record = AVCConfiguration(bytes) else {
                throw SmartCutRefusal(reason: "the H.264 stream has no avcC record (parameter sets in the stream)")
            }
            guard !record.sequenceParameterSets.isEmpty, !record.pictureParameterSets.isEmpty,
                  record.sequenceIDs.count == record.sequenceParameterSets.count, record.pictureIDs.count == record.pictureParameterSets.count else {
                throw SmartCutRefusal(reason: "the camera's avcC record does not list its parameter sets plainly")
            }
            self = .avc(record)
        }
    }

    var lengthSize: Int {
        switch self {
        case .avc(let record): record.lengthSize
        case .hevc(let record): record.lengthSize
        }
    }

    /// Whether a sample carries an IDR picture: nothing before it is referred to after it.
    func startsAfresh(_ sample: UnsafeBufferPointer<UInt8>) -> Bool {
        switch self {
        case .avc: return H264Bitstream.carriesIDR(sample: sample, lengthSize: lengthSize)
        case .hevc: return H264Bitstream.nalHeaderBytes(sample: sample, lengthSize: lengthSize).contains { HEVCSyntax.idrTypes.contains(($0 >> 1) & 0x3F) }
        }
    }

    /// Ids for `parts` re-encoded parts, each set apart from the camera's and from each other's.
    func freeIDs(parts: Int) throws -> [SmartCutIDs] {
        switch self {
        case .avc(let record):
            // x264's sps-id numbers its SPS and its PPS alike.
            let free = (0..<32).filter { !record.sequenceIDs.contains($0) && !record.pictureIDs.contains($0) }
            guard free.count >= parts else { throw SmartCutRefusal(reason: "the camera's parameter sets use every id") }
            return free.prefix(parts).map { SmartCutIDs(video: 0, sequence: $0, picture: $0) }
        case .hevc(let record):
            let video = (0..<16).filter { !record.videoIDs.contains($0) }
            let sequence = (0..<16).filter { !record.sequenceIDs.contains($0) }
            let picture = (0..<64).filter { !record.pictureIDs.contains($0) }
            guard min(video.count, sequence.count, picture.count) >= parts else { throw SmartCutRefusal(reason: "the camera's parameter sets use every id") }
            return (0..<parts).map { SmartCutIDs(video: video[$0], sequence: sequence[$0], picture: picture[$0]) }
        }
    }

    /// The record with the re-encoded parts' parameter sets added after the camera's.
    func joined(with sets: [ParameterSet]) -> [UInt8] {
        switch self {
        case .avc(var record):
            for set in sets {
                if set.type == H264Bitstream.sequenceParameterSet { record.sequenceParameterSets.append(set.unit) }
                if set.type == H264Bitstream.pictureParameterSet { record.pictureParameterSets.append(set.unit) }
            }
            // The profile compatibility byte says what every listed SPS keeps to.
            record.compatibility = record.sequenceParameterSets.reduce(0xFF) { $0 & ($1.count > 2 ? $1[2] : 0) }
            return record.bytes
        case .hevc(var record):
            for set in sets { record.append(set.unit, ofType: set.type) }
            return record.bytes
        }
    }
}

/// One parameter set NAL unit (with its header) and its NAL type, for a joined record.
struct ParameterSet: Equatable {
    var type: UInt8
    var unit: [UInt8]
}
