import Foundation
import Synchronization
import Testing
import TestSupport
@testable import Transcode

/// The library API the job runner uses: progress callbacks, cancellation, validation.
@Suite struct ClipRendererTests {
    static var fast: Rendition {
        var r = Rendition()
        r.x264Preset = "superfast"
        return r
    }

    @Test func progressRisesToTheEnd() throws {
        let folder = try TestPaths.scratch("renderer-progress")
        let seen = Mutex<[Double]>([])
        let request = RenderRequest(input: TestPaths.sample("shatila_landscape.mp4"), output: folder.appendingPathComponent("reply.mp4").path,
                                    rendition: Self.fast, progress: { p in seen.withLock { $0.append(p.fraction) } })
        let report = try ClipRenderer(request).render()
        let fractions = seen.withLock { $0 }
        #expect(fractions.count >= 2)
        #expect(fractions == fractions.sorted(), "never goes backwards")
        #expect(fractions.last == 1.0)
        #expect(report.validation.passed)
        #expect(report.width == 1280 && report.height == 720)
    }

    @Test func cancellingStopsAndLeavesNothing() throws {
        let folder = try TestPaths.scratch("renderer-cancel")
        let flag = CancellationFlag()
        let request = RenderRequest(input: TestPaths.sample("kakuma_portrait.mov"), output: folder.appendingPathComponent("reply.mp4").path,
                                    rendition: Self.fast, progress: { p in if p.fraction > 0.1 { flag.cancel() } }, cancellation: flag)
        #expect(throws: TranscodeError.self) { try ClipRenderer(request).render() }
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).isEmpty)
    }

    /// The encoding stage only moves x264, the AAC encoder and the muxer to a thread of their own:
    /// every packet of both tracks, with its timestamps, is what encoding in line gives.
    @Test func encodingOnItsOwnThreadChangesTimingNotBytes() throws {
        let folder = try TestPaths.scratch("renderer-stage")
        func packets(onOwnThread: Bool) throws -> [String] {
            let output = folder.appendingPathComponent(onOwnThread ? "staged.mp4" : "inline.mp4").path
            var request = RenderRequest(input: TestPaths.sample("kakuma_portrait.mov"), output: output, rendition: Self.fast)
            request.encodesOnOwnThread = onOwnThread
            #expect(try ClipRenderer(request).render().validation.passed)
            let result = try ExternalTool.run("ffmpeg", ["-v", "error", "-i", output, "-map", "0", "-c", "copy", "-f", "framemd5", "-"])
            #expect(result.status == 0, "\(result.stderr)")
            return result.text.split(separator: "\n").filter { !$0.hasPrefix("#") }.map(String.init)
        }
        let staged = try packets(onOwnThread: true), inline = try packets(onOwnThread: false)
        #expect(staged.count > 100)
        #expect(Set(staged.map { $0.split(separator: ",")[0] }).count == 2, "a video and a sound track")
        #expect(staged == inline)
    }

    @Test func validatorNamesEveryRuleARawCameraFileBreaks() {
        // The GoPro original: Main profile, full-range yuvj420p, 848x480, moov after mdat, GPS, telemetry tracks.
        let report = OutputValidator(path: TestPaths.shared("gopro_max_heromode.mp4")).validate()
        let failed = Set(report.failures.map(\.rule))
        #expect(!report.passed)
        #expect(failed.contains("H.264 High profile"))
        #expect(failed.contains("yuv420p pixels"))
        #expect(failed.contains("moov before mdat (faststart)"))
        #expect(failed.contains("no GPS, device or telemetry metadata"))
        #expect(!failed.contains("H.264 video"))
        #expect(!failed.contains("duration 0.5–140 s"))
    }
}
