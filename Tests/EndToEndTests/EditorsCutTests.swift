import Foundation
import Testing
import TestSupport

/// bts.mp4 for editors: the camera's own pictures when they suit, an upright CFR re-encode otherwise.
@Suite struct EditorsCutTests {
    func runJob(_ input: String, name: String, extra: [String]) throws -> URL {
        let folder = try TestPaths.scratch("bts/\(name)")
        let result = try ExternalTool.run(TestPaths.mediaorch, ["process", input, "--out", folder.path, "--templates", TestPaths.jobs.path] + extra)
        #expect(result.status == 0, "\(result.stderr)")
        return folder.appendingPathComponent("bts.mp4")
    }

    func expectNoIdentifyingTags(_ path: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let r = try ReplyInspection(path)
        let identifying = r.allTagKeys.filter { k in ["location", "make", "model", "creation", "date", "encoder"].contains { k.lowercased().contains($0) } }
        #expect(identifying.isEmpty, "\(identifying)", sourceLocation: sourceLocation)
        #expect(r.streams.allSatisfy { ["video", "audio"].contains($0.string("codec_type")) }, "no data tracks", sourceLocation: sourceLocation)
    }

    @Test func suitableCameraVideoIsCopiedUntouchedWithItsRotation() throws {
        let source = TestPaths.sample("kakuma_portrait.mov")
        let bts = try runJob(source, name: "copy", extra: ["--template", "bts-cut"]).path
        let video = try #require(try FFprobe.streams(bts, select: "v:0").first)
        #expect(video.int("width") == 1920 && video.int("height") == 1080)
        let rotation = (video["side_data_list"] as? [FFprobe.JSON])?.compactMap { $0.double("rotation") }.first
        #expect(rotation == -90, "the display matrix is kept so players show it upright")
        // Copied, not re-encoded: the same packets, byte for byte in size and order.
        func sizes(_ file: String) throws -> [Int] {
            let j = try FFprobe.json(file, ["-select_streams", "v:0", "-show_entries", "packet=size"])
            return (j["packets"] as? [FFprobe.JSON] ?? []).compactMap { $0.int("size") }
        }
        #expect(try sizes(bts) == sizes(source))
        try expectNoIdentifyingTags(bts)
    }

