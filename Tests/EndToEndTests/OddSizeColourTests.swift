import Foundation
import Testing
import TestSupport

/// Odd-sized sources (screen recordings, cropped exports, old phones: 4:2:0 with an odd visible
/// size) in each colour encoding a camera writes, as VP9 WebM the way browsers and Android record
/// them: each renders to a reply X takes, whose colours, decoded by ffmpeg as the reply's BT.709
/// tags say, are the colours filmed. Before the plan moved the `colorspace` filter after the scale
/// for such sources, a BT.601 one failed with libav's "Not yet implemented" (issue 29).
@Suite struct OddSizeColourTests {
    enum Encoding: String, CaseIterable, Sendable {
        case bt601Limited, bt601Full, bt709, untagged

        func matrix(width: Int, height: Int) -> String {
            switch self {
            case .bt601Limited, .bt601Full: "bt601"
            case .bt709: "bt709"
            // Untagged: written as players will read it, by size (HD BT.709, smaller BT.601).
            case .untagged: max(width, height) >= 1280 || min(width, height) >= 720 ? "bt709" : "bt601"
            }
        }
        var fullRange: Bool { self == .bt601Full }
        var tags: [String] {
            switch self {
            case .bt601Limited: ["-colorspace", "smpte170m", "-color_primaries", "smpte170m", "-color_trc", "smpte170m", "-color_range", "tv"]
            case .bt601Full: ["-colorspace", "smpte170m", "-color_primaries", "smpte170m", "-color_trc", "smpte170m", "-color_range", "pc"]
            case .bt709: ["-colorspace", "bt709", "-color_primaries", "bt709", "-color_trc", "bt709", "-color_range", "tv"]
            case .untagged: []
            }
        }
    }

    struct Case: Sendable, CustomStringConvertible {
        var encoding: Encoding
        var width: Int
        var height: Int
        var description: String { "\(width)x\(height) \(encoding.rawValue)" }
    }

    static let cases: [Case] = Encoding.allCases.flatMap { encoding in
        [(161, 121), (719, 1279), (1081, 1919)].map { Case(encoding: encoding, width: $0.0, height: $0.1) }
    }

    static func source(_ c: Case, colour: (name: String, rgb: [Int])) throws -> String {
        let hex = colour.rgb.map { String(format: "%02X", $0) }.joined()
        return try Fixtures.make("odd-\(c.width)x\(c.height)-\(c.encoding.rawValue)-\(colour.name).webm", [
            "-f", "lavfi", "-i", "color=c=0x\(hex):s=\(c.width)x\(c.height):r=30:d=1,format=rgb24",
            "-f", "lavfi", "-i", "sine=frequency=440:duration=1",
            "-vf", "scale=out_color_matrix=\(c.encoding.matrix(width: c.width, height: c.height)):out_range=\(c.encoding.fullRange ? "pc" : "tv"),format=yuv420p",
            "-c:v", "libvpx-vp9", "-lossless", "1", "-deadline", "realtime", "-cpu-used", "8", "-c:a", "libopus", "-shortest"] + c.encoding.tags)
    }

    @Test(arguments: cases)
    func anOddSizedSourceRendersAReplyWithTheColoursFilmed(_ c: Case) throws {
        for colour in [ColourTests.colours[0], ColourTests.colours[2]] {
            let source = try Self.source(c, colour: colour)
            let probed = try #require(try FFprobe.streams(source, select: "v:0").first)
            #expect(probed.int("width") == c.width && probed.int("height") == c.height, "the source is really odd-sized")
            let (run, folder) = try renderReply(source, name: "odd-size/\(c.width)x\(c.height)-\(c.encoding.rawValue)-\(colour.name)")
            #expect(run.status == 0, "\(c): \(run.stderr)")
            guard run.status == 0 else { continue }
            let reply = folder.appendingPathComponent("reply.mp4").path
            try expectXReady(reply, duration: try sourceVideoDuration(source))
            let got = try ColourTests.centreRGB(reply)
            let worst = zip(got, colour.rgb).map { abs($0 - $1) }.max() ?? 99
            #expect(worst <= 6, "\(c) \(colour.name): the reply shows \(got), the camera recorded \(colour.rgb)")
        }
    }

    @Test func planSaysWhichColourPathAnOddSourceTakesAndWhy() throws {
        let source = try Self.source(Case(encoding: .bt601Limited, width: 161, height: 121), colour: ColourTests.colours[0])
        let run = try ExternalTool.run(TestPaths.mediaorch, ["plan", source, "--template", "twitter-reply-fast", "--templates", TestPaths.jobs.path])
        #expect(run.status == 0, "\(run.stderr)")
        let plan = try #require(try JSONSerialization.jsonObject(with: run.stdout) as? [String: Any])
        let colour = try #require(plan["colour"] as? String)
        #expect(colour.contains("colorspace filter on the scaled picture") && colour.contains("161x121"), "\(colour)")
        let filters = try #require(plan["video_filters"] as? String)
        let scale = try #require(filters.range(of: "scale=")), matrix = try #require(filters.range(of: "colorspace="))
        #expect(scale.lowerBound < matrix.lowerBound, "the matrix is converted after the scale: \(filters)")
    }
}
