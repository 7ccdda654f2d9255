/// Just enough of HEVC's syntax (ITU-T H.265, 7.3) to give libx265's parameter sets ids of
/// their own and point its slices at them, so its pictures can share an MP4 track (and one hvcC
/// record) with a camera's, whose sets use the same ids. libx265 has no option for the ids, so
/// its output is rewritten: the VPS id (4 fixed bits), the SPS id and the PPS ids (Exp-Golomb
/// numbers whose length changes with the value, so everything after them shifts), and each
/// slice header's PPS id, for which the slice header is read to its end (the slice data after
/// it starts on a byte boundary and is kept byte for byte). Only the syntax libx265 writes under
/// the settings `SmartCutReencoder.x265Options` give it is read; anything else is refused, and
/// the cut is then re-encoded in full.
enum HEVCSyntax {
    static let videoParameterSet: UInt8 = 32
    static let sequenceParameterSet: UInt8 = 33
    static let pictureParameterSet: UInt8 = 34
    /// IDR_W_RADL and IDR_N_LP: decoding starts afresh, nothing before it is referred to.
    static let idrTypes: ClosedRange<UInt8> = 19...20
    /// Coded slices of any picture type (VCL NAL units that libx265 writes).
    static let sliceTypes: ClosedRange<UInt8> = 0...21

    static func type(_ nal: ArraySlice<UInt8>) -> UInt8 { nal.count >= 2 ? (nal[nal.startIndex] >> 1) & 0x3F : 0xFF }

    static let prefixSEI: UInt8 = 39
    /// HDR10's SEI messages: mastering display colour volume, content light level. They refer to
    /// no parameter set, so they are kept as libx265 writes them.
    static let hdr10PayloadTypes: Set<Int> = [137, 144]

    /// Whether a prefix SEI unit's first message is one of HDR10's (payload types under 255 are
    /// a single byte, which no emulation prevention byte can precede).
    static func carriesHDR10Message(_ nal: ArraySlice<UInt8>) -> Bool {
        type(nal) == prefixSEI && nal.count > 2 && hdr10PayloadTypes.contains(Int(nal[nal.startIndex + 2]))
    }

    struct Unsupported: Error, CustomStringConvertible {
        let description: String
        init(_ what: String) { description = "libx265 wrote HEVC syntax the smart cut does not rewrite: \(what)" }
    }

    /// The RBSP after the two-byte NAL header.
    static func rbsp(_ nal: ArraySlice<UInt8>) -> [UInt8] { EmulationPrevention.removed(nal.dropFirst(2)) }

    /// A NAL unit again from its header and a new RBSP.
    static func nal(header: ArraySlice<UInt8>, rbsp: [UInt8]) -> [UInt8] { Array(header.prefix(2)) + EmulationPrevention.inserted(rbsp) }

    /// The bit where a parameter set's rbsp_trailing_bits start (its stop bit, the last one).
    static func stopBit(_ rbsp: [UInt8]) throws -> Int {
        guard let last = rbsp.lastIndex(where: { $0 != 0 }) else { throw Unsupported("a parameter set with no stop bit") }
        return last * 8 + 7 - rbsp[last].trailingZeroBitCount
    }

    /// The ids of a VPS (vps_video_parameter_set_id, its first 4 bits).
    static func videoParameterSetID(_ nal: ArraySlice<UInt8>) -> Int? {
        guard type(nal) == videoParameterSet, nal.count > 2 else { return nil }
        return Int(nal[nal.startIndex + 2] >> 4)
    }

    static func pictureParameterSetID(_ nal: ArraySlice<UInt8>) -> Int? {
        guard type(nal) == pictureParameterSet else { return nil }
        var reader = RBSPReader(rbsp(nal))
        return try? reader.ue()
    }

    static func sequenceParameterSetID(_ nal: ArraySlice<UInt8>) -> Int? {
        guard type(nal) == sequenceParameterSet else { return nil }
        return try? SequenceParameterSet(rbsp: rbsp(nal), full: false).id
    }

