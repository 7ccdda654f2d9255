import Foundation
import Synchronization
import Testing
import TestSupport
@testable import Transcode

/// A render reads an upload while it arrives: a fragmented MP4 and a WebM fed in pieces with
/// pauses render to the same reply as the whole file, starting before the last piece; a feed that
/// stalls, an upload deleted half way and a length never told each end the render with a message;
/// and no read ever sees a byte past what was acknowledged.
@Suite(.serialized) struct GrowingFileTests {
    /// Copies a file into place piece by piece on a thread of its own, acknowledging each piece
    /// after it is written, the way the tus side does; `look` is what the reader is told.
    final class Feed: Sendable {
        let path: String
        let total: Int64
        private let acknowledged = Atomic<Int64>(0)
        private let finished = Atomic<Bool>(false)
        private let deleted = Atomic<Bool>(false)
        /// When the last piece was acknowledged (seconds since the reference date).
        let doneAt = Atomic<Double>(0)

        init(copying source: String, to path: String) throws {
            self.path = path
            total = Int64(try Data(contentsOf: URL(fileURLWithPath: source)).count)
            _ = FileManager.default.createFile(atPath: path, contents: Data())
        }

        /// Sends `source` in pieces of `piece` bytes, `pause` apart; stops after `stopAfter` bytes
        /// (a stalled sender) and tells the length at the end only when `tellLength`.
        func start(_ source: String, piece: Int, pause: TimeInterval, stopAfter: Int64? = nil, tellLength: Bool = true) {
            let data = try! Data(contentsOf: URL(fileURLWithPath: source))
            let path = self.path
            Thread.detachNewThread { [self] in
                let handle = FileHandle(forWritingAtPath: path)!
                var at = 0
                while at < data.count {
                    if deleted.load(ordering: .relaxed) { return }
                    let end = min(data.count, at + piece)
                    handle.write(data[at..<end])
                    try? handle.synchronize()
                    at = end
                    acknowledged.store(Int64(at), ordering: .releasing)
                    if let stopAfter, Int64(at) >= stopAfter { return }
                    Thread.sleep(forTimeInterval: pause)
                }
                if tellLength { finished.store(true, ordering: .releasing) }
                doneAt.store(Date().timeIntervalSinceReferenceDate, ordering: .releasing)
            }
        }

        func delete() { deleted.store(true, ordering: .releasing); unlink(path) }

        var look: @Sendable () -> ArrivalState {
            { [self] in
                if deleted.load(ordering: .acquiring) { return .abandoned("the upload was deleted") }
                if finished.load(ordering: .acquiring) { return .complete(length: total) }
                return .arriving(acknowledged: acknowledged.load(ordering: .acquiring))
            }
        }
    }

    static func fragmentedMP4() throws -> String {
        try Fixtures.make("growing-fragmented-10s.mp4", [
            "-f", "lavfi", "-i", "testsrc2=s=720x1280:r=30:d=10", "-f", "lavfi", "-i", Fixtures.speech + ":d=10",
            "-c:v", "libx264", "-preset", "veryfast", "-g", "30", "-b:v", "3M", "-c:a", "aac", "-b:a", "128k", "-shortest",
            "-movflags", "frag_keyframe+empty_moov+default_base_moof"])
    }

    static func webM() throws -> String {
        try Fixtures.make("growing-10s.webm", [
            "-f", "lavfi", "-i", "testsrc2=s=720x1280:r=30:d=10", "-f", "lavfi", "-i", Fixtures.speech + ":d=10",
            "-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8", "-b:v", "2M", "-g", "30",
            "-c:a", "libopus", "-b:a", "96k", "-shortest"])
    }

    /// A time noted once, from any thread.
    final class Moment: Sendable {
        let value = Atomic<Double>(0)
        func noteOnce() { _ = value.compareExchange(expected: 0, desired: Date().timeIntervalSinceReferenceDate, ordering: .relaxed) }
        var time: Double { value.load(ordering: .relaxed) }
    }

    private func render(_ input: String, growing: GrowingFile?, output: String, firstProgress: Moment? = nil) throws -> RenderReport {
        var request = RenderRequest(input: input, output: output, rendition: Rendition())
        request.growing = growing
        request.progress = { _ in firstProgress?.noteOnce() }
        return try ClipRenderer(request).render()
    }

    @Test(arguments: ["mp4", "webm"])
    func aStreamFedInPiecesRendersAsTheWholeFileDoes(kind: String) throws {
        let source = kind == "mp4" ? try Self.fragmentedMP4() : try Self.webM()
        let folder = try TestPaths.scratch("growing-\(kind)")
        let whole = try render(source, growing: nil, output: folder.appendingPathComponent("whole.mp4").path)

        let arriving = folder.appendingPathComponent("arriving.\(kind)").path
        let feed = try Feed(copying: source, to: arriving)
        let size = Int(feed.total)
        // About six seconds of arrival for ten seconds of clip, in 40 pieces with pauses.
        feed.start(source, piece: max(4096, size / 40), pause: 0.15)
        let growing = try GrowingFile(path: arriving, stallLimit: 20, declaredDuration: 10, look: feed.look)
        let firstProgress = Moment()
        let streamed = try render(arriving, growing: growing, output: folder.appendingPathComponent("streamed.mp4").path, firstProgress: firstProgress)

        #expect(streamed.videoFrames == whole.videoFrames)
        #expect(abs(streamed.duration - whole.duration) < 0.05, "\(streamed.duration) vs \(whole.duration)")
        #expect(streamed.validation.passed, "\(streamed.validation)")
        // The render was under way before the last piece arrived.
        let done = feed.doneAt.load(ordering: .acquiring)
        #expect(done > 0 && firstProgress.time < done, "rendering began \(firstProgress.time - done) s after the last piece")
        #expect(try growing.wholeSha256(cancellation: nil) == ContentDigest.sha256(path: source))
        let video = try FFprobe.streams(folder.appendingPathComponent("streamed.mp4").path, select: "v")
        #expect(video.first?["width"] as? Int == 720 && video.first?["height"] as? Int == 1280)
    }

