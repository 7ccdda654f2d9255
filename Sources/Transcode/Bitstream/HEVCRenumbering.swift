/// libx265's parameter sets under the ids a smart cut gives them, and its slices pointed at
/// them (see `HEVCSyntax`). Made once per encoder from its global header.
struct HEVCRenumbering {
    let ids: SmartCutIDs
    /// The rewritten VPS, SPS and PPS, with their NAL types.
    let parameterSets: [ParameterSet]
    private let pictureSets: [Int: HEVCSyntax.PictureParameterSet]
    private let sequenceSets: [Int: HEVCSyntax.SequenceParameterSet]

    init(encoderHeader units: [ArraySlice<UInt8>], ids: SmartCutIDs) throws {
        self.ids = ids
        func only(_ type: UInt8) throws -> ArraySlice<UInt8> {
            let found = units.filter { HEVCSyntax.type($0) == type }
            guard found.count == 1 else { throw HEVCSyntax.Unsupported("\(found.count) parameter sets of NAL type \(type) in its header") }
            return found[0]
        }
        let vps = try only(HEVCSyntax.videoParameterSet), sps = try only(HEVCSyntax.sequenceParameterSet), pps = try only(HEVCSyntax.pictureParameterSet)

        var vpsBits = HEVCSyntax.rbsp(vps)
        vpsBits[0] = UInt8(ids.video << 4) | (vpsBits[0] & 0x0F) // vps_video_parameter_set_id: 4 bits

        let spsBits = HEVCSyntax.rbsp(sps)
        let sequence = try HEVCSyntax.SequenceParameterSet(rbsp: spsBits)
        var newSPS = RBSPWriter()
        newSPS.put(ids.video, bits: 4) // sps_video_parameter_set_id
        newSPS.copy(spsBits, from: 4, to: sequence.idBits.lowerBound)
        newSPS.ue(ids.sequence)
        newSPS.copy(spsBits, from: sequence.idBits.upperBound, to: try HEVCSyntax.stopBit(spsBits))
        newSPS.align()

        let ppsBits = HEVCSyntax.rbsp(pps)
        let picture = try HEVCSyntax.PictureParameterSet(rbsp: ppsBits)
        guard picture.sequenceParameterSetID == sequence.id else { throw HEVCSyntax.Unsupported("a PPS for an SPS it did not write") }
        var newPPS = RBSPWriter()
        newPPS.ue(ids.picture)
        newPPS.ue(ids.sequence)
        newPPS.copy(ppsBits, from: picture.idBits.upperBound, to: try HEVCSyntax.stopBit(ppsBits))
        newPPS.align()

        parameterSets = [ParameterSet(type: HEVCSyntax.videoParameterSet, unit: HEVCSyntax.nal(header: vps, rbsp: vpsBits)),
                         ParameterSet(type: HEVCSyntax.sequenceParameterSet, unit: HEVCSyntax.nal(header: sps, rbsp: newSPS.bytes)),
                         ParameterSet(type: HEVCSyntax.pictureParameterSet, unit: HEVCSyntax.nal(header: pps, rbsp: newPPS.bytes))]
        // Slices are read against the sets as the encoder wrote them, under its own ids.
        pictureSets = [picture.id: picture]
        sequenceSets = [sequence.id: sequence]
    }

    /// A coded slice with its slice_pic_parameter_set_id changed; its slice data byte for byte.
    func slice(_ nal: ArraySlice<UInt8>) throws -> [UInt8] {
        let rbsp = HEVCSyntax.rbsp(nal)
        let layout = try HEVCSyntax.sliceHeaderLayout(rbsp: rbsp, type: HEVCSyntax.type(nal), pictureSets: pictureSets, sequenceSets: sequenceSets)
        var header = RBSPWriter()
        header.copy(rbsp, from: 0, to: layout.pictureParameterSetIDBits.lowerBound)
        header.ue(ids.picture)
        header.copy(rbsp, from: layout.pictureParameterSetIDBits.upperBound, to: layout.end)
        header.align()
        let data = (layout.end + 8) / 8 // after byte_alignment()'s one bit and its zeros
        return HEVCSyntax.nal(header: nal, rbsp: header.bytes + rbsp[data...])
    }
}

/// The ids one re-encoded part of a smart cut writes its parameter sets under: none the camera's use.
struct SmartCutIDs: Equatable {
    var video: Int
    var sequence: Int
    var picture: Int
}