    /// profile_tier_level(1, maxSubLayersMinus1) (7.3.3): skipped, its length read from its flags.
    static func skipProfileTierLevel(_ r: inout RBSPReader, maxSubLayersMinus1: Int) throws {
        try r.skip(88 + 8) // general profile, tier, flags and constraints; general_level_idc
        var profilePresent: [Bool] = [], levelPresent: [Bool] = []
        for _ in 0..<maxSubLayersMinus1 {
            profilePresent.append(try r.flag())
            levelPresent.append(try r.flag())
        }
        if maxSubLayersMinus1 > 0 { try r.skip(2 * (8 - maxSubLayersMinus1)) }
        for i in 0..<maxSubLayersMinus1 {
            if profilePresent[i] { try r.skip(88) }
            if levelPresent[i] { try r.skip(8) }
        }
    }

    /// st_ref_pic_set(stRpsIdx) (7.3.7), written out (libx265 never predicts one set from another).
    static func skipShortTermReferenceSet(_ r: inout RBSPReader, index: Int) throws {
        if index != 0, try r.flag() { throw Unsupported("a reference picture set predicted from another") }
        let negative = try r.ue(), positive = try r.ue()
        guard negative <= 16, positive <= 16 else { throw Unsupported("a reference picture set of \(negative + positive) pictures") }
        for _ in 0..<(negative + positive) {
            _ = try r.ue()  // delta_poc_sX_minus1
            try r.skip(1)   // used_by_curr_pic_sX_flag
        }
    }

    /// What a slice header's syntax depends on in the SPS (7.3.2.2).
    struct SequenceParameterSet {
        var videoParameterSetID = 0
        var id = 0
        /// The id's ue(v) bits, from the RBSP's start.
        var idBits = 0..<0
        var chromaArrayType = 1
        var separateColourPlanes = false
        var log2MaxPictureOrderCountLSB = 4
        var picSizeInCtbs = 1
        var shortTermSets = 0
        var longTermReferencePictures = false
        var temporalMVP = false
        var sampleAdaptiveOffset = false

        init(rbsp: [UInt8], full: Bool = true) throws {
            var r = RBSPReader(rbsp)
            do {
                videoParameterSetID = try r.bits(4)
                let maxSubLayersMinus1 = try r.bits(3)
                try r.skip(1) // sps_temporal_id_nesting_flag
                try skipProfileTierLevel(&r, maxSubLayersMinus1: maxSubLayersMinus1)
                let idStart = r.position
                id = try r.ue()
                idBits = idStart..<r.position
                guard full else { return }
                let chromaFormat = try r.ue()
                separateColourPlanes = chromaFormat == 3 ? try r.flag() : false
                chromaArrayType = separateColourPlanes ? 0 : chromaFormat
                let width = try r.ue(), height = try r.ue()
                if try r.flag() { for _ in 0..<4 { _ = try r.ue() } } // conformance window
                _ = try r.ue(); _ = try r.ue() // bit depths
                log2MaxPictureOrderCountLSB = try r.ue() + 4
                let orderingForEach = try r.flag()
                for _ in (orderingForEach ? 0 : maxSubLayersMinus1)...maxSubLayersMinus1 { for _ in 0..<3 { _ = try r.ue() } }
                let log2MinCodingBlock = try r.ue() + 3
                let log2Ctb = log2MinCodingBlock + (try r.ue())
                for _ in 0..<4 { _ = try r.ue() } // transform block sizes and hierarchy depths
                guard log2Ctb <= 6 else { throw Unsupported("a coding tree block of 2^\(log2Ctb)") }
                picSizeInCtbs = ((width + (1 << log2Ctb) - 1) >> log2Ctb) * ((height + (1 << log2Ctb) - 1) >> log2Ctb)
                if try r.flag(), try r.flag() { throw Unsupported("scaling lists in the SPS") }
                try r.skip(1) // amp_enabled_flag
                sampleAdaptiveOffset = try r.flag()
                if try r.flag() { // pcm_enabled_flag
                    try r.skip(8)
                    _ = try r.ue(); _ = try r.ue()
                    try r.skip(1)
                }
                shortTermSets = try r.ue()
                guard shortTermSets <= 64 else { throw Unsupported("\(shortTermSets) short-term reference picture sets") }
                for i in 0..<shortTermSets { try skipShortTermReferenceSet(&r, index: i) }
                longTermReferencePictures = try r.flag()
                if longTermReferencePictures { throw Unsupported("long-term reference pictures") }
                temporalMVP = try r.flag()
            } catch is RBSPReader.OutOfBits {
                throw Unsupported("an SPS that ends early")
            }
        }
    }

