import CAV

/// The HDR messages a camera writes with its pictures (or a container keeps for the stream): the
/// mastering display (SMPTE ST 2086) and the content light level (CTA-861.3), HDR10's static
/// metadata. The reply's tone mapping reads its peak from them (`SignalPeak`); a smart cut of PQ
/// footage gives them to libx265, so its re-encoded ends carry the same messages as the camera's
/// copied pictures and an HDR screen keeps one look across the joins.
struct HDRMessages {
    var display: AVMasteringDisplayMetadata?
    var light: AVContentLightMetadata?

    /// From a decoded picture's side data; nil when it carries neither.
    init?(picture frame: UnsafePointer<AVFrame>) {
        let display = av_frame_get_side_data(frame, AV_FRAME_DATA_MASTERING_DISPLAY_METADATA)
        let light = av_frame_get_side_data(frame, AV_FRAME_DATA_CONTENT_LIGHT_LEVEL)
        self.init(display: display?.pointee.data, displaySize: display.map { Int($0.pointee.size) } ?? 0,
                  light: light?.pointee.data, lightSize: light.map { Int($0.pointee.size) } ?? 0)
    }

    /// From the container's records of the stream (an MP4's mdcv and clli boxes, Matroska's colour
    /// elements); nil when it has neither.
    init?(stream: UnsafePointer<AVStream>) {
        var displaySize = 0, lightSize = 0
        let display = av_stream_get_side_data(stream, AV_PKT_DATA_MASTERING_DISPLAY_METADATA, &displaySize)
        let light = av_stream_get_side_data(stream, AV_PKT_DATA_CONTENT_LIGHT_LEVEL, &lightSize)
        self.init(display: display, displaySize: displaySize, light: light, lightSize: lightSize)
    }

    private init?(display: UnsafeMutablePointer<UInt8>?, displaySize: Int, light: UnsafeMutablePointer<UInt8>?, lightSize: Int) {
        if let display, displaySize >= MemoryLayout<AVMasteringDisplayMetadata>.size {
            self.display = UnsafeRawPointer(display).loadUnaligned(as: AVMasteringDisplayMetadata.self)
        }
        if let light, lightSize >= MemoryLayout<AVContentLightMetadata>.size {
            self.light = UnsafeRawPointer(light).loadUnaligned(as: AVContentLightMetadata.self)
        }
        if self.display == nil, self.light == nil { return nil }
    }

    /// The mastering display's peak (cd/m²), when it states one that is a number.
    var displayPeak: Double? {
        guard let display, display.has_luminance != 0, display.max_luminance.den > 0 else { return nil }
        let nits = av_q2d(display.max_luminance)
        return nits.isFinite && nits > 0 ? nits : nil
    }

    /// For libx265's `x265-params`: "master-display=G(x,y)B(x,y)R(x,y)WP(x,y)L(max,min)"
    /// (chromaticities in 0.00002, luminance in 0.0001 cd/m²) and "max-cll=MaxCLL,MaxFALL", each
    /// when it can be written whole; values that are not numbers leave it out.
    var x265Parameters: [String] {
        var parameters: [String] = []
        if let m = display, m.has_primaries != 0, m.has_luminance != 0 {
            // libav keeps the primaries in R, G, B order; x265 reads them in the SEI's G, B, R.
            let (r, g, b) = m.display_primaries
            let chromaticities = [g.0, g.1, b.0, b.1, r.0, r.1, m.white_point.0, m.white_point.1]
            let p = chromaticities.compactMap { Self.units($0, per: 50_000, max: 50_000) }
            if p.count == chromaticities.count, let most = Self.units(m.max_luminance, per: 10_000, max: Int(UInt32.max)),
               let least = Self.units(m.min_luminance, per: 10_000, max: Int(UInt32.max)) {
                parameters.append("master-display=G(\(p[0]),\(p[1]))B(\(p[2]),\(p[3]))R(\(p[4]),\(p[5]))WP(\(p[6]),\(p[7]))L(\(most),\(least))")
            }
        }
        // Both are 16 bits in the SEI; a larger value is damage, not a brighter picture.
        if let light, light.MaxCLL <= 65535, light.MaxFALL <= 65535 {
            parameters.append("max-cll=\(light.MaxCLL),\(light.MaxFALL)")
        }
        return parameters
    }

    /// `value` counted in 1/`per`, within 0...`max`; nil when it is not a number.
    private static func units(_ value: AVRational, per: Int, max: Int) -> Int? {
        guard value.den > 0 else { return nil }
        let x = av_q2d(value) * Double(per)
        guard x.isFinite, x >= 0 else { return nil }
        return Int(min(Double(max), x.rounded()))
    }
}
