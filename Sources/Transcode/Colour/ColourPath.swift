/// How an SDR picture's colours reach the reply's BT.709 limited range, chosen once per source by
/// the plan (and said by `mediaorch plan`). The `colorspace` filter converts a matrix at almost no
/// cost but takes only planar YUV of even width and height (an odd-sized picture, from a screen
/// recording, a cropped export or an old phone, is refused with "Not yet implemented"); the scaled picture is always even-sized, so the filter moves after the scale when
/// the source does not suit it, and swscale's own matrix conversion does the rest.
enum ColourPath: Equatable {
    /// swscale converts as it scales (or passes the picture through: the same matrix and range).
    case inScale
    /// `colorspace` on the source's pictures, then the upscale.
    case matrixBeforeScale
    /// The scale, then `colorspace` on the scaled pictures; `format`: the planar format the
    /// scale hands it when the source's own is not one the filter takes.
    case matrixAfterScale(format: String?)

    /// The formats libavfilter 5.1's `colorspace` takes; it takes them at even sizes only, 4:4:4 too.
    static let matrixFilterFormats: Set<String> = [
        "yuv420p", "yuv422p", "yuv444p", "yuv420p10le", "yuv422p10le", "yuv444p10le", "yuv420p12le", "yuv422p12le", "yuv444p12le",
    ]

    /// `colour`'s path for a source of `video`'s size and format scaled to `scaled` (even-sized).
    init(_ colour: SourceColour, video: StreamInfo, scaled: RenderPlan.Size) {
        guard colour.matrixFilter != nil else { self = .inScale; return }
        let format = video.pixelFormat ?? ""
        let width = video.width ?? 0, height = video.height ?? 0
        let fitsSource = Self.matrixFilterFormats.contains(format) && width % 2 == 0 && height % 2 == 0
        if fitsSource && scaled.width * scaled.height > width * height {
            self = .matrixBeforeScale // converted on the smaller picture
        } else if Self.matrixFilterFormats.contains(format) {
            self = .matrixAfterScale(format: nil)
        } else if Self.isPlanarConvertibleYUV(format) {
            // Packed or semi-planar YUV (nv12, yuyv422…): the scale writes planar 4:2:0 in the same pass.
            // More than 8 bits a sample (p010le, y210le…) stays so; the 8-bit ones (nv12, yuyv422…) become yuv420p.
            self = .matrixAfterScale(format: format.hasSuffix("le") || format.hasSuffix("be") ? "yuv420p10le" : "yuv420p")
        } else {
            self = .inScale // RGB, grey, palettes: swscale's conversion, whose matrix is its output's only
        }
    }

    static func isPlanarConvertibleYUV(_ format: String) -> Bool {
        ["yuv", "nv", "yuyv", "uyvy", "yvyu", "p010", "p016", "y210"].contains { format.hasPrefix($0) } && !format.hasPrefix("yuvj") && !format.hasPrefix("yuva")
    }

    /// The filters for the colour and size steps, in order.
    func filters(_ colour: SourceColour, scaled: RenderPlan.Size) -> [String] {
        let scale = "scale=\(scaled.width):\(scaled.height)"
        switch self {
        case .inScale: return ["\(scale):\(colour.scaleOptions)"]
        case .matrixBeforeScale: return [colour.matrixFilter!, scale]
        case .matrixAfterScale(let format): return [scale] + (format.map { ["format=\($0)"] } ?? []) + [colour.matrixFilter!]
        }
    }

    /// In words, for `mediaorch plan`.
    func summary(_ colour: SourceColour, video: StreamInfo) -> String {
        let source = "\(colour.matrix.uppercased().replacingOccurrences(of: "BT", with: "BT.")) \(colour.fullRange ? "full" : "limited") range"
        let size = "\(video.width ?? 0)x\(video.height ?? 0) \(video.pixelFormat ?? "?")"
        switch self {
        case .inScale where colour.matrix == "bt709" && !colour.fullRange:
            return "\(source), as the reply: no conversion"
        case .inScale:
            return "\(source) to BT.709 limited range by swscale as it scales (the source is \(size))"
        case .matrixBeforeScale:
            return "\(source) to BT.709 limited range by the colorspace filter on the \(size) source, before the upscale"
        case .matrixAfterScale(let format):
            let why = format.map { " (the filter does not take \(video.pixelFormat ?? "its format"): the scale writes \($0))" }
                ?? ((video.width ?? 0) % 2 != 0 || (video.height ?? 0) % 2 != 0
                    ? " (the filter takes even sizes only, and the \(size) source's is odd; the scaled picture's is even)" : "")
            return "\(source) to BT.709 limited range by the colorspace filter on the scaled picture\(why)"
        }
    }
}
