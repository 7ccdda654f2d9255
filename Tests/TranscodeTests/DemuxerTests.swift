import Foundation
import Testing
import TestSupport
@testable import Transcode

/// An upload is opened as media only: files that would make libav read other files are refused
/// by name before anything is opened, and a cancelled open or read stops at once.
@Suite struct DemuxerTests {
    static func write(_ name: String, _ text: String, in folder: URL) -> String {
        let path = folder.appendingPathComponent(name).path
        _ = FileManager.default.createFile(atPath: path, contents: Data(text.utf8))
        return path
    }

    @Test func instructionsDisguisedAsClipsAreRefused() throws {
        let folder = try TestPaths.scratch("demuxer-refusals")
        try FileManager.default.copyItem(atPath: TestPaths.sample("silent_4x3.mp4"), toPath: folder.appendingPathComponent("other.mp4").path)
        let cases: [(String, String, String)] = [
            ("concat.mp4", "ffconcat version 1.0\nfile other.mp4\n", "ffconcat script"),
            ("playlist.mp4", "#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:10,\nother.mp4\n#EXT-X-ENDLIST\n", "HLS playlist"),
            ("session.mp4", "v=0\no=- 0 0 IN IP4 127.0.0.1\ns=x\nc=IN IP4 127.0.0.1\nt=0 0\nm=video 5004 RTP/AVP 96\n", "SDP"),
            ("captions.mp4", "1\n00:00:01,000 --> 00:00:02,000\nhello\n", "not a video"),
        ]
        for (name, text, expected) in cases {
            let path = Self.write(name, text, in: folder)
            do {
                _ = try Demuxer(path: path)
                Issue.record("\(name) was opened as media")
            } catch let error as TranscodeError {
                #expect(error.kind == .badInput)
                #expect(error.description.hasPrefix("\(name): "), "\(error)")
                #expect(error.reason.contains(expected), "\(name): \(error.reason)")
            }
        }
    }

    @Test func aStillPictureIsNotAClip() throws {
        let jpeg = try Fixtures.make("still.jpg", ["-f", "lavfi", "-i", "testsrc2=s=320x240", "-frames:v", "1"])
        let folder = try TestPaths.scratch("demuxer-still")
        let disguised = folder.appendingPathComponent("still.mp4").path
        try FileManager.default.copyItem(atPath: jpeg, toPath: disguised)
        #expect { try Demuxer(path: disguised) } throws: { ($0 as? TranscodeError)?.reason.contains("still image") == true }
    }

    @Test func everyRealPhoneContainerIsOpened() throws {
        for name in TestPaths.sharedClips {
            let demuxer = try Demuxer(path: TestPaths.shared(name))
            #expect(demuxer.nb_streams > 0, "\(name)")
        }
    }

    @Test func aFolderAndADeviceAreNotFiles() throws {
        let folder = try TestPaths.scratch("demuxer-folder")
        #expect { try Demuxer(path: folder.path) } throws: { ($0 as? TranscodeError)?.reason.contains("folder") == true }
        #expect { try Demuxer(path: "/dev/zero") } throws: { ($0 as? TranscodeError)?.reason.contains("not a regular file") == true }
    }

    @Test func readsToTheEndThenRewindsForASecondPass() throws {
        let demuxer = try Demuxer(path: TestPaths.sample("shatila_landscape.mp4"))
        let packet = try Packet()
        var first = 0
        while try demuxer.read(into: packet) { first += 1; packet.unref() }
        #expect(demuxer.readError == nil)
        try demuxer.rewind()
        var second = 0
        while try demuxer.read(into: packet) { second += 1; packet.unref() }
        #expect(first > 100 && first == second)
    }

    @Test func aCutOffFileEndsReadingWithoutThrowing() throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: TestPaths.shared("chrome57_mediarecorder_truncated.webm")))
        let folder = try TestPaths.scratch("demuxer-cut")
        let cut = folder.appendingPathComponent("cut.webm")
        try data.prefix(data.count / 2).write(to: cut)
        let demuxer = try Demuxer(path: cut.path)
        let packet = try Packet()
        var packets = 0
        while try demuxer.read(into: packet) { packets += 1; packet.unref() }
        #expect(packets > 10)
    }

    @Test func aCancelledFlagStopsOpeningAndReading() throws {
        let flag = CancellationFlag()
        flag.cancel()
        #expect { try Demuxer(path: TestPaths.sample("shatila_landscape.mp4"), cancellation: flag) } throws: {
            ($0 as? TranscodeError)?.kind == .cancelled
        }
        let live = CancellationFlag()
        let demuxer = try Demuxer(path: TestPaths.sample("shatila_landscape.mp4"), cancellation: live)
        let packet = try Packet()
        #expect(try demuxer.read(into: packet))
        packet.unref()
        live.cancel()
        #expect { try demuxer.read(into: packet) } throws: { ($0 as? TranscodeError)?.kind == .cancelled }
    }
}
