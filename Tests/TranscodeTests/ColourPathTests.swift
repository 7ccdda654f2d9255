import Testing
@testable import Transcode

/// Every colour path the plan can choose, on odd and even picture sizes and the pixel formats
/// phones, screen recorders and exports write: the chain the plan builds must be one libavfilter
/// configures (an odd-sized 4:2:0 picture in `colorspace` is refused at configuration: the
/// regression of issue 29).
@Suite struct ColourPathTests {
    struct Source: CustomStringConvertible, Sendable {
        var space: String?
        var range: String?
        var format: String
        var width: Int
        var height: Int
        var description: String { "\(width)x\(height) \(format) \(space ?? "untagged") \(range ?? "")" }

        var stream: StreamInfo {
            var info = StreamInfo(index: 0, type: .video, codec: "h264")
            (info.width, info.height, info.pixelFormat, info.colorSpace, info.colorRange) = (width, height, format, space, range)
            return info
        }
    }

    static let sizes = [(161, 121), (160, 120), (719, 1279), (720, 1280), (1081, 1919), (1080, 1920), (1919, 1081)]
    static let kinds: [(space: String?, range: String?, format: String)] = [
        ("smpte170m", "tv", "yuv420p"), ("bt470bg", "tv", "yuv420p"), (nil, nil, "yuv420p"), ("bt709", "tv", "yuv420p"),
        ("smpte170m", "pc", "yuvj420p"), ("smpte170m", "pc", "yuv420p"), ("smpte170m", "tv", "nv12"), ("smpte170m", "tv", "yuv422p"),
        ("smpte170m", "tv", "yuv444p"), ("smpte170m", "tv", "yuv420p10le"), ("bt2020nc", "tv", "yuv420p10le"), (nil, nil, "rgb24"),
        (nil, nil, "gray"), ("smpte170m", "tv", "yuyv422"),
    ]

    static var sources: [Source] {
        kinds.flatMap { kind in sizes.map { Source(space: kind.space, range: kind.range, format: kind.format, width: $0.0, height: $0.1) } }
    }

    @Test(arguments: sources)
    func thePlansChainConfiguresForEverySourceSizeAndFormat(_ source: Source) throws {
        let video = source.stream
        let aspect = Double(source.width) / Double(source.height)
        let canvas = RenderPlan.canvas(forAspect: aspect)
        let content = RenderPlan.fit(aspect: aspect, in: canvas)
        let chain = RenderPlan.pictureChain(video: video, content: content, canvas: canvas,
                                            toneMapping: ToneMapping(peak: .nominal(for: video), lutPath: nil))
        let arguments = "video_size=\(source.width)x\(source.height):pix_fmt=\(source.format):time_base=1/30:pixel_aspect=1/1"
        #expect(throws: Never.self, "\(source): \(chain)") {
            _ = try FilterGraph(sourceFilter: ("buffer", arguments), description: chain, sinkFilter: "buffersink", context: "\(source)")
        }
    }

    @Test func thePathIsChosenBySizeFormatAndRange() {
        func path(_ space: String?, _ range: String?, _ format: String, _ w: Int, _ h: Int) -> ColourPath {
            let video = Source(space: space, range: range, format: format, width: w, height: h).stream
            let aspect = Double(w) / Double(h)
            return RenderPlan.colourPath(video: video, content: RenderPlan.fit(aspect: aspect, in: RenderPlan.canvas(forAspect: aspect)))
        }
        // BT.601 limited SD: the matrix on the smaller picture, before the upscale, when it fits.
        #expect(path("smpte170m", "tv", "yuv420p", 640, 480) == .matrixBeforeScale)
        // Odd-sized: after the scale, on the even scaled picture.
        #expect(path("smpte170m", "tv", "yuv420p", 161, 121) == .matrixAfterScale(format: nil))
        #expect(path("smpte170m", "tv", "yuv420p", 719, 1279) == .matrixAfterScale(format: nil))
        // The filter takes even sizes only, 4:4:4 too.
        #expect(path("smpte170m", "tv", "yuv444p", 161, 121) == .matrixAfterScale(format: nil))
        #expect(path("smpte170m", "tv", "yuv444p", 160, 120) == .matrixBeforeScale)
        #expect(path("smpte170m", "tv", "p010le", 1920, 1080) == .matrixAfterScale(format: "yuv420p10le"))
        // Formats the filter does not take: the scale writes planar 4:2:0 for it.
        #expect(path("smpte170m", "tv", "nv12", 640, 480) == .matrixAfterScale(format: "yuv420p"))
        // A downscale converts after it, on fewer pixels.
        #expect(path("smpte170m", "tv", "yuv420p", 1081, 1919) == .matrixAfterScale(format: nil))
        // Full range, BT.709 and RGB: swscale as it scales.
        #expect(path("smpte170m", "pc", "yuvj420p", 161, 121) == .inScale)
        #expect(path("bt709", "tv", "yuv420p", 1081, 1919) == .inScale)
        #expect(path(nil, nil, "rgb24", 161, 121) == .inScale)
    }
}