    /// What a slice header's syntax depends on in the PPS (7.3.2.3).
    struct PictureParameterSet {
        var id = 0
        var sequenceParameterSetID = 0
        /// The ids' ue(v) bits, from the RBSP's start: pps_pic_parameter_set_id, then pps_seq_parameter_set_id.
        var idBits = 0..<0
        var dependentSliceSegments = false
        var outputFlagPresent = false
        var extraSliceHeaderBits = 0
        var cabacInitPresent = false
        var defaultReferences = (l0: 0, l1: 0)
        var sliceChromaQPOffsets = false
        var weightedPrediction = false
        var weightedBiprediction = false
        var entryPoints = false
        var loopFilterAcrossSlices = false
        var deblockingOverride = false
        var deblockingDisabled = false
        var listsModification = false
        var sliceHeaderExtension = false

        init(rbsp: [UInt8]) throws {
            var r = RBSPReader(rbsp)
            do {
                id = try r.ue()
                sequenceParameterSetID = try r.ue()
                idBits = 0..<r.position
                dependentSliceSegments = try r.flag()
                outputFlagPresent = try r.flag()
                extraSliceHeaderBits = try r.bits(3)
                try r.skip(1) // sign_data_hiding_enabled_flag
                cabacInitPresent = try r.flag()
                defaultReferences = (try r.ue(), try r.ue())
                _ = try r.se() // init_qp_minus26
                try r.skip(2) // constrained_intra_pred_flag, transform_skip_enabled_flag
                if try r.flag() { _ = try r.ue() } // cu_qp_delta_enabled_flag, diff_cu_qp_delta_depth
                _ = try r.se(); _ = try r.se() // pps_cb_qp_offset, pps_cr_qp_offset
                sliceChromaQPOffsets = try r.flag()
                weightedPrediction = try r.flag()
                weightedBiprediction = try r.flag()
                try r.skip(1) // transquant_bypass_enabled_flag
                let tiles = try r.flag()
                entryPoints = try r.flag() || tiles
                if tiles { throw Unsupported("tiles") }
                loopFilterAcrossSlices = try r.flag()
                if try r.flag() { // deblocking_filter_control_present_flag
                    deblockingOverride = try r.flag()
                    deblockingDisabled = try r.flag()
                    if !deblockingDisabled { _ = try r.se(); _ = try r.se() }
                }
                if try r.flag() { throw Unsupported("scaling lists in the PPS") }
                listsModification = try r.flag()
                _ = try r.ue() // log2_parallel_merge_level_minus2
                sliceHeaderExtension = try r.flag()
                if try r.flag() { throw Unsupported("PPS extensions") }
            } catch is RBSPReader.OutOfBits {
                throw Unsupported("a PPS that ends early")
            }
        }
    }

    /// Where a slice segment header keeps slice_pic_parameter_set_id, and where it ends (7.3.6.1).
    struct SliceHeaderLayout {
        var pictureParameterSetIDBits: Range<Int>
        /// The bit where byte_alignment() starts; the slice data begins at the next byte boundary after its one bit.
        var end: Int
    }

