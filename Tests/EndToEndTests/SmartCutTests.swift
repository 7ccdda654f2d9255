import Foundation
import Testing
import TestSupport

/// An editor's cut between two times: the camera's GOPs copied byte for byte, only the pictures
/// before the first and after the last keyframe re-encoded, exact to the picture, at the camera's
/// own rate; and a full re-encode, saying why, when the camera's stream cannot be joined.
@Suite struct SmartCutTests {
    /// A phone-like clip: H.264 High 4.1, 1080x1920 at 29.97 with B-frames and a 1 s closed GOP.
    static func bFramePhoneClip() throws -> String {
        try Fixtures.make("smartcut-phone-2997.mp4", [
            "-f", "lavfi", "-i", "testsrc2=s=1080x1920:r=30000/1001", "-f", "lavfi", "-i", Fixtures.speech, "-t", "12",
            "-c:v", "libx264", "-preset", "veryfast", "-g", "30", "-keyint_min", "30", "-sc_threshold", "0", "-bf", "3",
            "-profile:v", "high", "-level", "4.1", "-pix_fmt", "yuv420p", "-colorspace", "bt709", "-color_primaries", "bt709", "-color_trc", "bt709",
            "-c:a", "aac", "-shortest"])
    }

    static func cut(_ input: String, name: String, from start: String, to end: String) throws -> (bts: String, output: [String: Any]) {
        let folder = try TestPaths.scratch("smartcut/\(name)")
        let result = try ExternalTool.run(TestPaths.mediaorch, ["process", input, "--out", folder.path, "--templates", TestPaths.jobs.path,
                                                              "--template", "bts-cut", "--trim-start", start, "--trim-end", end])
        #expect(result.status == 0, "\(result.stderr)")
        let manifest = try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("manifest.json"))) as? [String: Any]
        let output = try #require((manifest?["outputs"] as? [[String: Any]])?.first { $0["role"] as? String == "bts" })
        return (folder.appendingPathComponent("bts.mp4").path, output)
    }

    /// ffmpeg's MD5 of each video packet (`-c copy`) or of each decoded picture, in order.
    static func md5s(_ file: String, decoded: Bool) throws -> [String] {
        let result = try ExternalTool.run("ffmpeg", ["-v", "error", "-i", file, "-map", "0:v:0"] + (decoded ? [] : ["-c", "copy"]) + ["-f", "framemd5", "-"])
        guard result.status == 0 else { throw OracleError("ffmpeg framemd5 \(file): \(result.stderr)") }
        return result.text.split(separator: "\n").filter { !$0.hasPrefix("#") }.compactMap { $0.split(separator: ",").last.map { $0.trimmingCharacters(in: .whitespaces) } }
    }

    @Test func aCutCopiesTheCamerasGOPsByteForByteAndReencodesOnlyTheEnds() throws {
        let source = try Self.bFramePhoneClip()
        let (bts, output) = try Self.cut(source, name: "phone", from: "3.3", to: "8.7")
        let cut = try #require(output["cut"] as? [String: Any])
        #expect(cut["method"] as? String == "smart", "\(cut)")
        let copied = try #require(cut["copied_packets"] as? Int)
        #expect(copied == 120, "four whole 1 s GOPs between 3.3 s and 8.7 s")

        // Exact to the picture: the source's pictures in [3.3, 8.7), at the camera's own rate.
        let sourceTimes = try FFprobe.frames(source, select: "v:0", entries: "frame=pts_time").compactMap { $0.double("pts_time") }
        let expected = sourceTimes.filter { $0 >= 3.3 - 1e-6 && $0 < 8.7 - 1e-6 }.count
        let video = try #require(try FFprobe.streams(bts, select: "v:0").first)
        #expect(video.string("codec_tag_string") == "avc1" && video.string("profile") == "High" && video.int("level") == 41)
        #expect(video.string("r_frame_rate") == "30000/1001" && video.string("avg_frame_rate") == "30000/1001", "29.97 stays 29.97")
        #expect(video.int("nb_frames") == expected, "\(video.int("nb_frames") ?? 0) pictures, \(expected) in the source's [in, out)")
        #expect(abs((output["duration"] as? Double ?? 0) - Double(expected) * 1001 / 30000) < 0.001)
        #expect(output["exact_frame_rate"] as? String == "30000/1001")

        // Every copied packet is one of the camera's, in one unbroken run, byte for byte.
        let sourcePackets = try Self.md5s(source, decoded: false), outPackets = try Self.md5s(bts, decoded: false)
        // The head is re-encoded from 3.3 s to the first keyframe after it (4.004 s), the tail from the last (8.008 s).
        let head = sourceTimes.filter { $0 >= 3.3 - 1e-6 && $0 < 4.004 - 1e-6 }.count
        #expect(head == 21 && (cut["reencoded_pictures"] as? Int) == expected - copied)
        let runStart = try #require(outPackets.firstIndex { sourcePackets.contains($0) }.flatMap { sourcePackets.firstIndex(of: outPackets[$0]) })
        #expect(outPackets.firstIndex { sourcePackets.contains($0) } == head, "nothing before the first keyframe is the camera's")
        #expect(Array(outPackets[head..<head + copied]) == Array(sourcePackets[runStart..<runStart + copied]))
        #expect(Set(outPackets[(head + copied)...]).isDisjoint(with: sourcePackets), "the tail is re-encoded")

        // It plays through both joins: every picture decodes, cleanly, and is the source's picture
        // at that place (a one-picture slip costs about 25 dB on this pattern).
        let decode = try ExternalTool.run("ffmpeg", ["-v", "error", "-i", bts, "-f", "null", "-"])
        #expect(decode.status == 0 && decode.stderr.isEmpty, "\(decode.stderr)")
        let scores = try psnrOfEachPicture(bts, against: source, from: 3.3, to: 8.7)
        #expect(scores.count == expected)
        #expect(scores[head..<head + copied].allSatisfy { $0 == .infinity }, "copied pictures decode to the camera's own")
        #expect(scores.allSatisfy { $0 > 40 }, "worst \(scores.min() ?? 0) dB")
        let audio = try #require(try FFprobe.streams(bts, select: "a:0").first)
        #expect(abs((audio.double("duration") ?? 0) - 5.4) < 0.03)
    }

    @Test func aCutThatCannotBeJoinedIsReencodedInFullAndSaysWhy() throws {
        let openGOP = try Fixtures.make("smartcut-open-gop.mp4", [
            "-f", "lavfi", "-i", "testsrc2=s=640x360:r=30", "-t", "6", "-c:v", "libx264", "-preset", "veryfast", "-g", "30", "-bf", "3",
            "-x264-params", "open-gop=1:scenecut=0"])
        // libx265's own default: CRA keyframes, which leading pictures may follow.
        let hevc = try Fixtures.make("smartcut-hevc-open-gop.mp4", [
            "-f", "lavfi", "-i", "testsrc2=s=640x360:r=30", "-t", "6", "-c:v", "libx265", "-x265-params", "log-level=error:keyint=30:scenecut=0"])
        for (source, name, reason) in [(openGOP, "open-gop", "open GOPs"), (hevc, "hevc-open-gop", "open GOPs")] {
            let (bts, output) = try Self.cut(source, name: name, from: "1.5", to: "4.5")
            let cut = try #require(output["cut"] as? [String: Any])
            #expect(cut["method"] as? String == "reencoded")
            #expect((cut["reason"] as? String)?.contains(reason) == true, "\(cut)")
            let video = try #require(try FFprobe.streams(bts, select: "v:0").first)
            #expect(video.string("codec_name") == "h264" && video.int("nb_frames") == 90, "\(name): 3 s at 30 fps, re-encoded")
        }
    }

    /// The HEVC a phone films: 8-bit SDR, 10-bit SDR, 10-bit HLG, HLG marked as Dolby Vision
    /// 8.4 (an iPhone's default), or 10-bit PQ with HDR10's messages (a Samsung's HDR10+).
    enum HEVCCamera: String, CaseIterable, Sendable {
        case main, main10, hlg, dolbyVision, pq
        var tenBit: Bool { self != .main }
        var isHLG: Bool { self == .hlg || self == .dolbyVision }
        /// How ffprobe names the stream's transfer, and the number its SPSs write.
        var transfer: (name: String, code: Int) {
            isHLG ? ("arib-std-b67", 18) : self == .pq ? ("smpte2084", 16) : ("bt709", 1)
        }
        /// What the manifest says after the profile.
        var hdr: String { isHLG ? " HLG" : self == .pq ? " PQ" : "" }
        var colour: [String] {
            isHLG || self == .pq ? ["-colorspace", "bt2020nc", "-color_primaries", "bt2020", "-color_trc", transfer.name]
                : ["-colorspace", "bt709", "-color_primaries", "bt709", "-color_trc", "bt709"]
        }
        /// HDR10's messages, which x265 writes with each keyframe: a 1000 cd/m² display, MaxCLL 1000, MaxFALL 400.
        var x265Messages: String {
            self == .pq ? ":master-display=G(13250,34500)B(7500,3000)R(34000,16000)WP(15635,16450)L(10000000,50):max-cll=1000,400" : ""
        }
    }

    /// A phone-like HEVC clip: 1 s closed GOPs (IDR keyframes) with B-frames, at 29.97, with sound.
    static func hevcPhoneClip(_ camera: HEVCCamera) throws -> String {
        try Fixtures.make("smartcut-hevc-\(camera.rawValue)-2997.mp4", [
            "-f", "lavfi", "-i", "testsrc2=s=720x1280:r=30000/1001", "-f", "lavfi", "-i", Fixtures.speech, "-t", "8",
            "-c:v", "libx265", "-preset", "fast", "-pix_fmt", camera.tenBit ? "yuv420p10le" : "yuv420p", "-tag:v", "hvc1",
            "-x265-params", "log-level=error:keyint=30:min-keyint=30:scenecut=0:open-gop=0:bframes=3" + camera.x265Messages] + camera.colour + ["-c:a", "aac", "-shortest"]
        ) { path in
            guard camera == .dolbyVision else { return }
            let script = TestPaths.packageRoot.appendingPathComponent("scripts/add-dolby-vision-record.py").path
            let result = try ExternalTool.run("python3", [script, path])
            guard result.status == 0 else { throw OracleError("add-dolby-vision-record: \(result.stderr)") }
        }
    }

    /// Each picture's HDR10 messages as ffprobe reads them after decoding: "max_luminance
    /// min_luminance MaxCLL MaxFALL", one line per picture that has both.
    static func hdr10Messages(_ file: String) throws -> [String] {
        try FFprobe.frames(file, select: "v:0", entries: "frame=pts_time:frame_side_data=max_luminance,min_luminance,max_content,max_average")
            .compactMap { frame in
                let sides = frame["side_data_list"] as? [FFprobe.JSON] ?? []
                guard let display = sides.first(where: { $0.string("max_luminance") != nil }),
                      let light = sides.first(where: { $0.int("max_content") != nil }) else { return nil }
                return [display.string("max_luminance"), display.string("min_luminance"), light.int("max_content").map(String.init),
                        light.int("max_average").map(String.init)].map { $0 ?? "?" }.joined(separator: " ")
            }
    }

    /// Whether ffprobe finds a Dolby Vision configuration record on the file's video.
    static func hasDolbyVisionRecord(_ file: String) throws -> Bool {
        let video = try #require(try FFprobe.streams(file, select: "v:0").first)
        return (video["side_data_list"] as? [FFprobe.JSON] ?? []).contains { $0.string("side_data_type") == "DOVI configuration record" }
    }

    /// The parameter set ids an HEVC file's record lists, those its slices use, and each sequence
    /// parameter set's transfer, as ffmpeg's trace_headers reads them (an independent parser of the whole syntax).
    static func hevcHeaders(_ file: String) throws -> (sequence: [Int], picture: [Int], slices: Set<Int>, transfers: [Int]) {
        let run = try ExternalTool.run("ffmpeg", ["-hide_banner", "-i", file, "-map", "0:v:0", "-c", "copy", "-bsf:v", "trace_headers", "-f", "null", "-"])
        guard run.status == 0 else { throw OracleError("trace_headers \(file): \(run.stderr.suffix(2000))") }
        func values(_ name: String) -> [Int] {
            run.stderr.split(separator: "\n").filter { $0.contains(" \(name) ") }.compactMap { Int($0.split(separator: "=").last?.trimmingCharacters(in: .whitespaces) ?? "") }
        }
        return (values("sps_seq_parameter_set_id"), values("pps_pic_parameter_set_id"), Set(values("slice_pic_parameter_set_id")),
                values("transfer_characteristics"))
    }

    @Test(arguments: HEVCCamera.allCases) func anHEVCCutCopiesTheCamerasGOPsAndJoinsX265sPicturesUnderIdsOfTheirOwn(camera: HEVCCamera) throws {
        let source = try Self.hevcPhoneClip(camera)
        let (bts, output) = try Self.cut(source, name: "hevc-\(camera.rawValue)", from: "1.5", to: "5.5")
        let cut = try #require(output["cut"] as? [String: Any])
        #expect(cut["method"] as? String == "smart", "\(cut)")
        #expect(cut["copied_packets"] as? Int == 90, "three whole 1 s GOPs between 1.5 s and 5.5 s: \(cut)")
        let profile = camera.tenBit ? "Main 10" : "Main"
        let description = try #require(output["video_codec"] as? String)
        #expect(description.hasPrefix("hevc \(profile)\(camera.hdr) (smart cut"), "\(description)")
        // A Dolby Vision player would switch looks at each join (x265's pictures carry no RPU): the cut is plain HLG.
        #expect(try Self.hasDolbyVisionRecord(source) == (camera == .dolbyVision), "the fixture's record")
        #expect(try !Self.hasDolbyVisionRecord(bts))
        #expect(description.contains("Dolby Vision record left out") == (camera == .dolbyVision), "\(description)")
        #expect(description.contains("with the camera's HDR10 messages") == (camera == .pq), "\(description)")

        let sourceTimes = try FFprobe.frames(source, select: "v:0", entries: "frame=pts_time").compactMap { $0.double("pts_time") }
        let expected = sourceTimes.filter { $0 >= 1.5 - 1e-6 && $0 < 5.5 - 1e-6 }.count
        let video = try #require(try FFprobe.streams(bts, select: "v:0").first)
        #expect(video.string("codec_name") == "hevc" && video.string("codec_tag_string") == "hvc1", "QuickTime and Safari play only hvc1")
        #expect(video.string("profile") == profile && video.string("pix_fmt") == (camera.tenBit ? "yuv420p10le" : "yuv420p"))
        #expect(video.string("r_frame_rate") == "30000/1001" && video.int("nb_frames") == expected, "\(video.int("nb_frames") ?? 0) of \(expected)")
        if camera.isHLG || camera == .pq {
            #expect(video.string("color_transfer") == camera.transfer.name && video.string("color_primaries") == "bt2020", "HDR stays HDR")
        }

        // The camera's packets in one unbroken run, byte for byte, between re-encoded ends.
        let sourcePackets = try Self.md5s(source, decoded: false), outPackets = try Self.md5s(bts, decoded: false)
        let head = sourceTimes.filter { $0 >= 1.5 - 1e-6 && $0 < 2.002 - 1e-6 }.count
        let runStart = try #require(sourcePackets.firstIndex(of: outPackets[head]))
        #expect(Array(outPackets[head..<head + 90]) == Array(sourcePackets[runStart..<runStart + 90]))
        #expect(Set(outPackets[..<head]).isDisjoint(with: sourcePackets) && Set(outPackets[(head + 90)...]).isDisjoint(with: sourcePackets))

        // The record holds the camera's sets and x265's under other ids, and the slices use all three.
        let ids = try Self.hevcHeaders(bts)
        // (Three sets in the record; the PQ camera also repeats its own in each copied keyframe.)
        #expect(ids.sequence.count == (camera == .pq ? 6 : 3) && Set(ids.sequence).count == 3 && Set(ids.picture).count == 3, "\(ids)")
        #expect(ids.slices == Set(ids.picture), "\(ids)")
        // x265's pictures show with the camera's transfer: one look across the joins.
        #expect(ids.transfers == [Int](repeating: camera.transfer.code, count: ids.sequence.count), "\(ids.transfers)")
        if camera == .pq {
            // x265's first picture (the head's) and the camera's first copied one say the same HDR10 messages.
            let messages = try Self.hdr10Messages(bts)
            try #require(messages.count == expected, "every picture carries them: \(messages.count) of \(expected)")
            #expect(messages[0] == "10000000/10000 50/10000 1000 400", "the head's: \(messages[0])")
            #expect(Set(messages) == Set(try Self.hdr10Messages(source)), "the copied pictures' are the camera's: \(Set(messages))")
        }

        // It decodes cleanly through both joins, each picture the source's at that place.
        let decode = try ExternalTool.run("ffmpeg", ["-v", "error", "-i", bts, "-f", "null", "-"])
        #expect(decode.status == 0 && decode.stderr.isEmpty, "\(decode.stderr)")
        let scores = try psnrOfEachPicture(bts, against: source, from: 1.5, to: 5.5)
        #expect(scores.count == expected)
        #expect(scores[head..<head + 90].allSatisfy { $0 == .infinity }, "copied pictures decode to the camera's own")
        #expect(scores.allSatisfy { $0 > 38 }, "worst \(scores.min() ?? 0) dB")
    }

    @Test func copiedHEVCIsTaggedHvc1() throws {
        let hevc = try Fixtures.make("smartcut-hevc.mp4", [
            "-f", "lavfi", "-i", "testsrc2=s=640x360:r=30", "-t", "6", "-c:v", "libx265", "-x265-params", "log-level=error"])
        #expect(try FFprobe.streams(hevc, select: "v:0").first?.string("codec_tag_string") == "hev1", "the fixture is tagged hev1")
        let folder = try TestPaths.scratch("smartcut/hevc-copy")
        let result = try ExternalTool.run(TestPaths.mediaorch, ["process", hevc, "--out", folder.path, "--templates", TestPaths.jobs.path, "--template", "bts-cut"])
        #expect(result.status == 0, "\(result.stderr)")
        let bts = folder.appendingPathComponent("bts.mp4").path
        let video = try #require(try FFprobe.streams(bts, select: "v:0").first)
        #expect(video.string("codec_name") == "hevc" && video.string("codec_tag_string") == "hvc1", "QuickTime and Safari play only hvc1")
        #expect(try Self.md5s(bts, decoded: false) == Self.md5s(hevc, decoded: false))
    }

    /// The full-length editors' copy keeps what the camera filmed: 10-bit stays 10-bit, an iPhone's
    /// HLG stays HLG, and its Dolby Vision record stays (every packet is the camera's, RPUs included).
    @Test(arguments: HEVCCamera.allCases) func theFullLengthCopyKeepsTheCamerasHEVCAsFilmed(camera: HEVCCamera) throws {
        let source = try Self.hevcPhoneClip(camera)
        let folder = try TestPaths.scratch("smartcut/full-\(camera.rawValue)")
        let result = try ExternalTool.run(TestPaths.mediaorch, ["process", source, "--out", folder.path, "--templates", TestPaths.jobs.path, "--template", "bts-cut"])
        #expect(result.status == 0, "\(result.stderr)")
        let bts = folder.appendingPathComponent("bts.mp4").path
        #expect(try Self.md5s(bts, decoded: false) == Self.md5s(source, decoded: false), "every packet the camera's, in order")
        let video = try #require(try FFprobe.streams(bts, select: "v:0").first)
        let profile = camera.tenBit ? "Main 10" : "Main"
        #expect(video.string("codec_tag_string") == "hvc1" && video.string("profile") == profile)
        #expect(video.string("pix_fmt") == (camera.tenBit ? "yuv420p10le" : "yuv420p"))
        #expect(video.string("color_transfer") == camera.transfer.name && video.string("color_primaries") == (camera.transfer.code == 1 ? "bt709" : "bt2020"))
        #expect(try Self.hasDolbyVisionRecord(bts) == (camera == .dolbyVision), "the Dolby Vision record is kept with the packets it describes")
        let decode = try ExternalTool.run("ffmpeg", ["-v", "error", "-i", bts, "-f", "null", "-"])
        #expect(decode.status == 0 && decode.stderr.isEmpty, "\(decode.stderr)")

        let manifest = try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("manifest.json"))) as? [String: Any]
        let output = try #require((manifest?["outputs"] as? [[String: Any]])?.first { $0["role"] as? String == "bts" })
        let expected = "hevc \(profile)\(camera.hdr) (copied from the camera\(camera == .dolbyVision ? ", its Dolby Vision record kept" : ""))"
        #expect(output["video_codec"] as? String == expected, "\(output["video_codec"] ?? "")")
        #expect(output["cut"] == nil, "nothing was cut or re-encoded")
    }
}