    @Test func aStreamThatStopsGrowingEndsTheRenderWithAMessage() throws {
        let source = try Self.fragmentedMP4()
        let folder = try TestPaths.scratch("growing-stall")
        let arriving = folder.appendingPathComponent("stalled.mp4").path
        let feed = try Feed(copying: source, to: arriving)
        feed.start(source, piece: 32 << 10, pause: 0.01, stopAfter: feed.total / 2)
        let growing = try GrowingFile(path: arriving, stallLimit: 1, declaredDuration: 10, look: feed.look)
        let started = Date()
        #expect {
            _ = try render(arriving, growing: growing, output: folder.appendingPathComponent("reply.mp4").path)
        } throws: { error in
            String(describing: error).contains("stalled.mp4") && String(describing: error).contains("stopped growing")
        }
        #expect(Date().timeIntervalSince(started) < 15)
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("reply.mp4").path))
    }

    @Test func aLengthNeverToldEndsLikeAStall() throws {
        let source = try Self.fragmentedMP4()
        let folder = try TestPaths.scratch("growing-untold")
        let arriving = folder.appendingPathComponent("untold.mp4").path
        let feed = try Feed(copying: source, to: arriving)
        // Every byte arrives, but the sender never says it was the last.
        feed.start(source, piece: 256 << 10, pause: 0, tellLength: false)
        let growing = try GrowingFile(path: arriving, stallLimit: 1, declaredDuration: 10, look: feed.look)
        #expect {
            _ = try render(arriving, growing: growing, output: folder.appendingPathComponent("reply.mp4").path)
        } throws: { error in String(describing: error).contains("stopped growing") }
        #expect(throws: TranscodeError.self) { try growing.wholeSha256(cancellation: nil) }
    }

    @Test func anUploadDeletedMidRenderEndsItAsAbandoned() throws {
        let source = try Self.fragmentedMP4()
        let folder = try TestPaths.scratch("growing-deleted")
        let arriving = folder.appendingPathComponent("deleted.mp4").path
        let feed = try Feed(copying: source, to: arriving)
        feed.start(source, piece: 16 << 10, pause: 0.05)
        let growing = try GrowingFile(path: arriving, stallLimit: 30, declaredDuration: 10, look: feed.look)
        Thread.detachNewThread { Thread.sleep(forTimeInterval: 0.8); feed.delete() }
        #expect {
            _ = try render(arriving, growing: growing, output: folder.appendingPathComponent("reply.mp4").path)
        } throws: { error in
            (error as? TranscodeError)?.kind == .cancelled && String(describing: error).contains("the upload was deleted")
        }
    }

    @Test func noReadGoesPastTheAcknowledgedBytes() throws {
        let folder = try TestPaths.scratch("growing-acknowledged")
        let path = folder.appendingPathComponent("partial.bin").path
        // 1000 bytes on disk, of which only 600 are acknowledged (the rest may yet be cut off).
        _ = FileManager.default.createFile(atPath: path, contents: Data(repeating: 7, count: 1000))
        let acknowledged = Atomic<Int64>(600)
        let growing = try GrowingFile(path: path, stallLimit: 0.3, look: { .arriving(acknowledged: acknowledged.load(ordering: .relaxed)) })
        var buffer = [UInt8](repeating: 0, count: 4096)
        let n = try buffer.withUnsafeMutableBytes { try growing.read(into: $0.baseAddress!, count: 4096, at: 0, cancellation: nil) }
        #expect(n == 600)
        // Past the acknowledged bytes a read waits, and gives up when nothing more comes.
        #expect(throws: TranscodeError.self) {
            _ = try buffer.withUnsafeMutableBytes { try growing.read(into: $0.baseAddress!, count: 4096, at: 600, cancellation: nil) }
        }
        // Acknowledged bytes that shrink mean the upload started again: never read as the same file.
        acknowledged.store(100, ordering: .relaxed)
        let again = try GrowingFile(path: path, stallLimit: 5, look: { .arriving(acknowledged: acknowledged.load(ordering: .relaxed)) })
        _ = try buffer.withUnsafeMutableBytes { try again.read(into: $0.baseAddress!, count: 50, at: 0, cancellation: nil) }
        acknowledged.store(40, ordering: .relaxed)
        #expect { _ = try buffer.withUnsafeMutableBytes { try again.read(into: $0.baseAddress!, count: 50, at: 100, cancellation: nil) } }
            throws: { String(describing: $0).contains("started again") }
    }

    @Test func aCancelledRenderStopsWaitingAtOnce() throws {
        let folder = try TestPaths.scratch("growing-cancel")
        let path = folder.appendingPathComponent("waiting.bin").path
        _ = FileManager.default.createFile(atPath: path, contents: Data(repeating: 1, count: 10))
        let growing = try GrowingFile(path: path, stallLimit: 60, look: { .arriving(acknowledged: 10) })
        let flag = CancellationFlag()
        Thread.detachNewThread { Thread.sleep(forTimeInterval: 0.3); flag.cancel() }
        let started = Date()
        #expect { _ = try growing.waitFor(100, cancellation: flag) } throws: { ($0 as? TranscodeError)?.kind == .cancelled }
        #expect(Date().timeIntervalSince(started) < 5)
    }
}
