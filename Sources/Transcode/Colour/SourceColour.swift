/// How a source's pictures are to be read, decided as players decide it: by its tags when it has
/// them, else by its size (HD and larger BT.709, smaller BT.601) and pixel format (the yuvj
/// formats are full range). Browser recordings, screen captures, some Android phones and
/// messaging apps' re-encodes carry no tags; reading untagged HD as BT.601 (swscale's default)
/// shifts its colours and sends every frame through swscale's slow matrix conversion.
struct SourceColour: Equatable {
    /// swscale's name for the YUV matrix: "bt709", "bt601", "bt2020", "smpte240m", "fcc".
    let matrix: String
    let fullRange: Bool

    init(_ video: StreamInfo) {
        switch video.colorSpace {
        case "bt709": matrix = "bt709"
        case "smpte170m", "bt470bg": matrix = "bt601"
        case "bt2020nc", "bt2020c": matrix = "bt2020"
        case "smpte240m": matrix = "smpte240m"
        case "fcc": matrix = "fcc"
        default:
            let width = video.width ?? 0, height = video.height ?? 0
            matrix = max(width, height) >= 1280 || min(width, height) >= 720 ? "bt709" : "bt601"
        }
        switch video.colorRange {
        case "pc", "jpeg": fullRange = true
        case "tv", "mpeg": fullRange = false
        default: fullRange = (video.pixelFormat ?? "").hasPrefix("yuvj")
        }
    }

    /// The scale filter's colour options for a BT.709 limited-range reply: only a source that
    /// really differs is converted (the same matrix and range pass through swscale's fast path).
    var scaleOptions: String {
        "in_color_matrix=\(matrix):in_range=\(fullRange ? "pc" : "tv"):out_color_matrix=bt709:out_range=tv"
    }

    /// For a limited-range source whose matrix alone differs (BT.601 SD, most often): the
    /// `colorspace` filter, which `make bench` (section 16) measured at the cost of no conversion,
    /// where swscale's matrix path costs about a fifth of the whole chain. Primaries and curve are
    /// read as BT.709's, as players read them, so only the matrix changes and its fast mode is
    /// exact. Nil when swscale is to do it (full range: the yuvj formats the filter does not take).
    var matrixFilter: String? {
        guard !fullRange, matrix != "bt709" else { return nil }
        let space: String
        switch matrix {
        case "bt601": space = "bt470bg"
        case "bt2020": space = "bt2020ncl"
        case "smpte240m": space = "smpte240m"
        case "fcc": space = "fcc"
        default: return nil
        }
        return "colorspace=all=bt709:ispace=\(space):itrc=bt709:iprimaries=bt709:irange=tv:range=tv:fast=1"
    }
}