    static func sliceHeaderLayout(rbsp: [UInt8], type nalType: UInt8,
                                  pictureSets: [Int: PictureParameterSet], sequenceSets: [Int: SequenceParameterSet]) throws -> SliceHeaderLayout {
        var r = RBSPReader(rbsp)
        do {
            let first = try r.flag()
            if (16...23).contains(nalType) { try r.skip(1) } // no_output_of_prior_pics_flag
            let idStart = r.position
            let ppsID = try r.ue()
            let idBits = idStart..<r.position
            guard let pps = pictureSets[ppsID], let sps = sequenceSets[pps.sequenceParameterSetID] else {
                throw Unsupported("a slice refers to parameter sets the encoder did not write")
            }
            var dependent = false
            if !first {
                if pps.dependentSliceSegments { dependent = try r.flag() }
                try r.skip(Int.bitWidth - (sps.picSizeInCtbs - 1).leadingZeroBitCount) // slice_segment_address, Ceil(Log2(PicSizeInCtbsY)) bits
            }
            if !dependent {
                try r.skip(pps.extraSliceHeaderBits)
                let sliceType = try r.ue() // 0 B, 1 P, 2 I
                guard sliceType <= 2 else { throw Unsupported("slice type \(sliceType)") }
                if pps.outputFlagPresent { try r.skip(1) }
                if sps.separateColourPlanes { try r.skip(2) }
                var temporalMVP = false
                if !idrTypes.contains(nalType) {
                    try r.skip(sps.log2MaxPictureOrderCountLSB) // slice_pic_order_cnt_lsb
                    if try r.flag() { // short_term_ref_pic_set_sps_flag
                        if sps.shortTermSets > 1 { try r.skip(Int.bitWidth - (sps.shortTermSets - 1).leadingZeroBitCount) }
                    } else {
                        try skipShortTermReferenceSet(&r, index: sps.shortTermSets)
                    }
                    if sps.temporalMVP { temporalMVP = try r.flag() }
                }
                var sao = false
                if sps.sampleAdaptiveOffset {
                    sao = try r.flag()
                    if sps.chromaArrayType != 0 { sao = try r.flag() || sao }
                }
                if sliceType != 2 {
                    var references = pps.defaultReferences
                    if try r.flag() { // num_ref_idx_active_override_flag
                        references.l0 = try r.ue()
                        if sliceType == 0 { references.l1 = try r.ue() }
                    }
                    if pps.listsModification { throw Unsupported("reference list modification") }
                    if sliceType == 0 { try r.skip(1) } // mvd_l1_zero_flag
                    if pps.cabacInitPresent { try r.skip(1) }
                    if temporalMVP {
                        let fromL0 = sliceType == 0 ? try r.flag() : true
                        if (fromL0 && references.l0 > 0) || (!fromL0 && references.l1 > 0) { _ = try r.ue() } // collocated_ref_idx
                    }
                    if (pps.weightedPrediction && sliceType == 1) || (pps.weightedBiprediction && sliceType == 0) {
                        throw Unsupported("weighted prediction")
                    }
                    _ = try r.ue() // five_minus_max_num_merge_cand
                }
                _ = try r.se() // slice_qp_delta
                if pps.sliceChromaQPOffsets { _ = try r.se(); _ = try r.se() }
                var deblockingDisabled = pps.deblockingDisabled
                if pps.deblockingOverride, try r.flag() {
                    deblockingDisabled = try r.flag()
                    if !deblockingDisabled { _ = try r.se(); _ = try r.se() }
                }
                if pps.loopFilterAcrossSlices && (sao || !deblockingDisabled) { try r.skip(1) }
            }
            if pps.entryPoints, try r.ue() > 0 {
                // Their byte offsets count emulation-prevention bytes, which a rewrite may move.
                throw Unsupported("entry points (wavefront or tiles)")
            }
            if pps.sliceHeaderExtension { throw Unsupported("a slice header extension") }
            let end = r.position
            // byte_alignment(): a one, then zeros to the byte boundary.
            let one = try r.bits(1), zeros = try r.bits((8 - r.position & 7) & 7)
            guard one == 1, zeros == 0 else {
                throw Unsupported("a slice header that does not end where its syntax says")
            }
            return SliceHeaderLayout(pictureParameterSetIDBits: idBits, end: end)
        } catch is RBSPReader.OutOfBits {
            throw Unsupported("a slice header that ends early")
        }
    }
}
