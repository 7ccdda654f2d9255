import Foundation
import Testing
import TestSupport

/// Runs `mediaorch process` with the fast test template and returns the job folder.
func renderReply(_ input: String, name: String, extra: [String] = []) throws -> (result: ExternalTool.Result, folder: URL) {
    let folder = try TestPaths.scratch("replies/\(name)")
    let result = try ExternalTool.run(TestPaths.mediaorch, ["process", input, "--out", folder.path, "--template", "twitter-reply-fast",
                                                          "--templates", TestPaths.jobs.path] + extra)
    return (result, folder)
}

/// Seconds of pictures in a source, as ffprobe sees them: the stream's duration, or for containers
/// without one, the end of its last packet.
func sourceVideoDuration(_ path: String) throws -> Double {
    let video = try #require(try FFprobe.streams(path, select: "v:0").first)
    if let d = video.double("duration") { return d }
    let j = try FFprobe.json(path, ["-select_streams", "v:0", "-show_entries", "packet=pts_time,duration_time"])
    let packets = j["packets"] as? [FFprobe.JSON] ?? []
    let ends = packets.compactMap { p in p.double("pts_time").map { $0 + (p.double("duration_time") ?? 0) } }
    let start = video.double("start_time") ?? 0
    return (ends.max() ?? 0) - start
}

/// Everything X's rules and the issue ask of a reply, checked with ffprobe.
func expectXReady(_ path: String, duration expected: Double, frameRate: Int = 30, sourceLocation: SourceLocation = #_sourceLocation) throws {
    let r = try ReplyInspection(path)
    let video = try #require(r.video, "no video stream", sourceLocation: sourceLocation)
    let audio = try #require(r.audio, "no audio stream", sourceLocation: sourceLocation)
    #expect(r.streams.count == 2, "only one video and one audio track, no data/timecode tracks", sourceLocation: sourceLocation)
    #expect(video.string("codec_name") == "h264", sourceLocation: sourceLocation)
    #expect(video.string("profile") == "High", sourceLocation: sourceLocation)
    #expect(video.string("pix_fmt") == "yuv420p", sourceLocation: sourceLocation)
    let size = "\(video.int("width") ?? 0)x\(video.int("height") ?? 0)"
    #expect(["720x1280", "1280x720", "720x720"].contains(size), "size \(size)", sourceLocation: sourceLocation)
    #expect([nil, "1:1"].contains(video.string("sample_aspect_ratio")), sourceLocation: sourceLocation)
    #expect(video.string("field_order") == "progressive", sourceLocation: sourceLocation)
    #expect(video.string("r_frame_rate") == "\(frameRate)/1", sourceLocation: sourceLocation)
    #expect(video.string("avg_frame_rate") == "\(frameRate)/1", "constant frame rate", sourceLocation: sourceLocation)
    #expect(video.string("color_transfer") == "bt709", sourceLocation: sourceLocation)
    #expect((video["side_data_list"] as? [FFprobe.JSON] ?? []).allSatisfy { $0["rotation"] == nil }, "no display matrix left", sourceLocation: sourceLocation)
    let videoDuration = video.double("duration") ?? 0
    #expect(abs(videoDuration - expected) <= 1.0 / Double(frameRate) + 0.002,
            "video lasts \(videoDuration) s, source \(expected) s", sourceLocation: sourceLocation)

    #expect(audio.string("codec_name") == "aac" && audio.string("profile") == "LC", sourceLocation: sourceLocation)
    #expect(audio.int("sample_rate") == 48000 && audio.int("channels") == 2, sourceLocation: sourceLocation)
    #expect(video.double("start_time") == 0 && audio.double("start_time") == 0, "audio and video start together", sourceLocation: sourceLocation)
    #expect(abs((audio.double("duration") ?? 0) - videoDuration) < 0.03, "audio ends with the video", sourceLocation: sourceLocation)

    let boxes = try r.topLevelBoxes()
    let moov = boxes.firstIndex(of: "moov"), mdat = boxes.firstIndex(of: "mdat")
    #expect(moov != nil && mdat != nil && moov! < mdat!, "moov before mdat: \(boxes)", sourceLocation: sourceLocation)
    let gop = try r.keyframesAreIDR()
    #expect(gop.keyframes >= 1 && gop.nonIDR == 0, "closed GOP: \(gop)", sourceLocation: sourceLocation)
    let identifying = r.allTagKeys.filter { key in
        ["location", "make", "model", "creation", "date", "serial", "software", "encoder"].contains { key.lowercased().contains($0) }
    }
    #expect(identifying.isEmpty, "identifying tags left: \(identifying)", sourceLocation: sourceLocation)
}

/// The job folder holds no reply and no half-written file after a failure.
func expectNothingLeftBehind(in folder: URL, sourceLocation: SourceLocation = #_sourceLocation) {
    let left = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
    #expect(left.filter { $0.contains("reply") || $0.contains("partial") }.isEmpty, "left behind: \(left)", sourceLocation: sourceLocation)
}

/// PSNR (dB, all planes) of each picture of `file` against the source's pictures from `start` seconds.
/// The stats file sits beside `file`, in its test's own folder: a folder shared between tests
/// running side by side was emptied by whichever started next.
func psnrOfEachPicture(_ file: String, against source: String, from start: Double, to end: Double) throws -> [Double] {
    let stats = URL(fileURLWithPath: file).deletingLastPathComponent().appendingPathComponent("psnr.log").path
    let graph = "[0:v]trim=start=\(start):end=\(end),setpts=PTS-STARTPTS[a];[1:v]setpts=PTS-STARTPTS[b];[a][b]psnr=stats_file=\(stats)"
    let result = try ExternalTool.run("ffmpeg", ["-v", "error", "-i", source, "-i", file, "-filter_complex", graph, "-f", "null", "-"])
    guard result.status == 0 else { throw OracleError("ffmpeg psnr: \(result.stderr)") }
    return try String(contentsOfFile: stats, encoding: .utf8).split(separator: "\n").compactMap { line in
        line.split(separator: " ").first { $0.hasPrefix("psnr_avg:") }.map { Double($0.dropFirst(9)) ?? .infinity }
    }
}
