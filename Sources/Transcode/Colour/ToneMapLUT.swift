import CAV
import Foundation

/// HDR (HLG or PQ) to SDR BT.709 as a 3D LUT. The exact chain (zimg to display light, BT.2020
/// to BT.709 primaries, Hable's curve at the clip's peak, BT.709 gamma) runs in 32-bit float on
/// every pixel, too slow to run per pixel of every picture (Docs/benchmarks.md, "The HDR tone
/// map's table"). Each output colour
/// depends on its input colour alone, so the render samples that very chain once, at 33³ colours,
/// into a .cube file beside the output, and lut3d interpolates it (tetrahedral) on 16-bit RGB. A
/// single picture (a thumbnail) takes the exact chain: cheaper than lut3d reading the table.
///
/// One table serves the whole clip because the curve's one free value, the peak, is read once
/// for the whole clip (`Demuxer.signalPeak`) and written into the chain.
struct ToneMapLUT {
    /// Grid points on each axis: close enough to the exact chain that the RGB conversions, not
    /// the table, set the error, and small enough for lut3d to read as text when the graph opens
    /// (Docs/benchmarks.md, "The HDR tone map's table").
    static let points = 33

    /// HDR RGB → BT.709 primaries, tone-mapped from `peak` (1 = 100 cd/m²), in linear light.
    static func toDisplayLight(peak: SignalPeak) -> String {
        "zscale=t=linear:npl=100,format=gbrpf32le,zscale=p=bt709,tonemap=tonemap=hable:desat=0:peak=\(peak.filterValue)"
    }

    /// The exact chain for pictures of either HDR curve, ending in BT.709 limited-range YUV.
    static func exactChain(peak: SignalPeak) -> String { toDisplayLight(peak: peak) + ",zscale=t=bt709:m=bt709:r=tv" }

    let path: String

    /// Writes the LUT beside `outputPath` for `video`'s pictures (HLG or PQ; BT.2020 when its
    /// primaries are untagged), tone-mapped from `peak`.
    init(besideOutput outputPath: String, outputName: String, video: StreamInfo, peak: SignalPeak) throws {
        path = URL(fileURLWithPath: outputPath).deletingLastPathComponent().appendingPathComponent(".tonemap-\(UUID().uuidString).cube").path
        let text = try Self.cube(primaries: video.colorPrimaries, transfer: video.hdr == "PQ" ? AVCOL_TRC_SMPTE2084 : AVCOL_TRC_ARIB_STD_B67,
                                 peak: peak, context: outputName)
        guard FileManager.default.createFile(atPath: path, contents: text) else {
            throw TranscodeError(.output, file: outputName, "cannot write the HDR tone-mapping table to \(path)")
        }
    }

    func remove() { unlink(path) }

    /// The filters from the scaled source to BT.709 YUV through the LUT at `lutPath`. lut3d keeps
    /// the source's HDR tags on its pictures; they are re-tagged BT.709, as the exact chain's last
    /// zscale tags them, so no later conversion reads them with BT.2020's matrix.
    static func chain(lutPath: String) -> String {
        "lut3d=file=\(FilterEscaping.value(lutPath)):interp=tetrahedral,scale=out_color_matrix=bt709:out_range=tv,"
            + "setparams=color_primaries=bt709:color_trc=bt709:colorspace=bt709:range=tv"
    }

