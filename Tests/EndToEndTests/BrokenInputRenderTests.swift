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
        // Found by make fuzz: media data none of whose opening pictures decodes leaves the
        // picture format unknown; the filter graph could not be built (exit 1, libav's words).
        var blank = whole
        let mdat = try #require(blank.range(of: Data("mdat".utf8)))
        blank.replaceSubrange(mdat.upperBound..<blank.endIndex, with: Data(count: blank.endIndex - mdat.upperBound))
        let audioOnly = try Fixtures.make("audio-only.m4a", ["-f", "lavfi", "-i", Fixtures.speech + ":d=2", "-c:a", "aac"])
        // Found by make fuzz: a flipped pixel aspect ratio (568:32767) made an editors' cut in the
        // clip's own shape ask x264 for 18460x568 pictures (exit 1, libx264's "Generic error").
        let sliver = try Fixtures.make("sar-1-60.mp4", [
            "-f", "lavfi", "-i", "testsrc2=s=640x360:r=30:d=1,setsar=1/60", "-c:v", "libx264", "-preset", "ultrafast"])
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
            write("blank-pictures.mp4", blank),
            ("audio-only.m4a", audioOnly),
            ("sar-1-60.mp4", sliver),
            write("notes.mp4", Data("Take 2 is better. Abu.\n".utf8)),
        ]
    }

    @Test func eachFailsClearlyAndLeavesNoReply() throws {
        for (name, path) in try Self.cases() {
            let (result, folder) = try renderReply(path, name: "broken-\(name)")
            // 2: the upload itself is at fault, so the queue does not try it again (1 would).
            #expect(result.status == 2, "\(name): exit \(result.status): \(result.stderr)")
            let lines = result.stderr.split(separator: "\n").filter { !$0.contains("%") }
            #expect(lines.count == 1 && lines[0].contains(name), "\(name): \(result.stderr)")
            expectNothingLeftBehind(in: folder)
        }
    }

    /// Found by make fuzz: one flipped bit in an iPhone clip's `sgpd` box (the sync sample group) makes
    /// its entry count a billion, and libav's mov demuxer took 1.1 GB for it before it refused
    /// the file (ffprobe still does). Now it is refused at once, saying the file is damaged, and
    /// the whole `process` run stays small. Its peak memory is read by a python3 parent, the only
    /// child it waits for (getrusage), so other tests running beside it do not count.
    @Test func anIndexClaimingAGigabyteIsRefusedWithoutTakingIt() throws {
        var iphone = try Data(contentsOf: URL(fileURLWithPath: TestPaths.shared("iphone14pro_hevc10_hlg_dolbyvision.MOV")))
        // The box's type, version 1 and its flags, grouping type "sync" (the one libav reads),
        // default length, then the entry count.
        let sgpd = try #require(iphone.range(of: Data("sgpd".utf8) + Data([1, 0, 0, 0]) + Data("sync".utf8)),
                                "the iPhone clip has a sync sample group box")
        let count = sgpd.upperBound + 4
        iphone.replaceSubrange(count..<count + 4, with: [0x40, 0, 0, 1])
        let folder = try TestPaths.scratch("replies/broken-sgpd-billion")
        let damaged = folder.appendingPathComponent("sgpd-billion.MOV")
        try iphone.write(to: damaged)
        let measure = """
            import json, resource, subprocess, sys
            run = subprocess.run(sys.argv[1:], capture_output=True, text=True, timeout=120)
            peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
            print(json.dumps({"status": run.returncode, "stderr": run.stderr, "peak_kib": peak}))
            """
        let run = try ExternalTool.run("python3", ["-c", measure, TestPaths.mediaorch, "process", damaged.path, "--out", folder.path,
                                                   "--template", "twitter-reply-fast", "--templates", TestPaths.jobs.path])
        let report = try #require(try JSONSerialization.jsonObject(with: run.stdout) as? [String: Any], "\(run.stderr)")
        let stderr = report["stderr"] as? String ?? ""
        #expect(report["status"] as? Int == 2, "\(stderr)")
        let lines = stderr.split(separator: "\n").filter { !$0.contains("%") }
        #expect(lines.count == 1 && lines[0].contains("sgpd-billion.MOV") && lines[0].contains("damaged"), "\(stderr)")
        let peakMiB = (report["peak_kib"] as? Int ?? .max) / 1024
        #expect(peakMiB < 300, "mediaorch process took \(peakMiB) MiB to refuse it")
        expectNothingLeftBehind(in: folder)
    }
}
