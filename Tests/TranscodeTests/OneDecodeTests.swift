import Foundation
import Testing
import TestSupport
@testable import Transcode

@Suite struct OneDecodeTests {
    /// The reply and the thumbnails are fed from one decode: the renderer decodes exactly as many
    /// pictures as the source holds (ffprobe counts them), not twice as many.
    @Test func replyAndThumbnailsShareOneDecode() throws {
        let source = TestPaths.sample("shatila_landscape.mp4")
        let folder = try TestPaths.scratch("one-decode")
        var request = RenderRequest(input: source, output: folder.appendingPathComponent("reply.mp4").path, rendition: ClipRendererTests.fast)
        request.thumbnails = [ThumbnailSpec(path: folder.appendingPathComponent("thumb.jpg").path),
                              ThumbnailSpec(path: folder.appendingPathComponent("thumb-320.jpg").path, width: 320)]
        let report = try ClipRenderer(request).render()
        let counted = try FFprobe.json(source, ["-count_frames", "-select_streams", "v:0", "-show_entries", "stream=nb_read_frames"])
        let frames = try #require(((counted["streams"] as? [[String: Any]])?.first?["nb_read_frames"] as? String).flatMap { Int($0) })
        #expect(report.videoFramesDecoded == frames, "decoded \(report.videoFramesDecoded), source has \(frames)")
        #expect(report.thumbnails.count == 2)
        #expect(report.thumbnails.allSatisfy { FileManager.default.fileExists(atPath: $0.path) })
    }
}
