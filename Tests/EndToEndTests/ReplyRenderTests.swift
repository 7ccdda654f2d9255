import Foundation
import Testing
import TestSupport

/// `mediaorch process` on the sample clips and on every real phone recording.
@Suite struct ReplyRenderRealClipsTests {
    static let clips: [String] = ["kakuma_portrait.mov", "shatila_landscape.mp4", "silent_4x3.mp4"].map(TestPaths.sample)
        + TestPaths.sharedClips.filter { !$0.hasPrefix("iphone14pro") }.map(TestPaths.shared)

    @Test(arguments: clips)
    func rendersAnXReadyReply(clip: String) throws {
        let name = URL(fileURLWithPath: clip).lastPathComponent
        let (result, folder) = try renderReply(clip, name: name)
        #expect(result.status == 0, "\(result.stderr)")
        try expectXReady(folder.appendingPathComponent("reply.mp4").path, duration: try sourceVideoDuration(clip))
        #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent("manifest.json").path))
    }

    @Test func portraitPhoneClipBecomesAPortraitReply() throws {
        let (result, folder) = try renderReply(TestPaths.shared("iphone_rotated.mov"), name: "iphone-portrait")
        #expect(result.status == 0, "\(result.stderr)")
        let video = try #require(try ReplyInspection(folder.appendingPathComponent("reply.mp4").path).video)
        #expect(video.int("width") == 720 && video.int("height") == 1280)
    }

    @Test func anamorphicPhoneClipIsMadeSquarePixelLandscape() throws {
        // 352x288 with 12:11 pixels shows as 384x288 (4:3): landscape, pillarboxed, never stretched.
        let (result, folder) = try renderReply(TestPaths.shared("desks_h263_sar12x11_vfr.3gp"), name: "desks-anamorphic")
        #expect(result.status == 0, "\(result.stderr)")
        let reply = replyPath(in: folder)
        let frame = try ReplyInspection(reply).rgbFrame(at: 1.0, width: 128, height: 72)
        // 4:3 content in a 16:9 frame: 960 of 1280 wide, so the outer 1/8 on each side is black padding.
        #expect(luma(frame, x: 4, y: 36, width: 128) < 20, "left pillar is black")
        #expect(luma(frame, x: 123, y: 36, width: 128) < 20, "right pillar is black")
    }

    @Test func tooShortHDRPhoneClipIsRefusedWithAReason() throws {
        // The iPhone 14 Pro sample holds 5 frames (0.1 s): X needs 0.5 s.
        let (result, folder) = try renderReply(TestPaths.shared("iphone14pro_hevc10_hlg_dolbyvision.MOV"), name: "iphone14-too-short")
        #expect(result.status != 0)
        #expect(result.stderr.contains("iphone14pro_hevc10_hlg_dolbyvision.MOV") && result.stderr.contains("0.5 s"), "\(result.stderr)")
        expectNothingLeftBehind(in: folder)
    }
}

func replyPath(in folder: URL) -> String { folder.appendingPathComponent("reply.mp4").path }

/// BT.601 luma of one RGB24 pixel.
func luma(_ rgb: [UInt8], x: Int, y: Int, width: Int) -> Double {
    let i = (y * width + x) * 3
    return 0.299 * Double(rgb[i]) + 0.587 * Double(rgb[i + 1]) + 0.114 * Double(rgb[i + 2])
}

func pixel(_ rgb: [UInt8], x: Int, y: Int, width: Int) -> (r: Int, g: Int, b: Int) {
    let i = (y * width + x) * 3
    return (Int(rgb[i]), Int(rgb[i + 1]), Int(rgb[i + 2]))
}
