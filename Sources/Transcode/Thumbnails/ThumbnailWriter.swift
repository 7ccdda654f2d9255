import CAV
import Foundation

/// A still to write: where, and how wide (nil: the reply's own size).
public struct ThumbnailSpec: Sendable, Equatable {
    public var path: String
    public var width: Int?

    public init(path: String, width: Int? = nil) {
        self.path = path
        self.width = width
    }
}

/// A still that was written.
public struct ThumbnailReport: Sendable, Codable, Equatable {
    public var path: String
    public var width: Int
    public var height: Int
    public var bytes: Int
    /// Where in the reply the frame comes from (seconds).
    public var time: Double
    public var sharpness: Double
    public var brightness: Double
}

/// Turns the chosen decoded frame into JPEGs: the reply's picture treatment (upright, square
/// pixels, tone-mapped, padded to the canvas), scaled to each size, encoded by libjpeg.
enum ThumbnailWriter {
    static func write(_ chosen: (frame: Frame, quality: FrameQuality, time: Double), plan: RenderPlan,
                      specs: [ThumbnailSpec], fileName: String) throws -> [ThumbnailReport] {
        let f = chosen.frame.pointer.pointee
        let sar = f.sample_aspect_ratio.num > 0 ? f.sample_aspect_ratio : AVRational(num: 1, den: 1)
        let source = "video_size=\(f.width)x\(f.height):pix_fmt=\(f.format):time_base=1/30:pixel_aspect=\(sar.num)/\(sar.den)"
        return try specs.map { spec in
            let resize = spec.width.map { ",scale=\($0):-2" } ?? ""
            let graph = try FilterGraph(sourceFilter: ("buffer", source), description: plan.stillFilters + resize + ",format=rgb24",
                                        sinkFilter: "buffersink", context: fileName)
            guard let copy = try chosen.frame.reference(file: fileName) else {
                throw TranscodeError.outOfMemory(allocating: "a reference to the thumbnail's picture", file: fileName)
            }
            copy.pts = 0
            try graph.push(copy)
            try graph.end(at: 1)
            let rgb = try Frame(file: fileName)
            guard try graph.pull(into: rgb) == .frame else {
                throw TranscodeError(.processing, file: fileName, "the thumbnail filters gave no picture")
            }
            let name = URL(fileURLWithPath: spec.path).lastPathComponent
            let jpeg = try JPEGEncoder.encode(rgb: rgb, fileName: name)
            try DurableFile.write(jpeg, to: spec.path)
            return ThumbnailReport(path: spec.path, width: rgb.width, height: rgb.height, bytes: jpeg.count, time: chosen.time,
                                   sharpness: chosen.quality.sharpness, brightness: chosen.quality.brightness)
        }
    }
}