/// The joins of a smart cut play in a real browser: Chromium plays it to the end without an
/// error, and the pictures it shows on both sides of each join are the ones ffmpeg decodes there.
@Suite struct SmartCutBrowserTests {
    @Test func theJoinsPlayInChromium() throws {
        #expect(FileManager.default.isExecutableFile(atPath: "/usr/bin/chromium"), "scripts/bootstrap.sh installs Debian's chromium")
        let (bts, output) = try SmartCutTests.cut(try SmartCutTests.bFramePhoneClip(), name: "browser", from: "3.3", to: "8.7")
        #expect((output["cut"] as? [String: Any])?["method"] as? String == "smart")
        // Pictures (by index at 29.97) in the head, either side of both joins (21 re-encoded, 120 copied, 21 re-encoded), and the last.
        let pictures = [3, 20, 21, 80, 140, 141, 161]
        let times = pictures.map { (Double($0) + 0.5) * 1001 / 30000 }
        let script = TestPaths.packageRoot.appendingPathComponent("scripts/video-play-check.py").path
        let run = try ExternalTool.run("python3", [script, bts] + times.map { String(format: "%.4f", $0) })
        #expect(run.status == 0, "\(run.stderr)")
        let seen = try #require(try JSONSerialization.jsonObject(with: run.stdout) as? [String: Any])
        #expect(seen["ended"] as? Bool == true && seen["error"] is NSNull, "played to the end: \(seen["error"] ?? "")")
        #expect(abs((seen["duration"] as? Double ?? 0) - 162 * 1001 / 30000.0) < 0.02)
        let shown = try #require(seen["pictures"] as? [String: [String: Any]])

        /// ffmpeg's decode of picture `index`, as the script reports Chromium's: mean RGB of each 20x20 block.
        func ffmpegPicture(_ index: Int) throws -> [Double] {
            let r = try ExternalTool.run("ffmpeg", ["-v", "error", "-i", bts, "-vf", "select=eq(n\\,\(index))", "-frames:v", "1",
                                                    "-f", "rawvideo", "-pix_fmt", "rgb24", "-"])
            guard r.status == 0, r.stdout.count == 1080 * 1920 * 3 else { throw OracleError("ffmpeg picture \(index): \(r.stderr)") }
            let raw = [UInt8](r.stdout), block = 20, width = 1080
            var means: [Double] = []
            for by in stride(from: 0, through: 1920 - block, by: block) {
                for bx in stride(from: 0, through: width - block, by: block) {
                    for k in 0..<3 {
                        var sum = 0
                        for y in by..<by + block { for x in bx..<bx + block { sum += Int(raw[(y * width + x) * 3 + k]) } }
                        means.append(Double(sum) / Double(block * block))
                    }
                }
            }
            return means
        }
        func difference(_ a: [Double], _ b: [Double]) -> Double { zip(a, b).map { abs($0 - $1) }.reduce(0, +) / Double(max(a.count, 1)) }
        for (index, time) in zip(pictures, times) {
            let picture = try #require(shown.first { abs((Double($0.key) ?? 0) - time) < 1e-3 }?.value)
            let chrome = try #require(picture["means"] as? [Double])
            #expect(abs((picture["mediaTime"] as? Double ?? -1) - Double(index) * 1001 / 30000) < 0.017, "Chromium presents picture \(index): \(picture["mediaTime"] ?? "none")")
            let same = difference(chrome, try ffmpegPicture(index))
            let neighbours = try [index - 1, index + 1].filter { (0..<162).contains($0) }.map { difference(chrome, try ffmpegPicture($0)) }
            #expect(same < 2 && neighbours.allSatisfy { same < $0 }, "picture \(index): \(same) from ffmpeg's, \(neighbours) from its neighbours'")
        }
    }
}