    /// The .cube text: the exact chain run on one picture holding every grid colour (full-range
    /// 16-bit RGB, red fastest, as lut3d indexes it), values kept unclipped so interpolation
    /// stays smooth where a channel crosses zero; lut3d clips its 16-bit output.
    static func cube(primaries: String?, transfer: AVColorTransferCharacteristic, peak: SignalPeak, context: String) throws -> Data {
        let n = points
        let grid = try Frame(file: context)
        let f = grid.pointer
        f.pointee.width = Int32(n * n)
        f.pointee.height = Int32(n)
        f.pointee.format = AV_PIX_FMT_GBRP16LE.rawValue
        guard av_frame_get_buffer(f, 0) >= 0 else {
            throw TranscodeError.outOfMemory(allocating: "a \(n * n)x\(n) picture for the HDR tone-mapping table", file: context)
        }
        let level = (0..<n).map { UInt16((Double($0) * 65535 / Double(n - 1)).rounded()) }
        // Planes in libav's GBR order; a row is one blue level, its columns green-major, red-minor.
        for b in 0..<n {
            let g = row(f.pointee.data.0, f.pointee.linesize.0, b, as: UInt16.self)
            let bl = row(f.pointee.data.1, f.pointee.linesize.1, b, as: UInt16.self)
            let r = row(f.pointee.data.2, f.pointee.linesize.2, b, as: UInt16.self)
            for gi in 0..<n {
                for ri in 0..<n {
                    g[gi * n + ri] = level[gi]; bl[gi * n + ri] = level[b]; r[gi * n + ri] = level[ri]
                }
            }
        }
        let tagged = primaries.map { av_color_primaries_from_name($0) } ?? -1
        f.pointee.color_primaries = tagged >= 0 ? AVColorPrimaries(rawValue: UInt32(tagged)) : AVCOL_PRI_BT2020
        f.pointee.color_trc = transfer
        f.pointee.colorspace = AVCOL_SPC_RGB
        f.pointee.color_range = AVCOL_RANGE_JPEG
        f.pointee.pts = 0

        let graph = try FilterGraph(sourceFilter: ("buffer", "video_size=\(n * n)x\(n):pix_fmt=\(AV_PIX_FMT_GBRP16LE.rawValue):time_base=1/1:pixel_aspect=1/1"),
                                    description: toDisplayLight(peak: peak) + ",zscale=t=bt709,format=gbrpf32le", sinkFilter: "buffersink", context: context)
        try graph.push(grid)
        try graph.end(at: 1)
        let sampled = try Frame(file: context)
        guard try graph.pull(into: sampled) == .frame, sampled.width == n * n, sampled.height == n else {
            throw TranscodeError(.processing, file: context, "the HDR tone-mapping filters gave no picture for the table")
        }
        let s = sampled.pointer.pointee
        var text = Data("LUT_3D_SIZE \(n)\n".utf8)
        text.reserveCapacity(n * n * n * 30)
        for b in 0..<n {
            let g = row(s.data.0, s.linesize.0, b, as: Float.self), bl = row(s.data.1, s.linesize.1, b, as: Float.self)
            let r = row(s.data.2, s.linesize.2, b, as: Float.self)
            for i in 0..<(n * n) {
                appendDecimal(r[i], to: &text); text.append(0x20)
                appendDecimal(g[i], to: &text); text.append(0x20)
                appendDecimal(bl[i], to: &text); text.append(0x0A)
            }
        }
        return text
    }

    /// Row `y` of a plane libav allocated (untyped memory), as samples of type `T`.
    private static func row<T>(_ plane: UnsafeMutablePointer<UInt8>?, _ linesize: Int32, _ y: Int, as: T.Type) -> UnsafeMutablePointer<T> {
        UnsafeMutableRawPointer(plane!.advanced(by: y * Int(linesize))).assumingMemoryBound(to: T.self)
    }

    /// `x` with six decimals ("-0.013403"), without String(format:)'s cost on each of 108 000 values.
    static func appendDecimal(_ x: Float, to text: inout Data) {
        let micro = x.isFinite ? Int((Double(max(-1000, min(1000, x))) * 1_000_000).rounded()) : 0
        if micro < 0 { text.append(0x2D) }
        let magnitude = abs(micro)
        text.append(contentsOf: String(magnitude / 1_000_000).utf8)
        text.append(0x2E)
        let fraction = magnitude % 1_000_000
        var digits = [UInt8](repeating: 0x30, count: 6)
        var rest = fraction
        for k in stride(from: 5, through: 0, by: -1) { digits[k] = UInt8(0x30 + rest % 10); rest /= 10 }
        text.append(contentsOf: digits)
    }
}

/// How a render brings an HDR source's pictures to SDR: the exact chain at the clip's `peak`, or
/// that chain sampled into the table at `lutPath`.
struct ToneMapping {
    var peak: SignalPeak
    var lutPath: String?

    /// The exact chain at the same peak: for single pictures.
    var exact: ToneMapping { ToneMapping(peak: peak, lutPath: nil) }
}
