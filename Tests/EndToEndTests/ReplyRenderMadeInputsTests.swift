import Foundation
import Testing
import TestSupport

/// Inputs the tests make with the ffmpeg CLI for the cases real phones produce: rotation, VFR,
/// HDR, surround sound, interlacing, anamorphic pixels, 4K60, ProRes, WebM, odd sizes, late audio.
@Suite struct ReplyRenderMadeInputsTests {
    /// An upright portrait test card (green top-left, red top-right, blue bottom) stored sideways
    /// with a display matrix, as a phone stores it.
    static func rotatedCard(degrees: Int) throws -> String {
        let store = degrees == -90 ? "transpose=cclock" : "transpose=clock"
        let card = "color=green:s=180x320:r=30:d=2[g];color=red:s=180x320:r=30:d=2[r];[g][r]hstack[top];"
            + "color=blue:s=360x320:r=30:d=2[b];[top][b]vstack,\(store),format=yuv420p[v]"
        return try Fixtures.make("card_rot\(degrees).mp4", ["-filter_complex", card, "-map", "[v]", "-c:v", "libx264", "-preset", "ultrafast"]) {
            try Fixtures.setRotation($0, degrees: degrees)
        }
    }

    @Test(arguments: [-90, 90])
    func rotatedClipIsUprightInPixels(degrees: Int) throws {
        let input = try Self.rotatedCard(degrees: degrees)
        let (result, folder) = try renderReply(input, name: "rotated\(degrees)")
        #expect(result.status == 0, "\(result.stderr)")
        try expectXReady(replyPath(in: folder), duration: 2.0)
        let rgb = try ReplyInspection(replyPath(in: folder)).rgbFrame(at: 1.0, width: 72, height: 128)
        let topLeft = pixel(rgb, x: 18, y: 32, width: 72), topRight = pixel(rgb, x: 54, y: 32, width: 72)
        let bottom = pixel(rgb, x: 36, y: 100, width: 72)
        #expect(topLeft.g > 100 && topLeft.r < 80, "top-left should be green: \(topLeft)")
        #expect(topRight.r > 150 && topRight.g < 80, "top-right should be red: \(topRight)")
        #expect(bottom.b > 150 && bottom.r < 80, "bottom should be blue: \(bottom)")
    }

    @Test func variableFrameRateBecomesConstant() throws {
        let input = try Fixtures.make("vfr.mp4", [
            "-filter_complex", "testsrc2=s=640x360:r=30:d=2[a];testsrc2=s=640x360:r=15:d=2[b];[a][b]concat=n=2:v=1:a=0[v]",
            "-f", "lavfi", "-i", Fixtures.speech + ":d=4", "-map", "[v]", "-map", "0:a", "-fps_mode", "vfr",
            "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac"])
        let (result, folder) = try renderReply(input, name: "vfr")
        #expect(result.status == 0, "\(result.stderr)")
        try expectXReady(replyPath(in: folder), duration: try sourceVideoDuration(input))
    }

    @Test func hlgTenBitHEVCIsToneMappedToSDR() throws {
        let input = try Fixtures.make("hlg10.mov", [
            "-f", "lavfi", "-i", "testsrc2=s=1280x720:r=30:d=1.5,format=yuv420p10le",
            "-c:v", "libx265", "-x265-params", "log-level=error", "-preset", "ultrafast",
            "-color_primaries", "bt2020", "-color_trc", "arib-std-b67", "-colorspace", "bt2020nc"])
        let (result, folder) = try renderReply(input, name: "hlg10")
        #expect(result.status == 0, "\(result.stderr)")
        try expectXReady(replyPath(in: folder), duration: 1.5)
        let video = try #require(try ReplyInspection(replyPath(in: folder)).video)
        #expect(video.string("color_primaries") == "bt709")
        // Tone-mapped, not clipped or black: the test card's mid-grey areas stay mid-grey.
        let rgb = try ReplyInspection(replyPath(in: folder)).rgbFrame(at: 0.5, width: 64, height: 36)
        let mean = stride(from: 0, to: rgb.count, by: 3).map { Double(rgb[$0]) }.reduce(0, +) / Double(rgb.count / 3)
        #expect(mean > 20 && mean < 235, "mean red level \(mean)")
    }

    @Test func surroundSoundIsDownmixedToStereo() throws {
        let six = (0..<6).map { "0.2*sin(2*PI*\(200 + 60 * $0)*t)" }.joined(separator: "|")
        let input = try Fixtures.make("surround51.mp4", [
            "-f", "lavfi", "-i", "testsrc2=s=640x360:r=30:d=2", "-f", "lavfi", "-i", "aevalsrc=\(six):c=5.1:s=48000:d=2",
            "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac"])
        let (result, folder) = try renderReply(input, name: "surround51")
        #expect(result.status == 0, "\(result.stderr)")
        try expectXReady(replyPath(in: folder), duration: 2.0)
    }

    @Test func clipWithoutAudioGetsASilentTrack() throws {
        let (result, folder) = try renderReply(TestPaths.sample("silent_4x3.mp4"), name: "no-audio")
        #expect(result.status == 0, "\(result.stderr)")
        try expectXReady(replyPath(in: folder), duration: 4.0)
        #expect(try ReplyInspection(replyPath(in: folder)).audioLevel(from: 0, to: 4) < -80)
    }

