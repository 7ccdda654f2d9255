import Foundation
import Testing
import TestSupport

/// The reply's colours as a viewer sees them: a flat patch of known sRGB colour, filmed five ways
/// (tagged BT.709, untagged HD, tagged BT.601 SD, untagged SD, full-range HD as GoPros write it),
/// goes through `mediaorch process`; the reply, decoded by ffmpeg as its BT.709 tags say, must
/// give the same colour back. Reading untagged HD as BT.601 (swscale's default) misses by tens of
/// levels on a saturated colour.
@Suite struct ColourTests {
    /// A saturated red, a skin tone, a sky blue: each shows a matrix mix-up differently.
    static let colours: [(name: String, rgb: [Int])] = [("red", [200, 50, 50]), ("skin", [224, 172, 105]), ("sky", [60, 140, 220])]

    enum Source: String, CaseIterable {
        case hd709, hdUntagged, sd601, sdUntagged, hdFullRange

        var size: String { self == .sd601 || self == .sdUntagged ? "640x480" : "1920x1080" }
        var encodeMatrix: String { self == .sd601 || self == .sdUntagged ? "bt601" : "bt709" }
        var fullRange: Bool { self == .hdFullRange }
        var tags: [String] {
            switch self {
            case .hd709: ["-colorspace", "bt709", "-color_primaries", "bt709", "-color_trc", "bt709", "-color_range", "tv"]
            case .sd601: ["-colorspace", "smpte170m", "-color_primaries", "smpte170m", "-color_trc", "smpte170m", "-color_range", "tv"]
            case .hdFullRange: ["-colorspace", "bt709", "-color_primaries", "bt709", "-color_trc", "bt709", "-color_range", "pc"]
            case .hdUntagged, .sdUntagged: []
            }
        }
    }

    static func source(_ kind: Source, colour: (name: String, rgb: [Int])) throws -> String {
        let hex = colour.rgb.map { String(format: "%02X", $0) }.joined()
        return try Fixtures.make("colour-\(kind.rawValue)-\(colour.name).mp4", [
            "-f", "lavfi", "-i", "color=c=0x\(hex):s=\(kind.size):r=30:d=1,format=rgb24",
            "-vf", "scale=out_color_matrix=\(kind.encodeMatrix):out_range=\(kind.fullRange ? "pc" : "tv"),format=yuv420p",
            "-c:v", "libx264", "-preset", "ultrafast", "-qp", "0"] + kind.tags)
    }

    /// The mean RGB of a 16x16 patch at the frame's centre, decoded as the file's tags say.
    static func centreRGB(_ path: String) throws -> [Int] {
        let decoded = try ExternalTool.run("ffmpeg", ["-v", "error", "-i", path, "-frames:v", "1",
                                                      "-vf", "crop=16:16:(iw-16)/2:(ih-16)/2,scale=flags=accurate_rnd+full_chroma_int,format=rgb24",
                                                      "-f", "rawvideo", "-"])
        let bytes = [UInt8](decoded.stdout)
        guard bytes.count == 16 * 16 * 3 else { throw OracleError("\(path): decoded \(bytes.count) bytes: \(decoded.stderr)") }
        return (0..<3).map { channel in stride(from: channel, to: bytes.count, by: 3).map { Int(bytes[$0]) }.reduce(0, +) / 256 }
    }

    @Test(arguments: Source.allCases)
    func theReplyShowsTheColourTheCameraRecorded(_ kind: Source) throws {
        for colour in Self.colours {
            let source = try Self.source(kind, colour: colour)
            let out = try TestPaths.scratch("colour/\(kind.rawValue)-\(colour.name)")
            let run = try ExternalTool.run(TestPaths.mediaorch, ["process", source, "--out", out.path, "--template", "twitter-reply-fast",
                                                                 "--outputs", "reply", "--templates", TestPaths.jobs.path])
            #expect(run.status == 0, "\(run.stderr)")
            let got = try Self.centreRGB(out.appendingPathComponent("reply.mp4").path)
            let worst = zip(got, colour.rgb).map { abs($0 - $1) }.max() ?? 99
            #expect(worst <= 6, "\(kind) \(colour.name): the reply shows \(got), the camera recorded \(colour.rgb)")
        }
    }
}