    /// A real iPhone 14 Pro clip (HEVC Main 10, HLG, Dolby Vision 8.4, shown portrait, GPS): the
    /// copy is the camera's own. Apple writes its B-frames' composition offsets as negative
    /// numbers, which libav 5.1 leaves unshifted here, so the copy moves the decode times back.
    @Test func anIPhonesHLGClipIsCopiedAsFilmedWithItsDolbyVisionRecord() throws {
        let source = TestPaths.shared("iphone14pro_hevc10_hlg_dolbyvision.MOV")
        let bts = try runJob(source, name: "iphone-hlg", extra: ["--template", "bts-cut"]).path
        let video = try #require(try FFprobe.streams(bts, select: "v:0").first)
        #expect(video.string("codec_tag_string") == "hvc1" && video.string("profile") == "Main 10" && video.string("pix_fmt") == "yuv420p10le")
        #expect(video.string("color_transfer") == "arib-std-b67" && video.string("color_primaries") == "bt2020", "HLG stays HLG")
        let sideData = video["side_data_list"] as? [FFprobe.JSON] ?? []
        #expect(sideData.contains { $0.string("side_data_type") == "DOVI configuration record" && $0.int("dv_profile") == 8 })
        #expect(sideData.compactMap { $0.double("rotation") }.first == -90, "still shown portrait")
        #expect(try SmartCutTests.md5s(bts, decoded: false) == SmartCutTests.md5s(source, decoded: false), "every packet the camera's, in order")
        // The pictures the camera shows decode the same; its edit list hides one more at the end, which the copy shows.
        let shown = try SmartCutTests.md5s(source, decoded: true), copied = try SmartCutTests.md5s(bts, decoded: true)
        #expect(shown.count == 4 && Array(copied.prefix(shown.count)) == shown, "\(copied.count) pictures")
        let decode = try ExternalTool.run("ffmpeg", ["-v", "error", "-i", bts, "-f", "null", "-"])
        #expect(decode.status == 0 && decode.stderr.isEmpty, "\(decode.stderr)")
        try expectNoIdentifyingTags(bts)
        let manifest = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: bts).deletingLastPathComponent()
            .appendingPathComponent("manifest.json"))) as? [String: Any]
        let output = try #require((manifest?["outputs"] as? [[String: Any]])?.first { $0["role"] as? String == "bts" })
        #expect(output["video_codec"] as? String == "hevc Main 10 HLG (copied from the camera, its Dolby Vision record kept)")
    }

    @Test func variableRateRotatedPhoneClipIsReencodedUprightAndConstant() throws {
        let bts = try runJob(TestPaths.shared("android6_h264_rot270_gps_vfr.mp4"), name: "reencode", extra: ["--template", "bts-cut"]).path
        let r = try ReplyInspection(bts)
        let video = try #require(r.video)
        #expect(video.string("codec_name") == "h264" && video.string("profile") == "High")
        #expect(video.int("width") == 288 && video.int("height") == 352, "upright, source size kept (smaller than 1080)")
        #expect(video.string("avg_frame_rate") == video.string("r_frame_rate"), "constant frame rate")
        #expect(video.string("r_frame_rate") == "30000/1001", "about 29.9 fps becomes NTSC's 29.97, not 30")
        #expect((video["side_data_list"] as? [FFprobe.JSON] ?? []).isEmpty)
        #expect(r.audio?.string("codec_name") == "aac")
        try expectNoIdentifyingTags(bts)
    }

    @Test func largerThan1080IsScaledToTheShortSide() throws {
        let input = try Fixtures.make("uhd60.mp4", ["-f", "lavfi", "-i", "testsrc2=s=3840x2160:r=60:d=1.5", "-c:v", "libx264", "-preset", "ultrafast"])
        let bts = try runJob(input, name: "uhd", extra: ["--template", "bts-cut"]).path
        let video = try #require(try ReplyInspection(bts).video)
        #expect(video.int("width") == 1920 && video.int("height") == 1080)
        #expect(video.string("r_frame_rate") == "60/1")
    }

    @Test func cutBetweenInAndOutIsExactToTheFrame() throws {
        let source = TestPaths.shared("gopro_max_heromode.mp4")
        let bts = try runJob(source, name: "cut", extra: ["--template", "bts-cut", "--trim-start", "2.5", "--trim-end", "5"]).path
        let video = try #require(try ReplyInspection(bts).video)
        #expect(abs((video.double("duration") ?? 0) - 2.5) < 0.034, "\(video.double("duration") ?? 0)")
        // The first picture of the cut is the source's picture at the in point.
        let first = try ReplyInspection(bts).rgbFrame(at: 0, width: 106, height: 60)
        let atIn = try ReplyInspection(source).rgbFrame(at: 2.5, width: 106, height: 60)
        let before = try ReplyInspection(source).rgbFrame(at: 2.0, width: 106, height: 60)
        func diff(_ a: [UInt8], _ b: [UInt8]) -> Double { zip(a, b).map { abs(Double($0) - Double($1)) }.reduce(0, +) / Double(a.count) }
        #expect(diff(first, atIn) < diff(first, before), "in point: \(diff(first, atIn)) vs half a second earlier: \(diff(first, before))")
        #expect(diff(first, atIn) < 6)
    }

    @Test func twitterReplyJobMakesTheReplyThumbnailsAndTheBTSCut() throws {
        let folder = try TestPaths.scratch("bts/full-job")
        let result = try ExternalTool.run(TestPaths.mediaorch, ["process", TestPaths.sample("shatila_landscape.mp4"), "--out", folder.path,
                                                              "--ticket", TestPaths.sample("shatila_landscape.job.json"),
                                                              "--templates", TestPaths.jobs.path])
        #expect(result.status == 0, "\(result.stderr)")
        for name in ["reply.mp4", "bts.mp4", "thumb.jpg", "thumb-640.jpg", "thumb-320.jpg", "captions.ar.srt", "captions.en.srt", "manifest.json"] {
            #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent(name).path), "\(name)")
        }
        let manifest = try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("manifest.json"))) as? [String: Any]
        let roles = (manifest?["outputs"] as? [[String: Any]])?.compactMap { $0["role"] as? String }
        #expect(roles == ["reply", "bts"], "the reply comes first")
        #expect(manifest?["ready_to_post"] as? Bool == true)
    }
}
