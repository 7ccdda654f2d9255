import Foundation
import Testing
import TestSupport
@testable import Transcode

/// Files a field upload really produces when something goes wrong: each is refused with a
/// reason that names the file, and nothing crashes.
@Suite struct BrokenInputTests {
    static func brokenFiles() throws -> [(name: String, path: String, reasonContains: String)] {
        let dir = try TestPaths.scratch("broken-inputs")
        func write(_ name: String, _ data: Data) -> String {
            let path = dir.appendingPathComponent(name).path
            _ = FileManager.default.createFile(atPath: path, contents: data)
            return path
        }
        // The same noise every run: random bytes now and then look enough like a text container
        // (LRC lyrics) for libav to name it, which the whitelist then refuses as "not a video".
        var state: UInt32 = 0x9E37_79B9
        let noise = Data((0..<65_536).map { _ -> UInt8 in
            state = state &* 1_664_525 &+ 1_013_904_223
            return UInt8(truncatingIfNeeded: state >> 24)
        })
        let gopro = try Data(contentsOf: URL(fileURLWithPath: TestPaths.shared("gopro_max_heromode.mp4")))
        let layout = try #require(ISOBaseMediaLayout(path: TestPaths.shared("gopro_max_heromode.mp4")))
        let moov = try #require(layout.boxes.first { $0.type == "moov" })
        // The GoPro file keeps its moov after mdat, as cameras write it: cutting before it is
        // exactly what an unfinished upload looks like.
        let cutBeforeMoov = gopro.prefix(Int(moov.offset) / 2)
        return [
            ("empty.mp4", write("empty.mp4", Data()), "empty"),
            ("random.mp4", write("random.mp4", noise), "not a media file"),
            ("notes.txt", write("notes.txt", Data("Abu, Kakuma, 2 takes. Use the second.\n".utf8)), "not a media file"),
            ("cut-before-moov.mp4", write("cut-before-moov.mp4", cutBeforeMoov), "moov"),
        ]
    }

    @Test func eachBrokenFileIsRefusedWithItsName() throws {
        for file in try Self.brokenFiles() {
            do {
                _ = try Demuxer(path: file.path).probe()
                Issue.record("\(file.name) was accepted")
            } catch let error as TranscodeError {
                #expect(error.kind == .badInput, "\(file.name)")
                #expect(error.description.hasPrefix(file.name + ": "), "\(error)")
                #expect(error.reason.contains(file.reasonContains), "\(file.name): \(error.reason)")
                #expect(!error.description.contains("\n"))
            }
        }
    }

    @Test func missingFileIsNamed() {
        #expect(throws: TranscodeError(.badInput, file: "nowhere.mp4", "file not found")) {
            try Demuxer(path: "/nonexistent/nowhere.mp4")
        }
    }

    @Test func layoutTellsAnUnfinishedUploadFromAWholeFile() throws {
        let whole = try #require(ISOBaseMediaLayout(path: TestPaths.shared("gopro_max_heromode.mp4")))
        #expect(whole.isComplete)
        let dir = try TestPaths.scratch("layout")
        let data = try Data(contentsOf: URL(fileURLWithPath: TestPaths.sample("shatila_landscape.mp4")))
        let cut = dir.appendingPathComponent("cut.mp4")
        try data.prefix(data.count - 1000).write(to: cut)
        let truncated = try #require(ISOBaseMediaLayout(path: cut.path))
        #expect(!truncated.isComplete)
        #expect(ISOBaseMediaLayout(path: TestPaths.shared("chrome57_mediarecorder_truncated.webm")) == nil)
    }

    /// Found by make fuzz-http: a box with a 64-bit size near 2^64 after the first overflowed
    /// offset + size in the inbox scanner, killing the service at every restart.
    @Test func aSixtyFourBitBoxSizeNearItsLimitIsDamageNotATrap() throws {
        var file = Data([0, 0, 0, 16]) + Data("ftypisom".utf8) + Data(count: 4)
        file += Data([0, 0, 0, 1]) + Data("mdat".utf8) + Data(repeating: 0xFF, count: 8) + Data(count: 64)
        let path = try TestPaths.scratch("layout").appendingPathComponent("huge-box.mp4")
        try file.write(to: path)
        let layout = try #require(ISOBaseMediaLayout(path: path.path))
        #expect(!layout.isComplete && layout.missingBytes > 0)
    }
}
