import CAV

/// HDR10's static messages as a camera wrote them with its pictures: the mastering display
/// (SMPTE ST 2086) and the content light level (CTA-861.3), in x265's terms. A smart cut of PQ
/// footage gives them to libx265, so its re-encoded ends carry the same messages as the camera's
/// copied pictures and an HDR screen keeps one look across the joins.
struct HDR10Messages: Equatable {
    /// "G(x,y)B(x,y)R(x,y)WP(x,y)L(max,min)": chromaticities in 0.00002, luminance in 0.0001 cd/m².
    var masterDisplay: String?
    /// "MaxCLL,MaxFALL" in cd/m².
    var maxCLL: String?

    /// From a decoded picture's messages; nil when it carries neither in a usable form.
    init?(picture frame: UnsafePointer<AVFrame>) {
        if let side = av_frame_get_side_data(frame, AV_FRAME_DATA_MASTERING_DISPLAY_METADATA),
           Int(side.pointee.size) >= MemoryLayout<AVMasteringDisplayMetadata>.size {
            let m = UnsafeRawPointer(side.pointee.data!).loadUnaligned(as: AVMasteringDisplayMetadata.self)
            // libav keeps the primaries in R, G, B order; x265 reads them in the SEI's G, B, R.
            let (r, g, b) = m.display_primaries
            let chromaticities = [g.0, g.1, b.0, b.1, r.0, r.1, m.white_point.0, m.white_point.1]
            let p = chromaticities.compactMap { Self.units($0, per: 50_000, max: 50_000) }
            if m.has_primaries != 0, m.has_luminance != 0, p.count == chromaticities.count,
               let maxLuminance = Self.units(m.max_luminance, per: 10_000, max: Int(UInt32.max)),
               let minLuminance = Self.units(m.min_luminance, per: 10_000, max: Int(UInt32.max)) {
                masterDisplay = "G(\(p[0]),\(p[1]))B(\(p[2]),\(p[3]))R(\(p[4]),\(p[5]))WP(\(p[6]),\(p[7]))L(\(maxLuminance),\(minLuminance))"
            }
        }
        if let side = av_frame_get_side_data(frame, AV_FRAME_DATA_CONTENT_LIGHT_LEVEL),
           Int(side.pointee.size) >= MemoryLayout<AVContentLightMetadata>.size {
            let light = UnsafeRawPointer(side.pointee.data!).loadUnaligned(as: AVContentLightMetadata.self)
            // Both are 16 bits in the SEI; a larger value is damage, not a brighter picture.
            if light.MaxCLL <= 65535, light.MaxFALL <= 65535 { maxCLL = "\(light.MaxCLL),\(light.MaxFALL)" }
        }
        if masterDisplay == nil, maxCLL == nil { return nil }
    }

    /// For `x265-params`.
    var x265Parameters: [String] {
        (masterDisplay.map { ["master-display=\($0)"] } ?? []) + (maxCLL.map { ["max-cll=\($0)"] } ?? [])
    }

    /// `value` counted in 1/`per`, within 0...`max`; nil when it is not a number.
    private static func units(_ value: AVRational, per: Int, max: Int) -> Int? {
        guard value.den > 0 else { return nil }
        let x = av_q2d(value) * Double(per)
        guard x.isFinite, x >= 0 else { return nil }
        return Int(min(Double(max), x.rounded()))
    }
}