    @Test func interlacedClipIsDeinterlaced() throws {
        let input = try Fixtures.make("interlaced.mp4", [
            "-f", "lavfi", "-i", "testsrc2=s=720x576:r=25:d=2", "-flags", "+ildct+ilme",
            "-c:v", "libx264", "-preset", "ultrafast", "-x264-params", "tff=1", "-field_order", "tt"])
        let source = try #require(try FFprobe.streams(input, select: "v:0").first)
        #expect(source.string("field_order") == "tt", "the fixture really is interlaced")
        let (result, folder) = try renderReply(input, name: "interlaced")
        #expect(result.status == 0, "\(result.stderr)")
        try expectXReady(replyPath(in: folder), duration: 2.0)
    }

    @Test func anamorphicPALBecomesSquarePixels() throws {
        let input = try Fixtures.make("anamorphic.mp4", [
            "-f", "lavfi", "-i", "testsrc2=s=720x576:r=25:d=2,setsar=64/45", "-c:v", "libx264", "-preset", "ultrafast"])
        let (result, folder) = try renderReply(input, name: "anamorphic")
        #expect(result.status == 0, "\(result.stderr)")
        try expectXReady(replyPath(in: folder), duration: 2.0)
        let video = try #require(try ReplyInspection(replyPath(in: folder)).video)
        #expect(video.int("width") == 1280 && video.int("height") == 720, "16:9 anamorphic fills a 16:9 frame")
    }

    @Test func fourK60BecomesSixtyFps720p() throws {
        let input = try Fixtures.make("uhd60.mp4", [
            "-f", "lavfi", "-i", "testsrc2=s=3840x2160:r=60:d=1.5", "-c:v", "libx264", "-preset", "ultrafast"])
        let (result, folder) = try renderReply(input, name: "uhd60")
        #expect(result.status == 0, "\(result.stderr)")
        try expectXReady(replyPath(in: folder), duration: 1.5, frameRate: 60)
    }

    @Test func proResMovIsAccepted() throws {
        let input = try Fixtures.make("prores.mov", [
            "-f", "lavfi", "-i", "testsrc2=s=640x360:r=30:d=1.5", "-f", "lavfi", "-i", Fixtures.speech + ":d=1.5",
            "-c:v", "prores_ks", "-profile:v", "0", "-c:a", "pcm_s16le"])
        let (result, folder) = try renderReply(input, name: "prores")
        #expect(result.status == 0, "\(result.stderr)")
        try expectXReady(replyPath(in: folder), duration: 1.5)
    }

    @Test func vp9OpusWebMIsAccepted() throws {
        let input = try Fixtures.make("vp9.webm", [
            "-f", "lavfi", "-i", "testsrc2=s=640x360:r=30:d=2", "-f", "lavfi", "-i", Fixtures.speech + ":d=2",
            "-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8", "-b:v", "300k", "-c:a", "libopus"])
        let (result, folder) = try renderReply(input, name: "vp9")
        #expect(result.status == 0, "\(result.stderr)")
        try expectXReady(replyPath(in: folder), duration: try sourceVideoDuration(input))
    }

    @Test func oddDimensionsAreHandled() throws {
        let input = try Fixtures.make("odd.mkv", ["-f", "lavfi", "-i", "testsrc2=s=639x359:r=30:d=1.5", "-c:v", "ffv1"])
        let (result, folder) = try renderReply(input, name: "odd")
        #expect(result.status == 0, "\(result.stderr)")
        try expectXReady(replyPath(in: folder), duration: 1.5)
    }

    @Test func audioStartingOneSecondLateStaysInSync() throws {
        let input = try Fixtures.make("late-audio.mp4", [
            "-f", "lavfi", "-i", "testsrc2=s=640x360:r=30:d=3", "-itsoffset", "1", "-f", "lavfi", "-i", Fixtures.speech + ":d=2",
            "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac"])
        let (result, folder) = try renderReply(input, name: "late-audio")
        #expect(result.status == 0, "\(result.stderr)")
        try expectXReady(replyPath(in: folder), duration: 3.0)
        let reply = try ReplyInspection(replyPath(in: folder))
        #expect(try reply.audioLevel(from: 0, to: 0.9) < -60, "the first second is silence, not speech pulled early")
        #expect(try reply.audioLevel(from: 1.2, to: 2.8) > -40, "speech arrives at 1 s")
    }

    @Test func loudnessIsNormalised() throws {
        let input = try Fixtures.make("quiet-speech.mp4", [
            "-f", "lavfi", "-i", "testsrc2=s=640x360:r=30:d=8", "-f", "lavfi", "-i", Fixtures.speech + ":d=8,volume=-18dB",
            "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac", "-b:a", "128k"])
        let (result, folder) = try renderReply(input, name: "loudness")
        #expect(result.status == 0, "\(result.stderr)")
        let loudness = try ReplyInspection(replyPath(in: folder)).loudness()
        #expect(abs(loudness.integrated - -16) <= 2.0, "integrated \(loudness.integrated) LUFS")
        #expect(loudness.truePeak <= -1.0, "true peak \(loudness.truePeak) dBTP")
    }

    @Test func overLongClipFailsWithATrimHintAndTrimWorks() throws {
        let input = try Fixtures.make("long163.mp4", [
            "-f", "lavfi", "-i", "testsrc2=s=160x90:r=5:d=163", "-c:v", "libx264", "-preset", "ultrafast"])
        let (refused, refusedFolder) = try renderReply(input, name: "long-refused")
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("clip is 163 s; X allows 140 s: set a trim"), "\(refused.stderr)")
        expectNothingLeftBehind(in: refusedFolder)

        let (trimmed, folder) = try renderReply(input, name: "long-trimmed", extra: ["--trim-start", "100", "--trim-end", "112.5"])
        #expect(trimmed.status == 0, "\(trimmed.stderr)")
        try expectXReady(replyPath(in: folder), duration: 12.5)
    }
}
