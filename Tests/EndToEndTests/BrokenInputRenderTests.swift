import Foundation
import Testing
import TestSupport

/// Every kind of broken upload ends with a non-zero exit, one line naming the file, and no reply.
@Suite struct BrokenInputRenderTests {
    static func cases() throws -> [(name: String, path: String)] {
        let dir = try TestPaths.scratch("broken-uploads")
        func write(_ name: String, _ data: Data) -> (String, String) {
            let path = dir.appendingPathComponent(name).path
            _ = FileManager.default.createFile(atPath: path, contents: data)
            return (name, path)
        }
        let gopro = try Data(contentsOf: URL(fileURLWithPath: TestPaths.shared("gopro_max_heromode.mp4")))
        // A faststart MP4 (moov first) cut inside its media data: "truncated after the moov".
        let faststart = try Fixtures.make("faststart.mp4", [
            "-f", "lavfi", "-i", "testsrc2=s=640x360:r=30:d=3", "-c:v", "libx264", "-preset", "ultrafast", "-movflags", "+faststart"])
        let whole = try Data(contentsOf: URL(fileURLWithPath: faststart))
        let audioOnly = try Fixtures.make("audio-only.m4a", ["-f", "lavfi", "-i", Fixtures.speech + ":d=2", "-c:a", "aac"])
        // Found by make fuzz: an iPhone clip whose audio sample description is cut to its header
        // claims 1 Hz sound; resampling that to 48 kHz took gigabytes before it was refused.
        var iphone = try Data(contentsOf: URL(fileURLWithPath: TestPaths.shared("iphone6_h264_rot_gps.mov")))
        let mp4a = try #require(iphone.range(of: Data("mp4a".utf8)))
        iphone.replaceSubrange((mp4a.lowerBound - 4)..<mp4a.lowerBound, with: [0, 0, 0, 8])
        return [
            write("audio-1hz.mov", iphone),
            write("zero.mp4", Data()),
            write("random.mp4", Data((0..<100_000).map { _ in UInt8.random(in: 0...255) })),
            write("cut-before-moov.mp4", gopro.prefix(gopro.count / 3)),
            write("cut-after-moov.mp4", whole.prefix(whole.count * 6 / 10)),
            ("audio-only.m4a", audioOnly),
            write("notes.mp4", Data("Take 2 is better. Abu.\n".utf8)),
        ]
    }

    @Test func eachFailsClearlyAndLeavesNoReply() throws {
        for (name, path) in try Self.cases() {
            let (result, folder) = try renderReply(path, name: "broken-\(name)")
            #expect(result.status != 0, "\(name) was accepted")
            let lines = result.stderr.split(separator: "\n").filter { !$0.contains("%") }
            #expect(lines.count == 1 && lines[0].contains(name), "\(name): \(result.stderr)")
            expectNothingLeftBehind(in: folder)
        }
    }
}
