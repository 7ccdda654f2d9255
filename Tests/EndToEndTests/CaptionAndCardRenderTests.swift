import Foundation
import Testing
import TestSupport

/// Burned-in captions and the end card, checked on decoded frames and with libass in the ffmpeg CLI.
@Suite struct CaptionAndCardRenderTests {
    /// A job folder holding a ticket and its caption files, as a field team drops them.
    static func ticketFolder(_ name: String, captions: [(file: String, language: String, burn: Bool, text: String)]) throws -> String {
        let folder = try TestPaths.scratch("tickets/\(name)")
        var entries: [String] = []
        for c in captions {
            try Data(c.text.utf8).write(to: folder.appendingPathComponent(c.file))
            entries.append(#"{ "file": "\#(c.file)", "language": "\#(c.language)", "burn": \#(c.burn) }"#)
        }
        let ticket = #"{ "speaker": { "name": "Layla", "camp": "Shatila", "consent": true }, "captions": [\#(entries.joined(separator: ","))] }"#
        let path = folder.appendingPathComponent("clip.job.json").path
        try Data(ticket.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// Templates folder with the fast template plus one that adds an orange 3 s end card.
    static func templatesWithCard() throws -> String {
        let folder = try TestPaths.scratch("templates-with-card")
        let fast = try String(contentsOf: TestPaths.jobs.appendingPathComponent("twitter-reply-fast.json"), encoding: .utf8)
        try fast.write(to: folder.appendingPathComponent("twitter-reply-fast.json"), atomically: true, encoding: .utf8)
        let card = """
        { "name": "fast-card", "outputs": ["reply"], "reply": { "x264_preset": "superfast", "crf": 26 },
          "end_card": { "duration_seconds": 3, "background_color": "#FF8800", "hashtag": "#TakeAction",
                        "text": { "en": "Outrage is not enough.", "ar": "الغضب وحده لا يكفي." },
                        "petition_url": "https://petition.example.org/takeaction" } }
        """
        try card.write(to: folder.appendingPathComponent("fast-card.json"), atomically: true, encoding: .utf8)
        return folder.path
    }

    static func meanDifference(_ a: [UInt8], _ b: [UInt8], width: Int, rows: Range<Int>, columns: Range<Int>) -> Double {
        var total = 0.0, count = 0.0
        for y in rows { for x in columns { for c in 0..<3 {
            let i = (y * width + x) * 3 + c
            total += abs(Double(a[i]) - Double(b[i])); count += 1
        } } }
        return total / count
    }

    @Test func captionChangesOnlyItsAreaAndOnlyWhileOnScreen() throws {
        let srt = "1\n00:00:01,000 --> 00:00:03,000\nThank you for speaking out\nabout the people in Shatila.\n"
        let ticket = try Self.ticketFolder("caption-area", captions: [("t.en.srt", "en", true, srt)])
        let source = TestPaths.sample("shatila_landscape.mp4")
        let (with, withFolder) = try renderReply(source, name: "caption-with", extra: ["--ticket", ticket])
        let (without, withoutFolder) = try renderReply(source, name: "caption-without")
        #expect(with.status == 0 && without.status == 0, "\(with.stderr) \(without.stderr)")
        let w = 128, h = 72
        let a = try ReplyInspection(replyPath(in: withFolder)).rgbFrame(at: 2.0, width: w, height: h)
        let b = try ReplyInspection(replyPath(in: withoutFolder)).rgbFrame(at: 2.0, width: w, height: h)
        let inside = Self.meanDifference(a, b, width: w, rows: 52..<70, columns: 30..<98)
        let outside = Self.meanDifference(a, b, width: w, rows: 0..<36, columns: 0..<128)
        #expect(inside > 15, "the caption area changes (\(inside))")
        #expect(outside < 3, "the rest of the picture does not (\(outside))")
        let afterA = try ReplyInspection(replyPath(in: withFolder)).rgbFrame(at: 4.5, width: w, height: h)
        let afterB = try ReplyInspection(replyPath(in: withoutFolder)).rgbFrame(at: 4.5, width: w, height: h)
        #expect(Self.meanDifference(afterA, afterB, width: w, rows: 0..<72, columns: 0..<128) < 3, "nothing after the last cue")
        let sidecar = try String(contentsOf: withFolder.appendingPathComponent("captions.en.srt"), encoding: .utf8)
        #expect(sidecar.contains("00:00:01,000 --> 00:00:03,000"))
    }

    @Test func trimmedReplyGetsRetimedSidecars() throws {
        let srt = "1\n00:00:01,000 --> 00:00:02,000\nBefore the trim\n\n2\n00:00:03,000 --> 00:00:04,500\nInside the trim\n"
        let ticket = try Self.ticketFolder("caption-trim", captions: [("t.en.srt", "en", false, srt), ("t.fr.srt", "fr", true, srt)])
        let (result, folder) = try renderReply(TestPaths.sample("shatila_landscape.mp4"), name: "caption-trim",
                                               extra: ["--ticket", ticket, "--trim-start", "2.5", "--trim-end", "5.5"])
        #expect(result.status == 0, "\(result.stderr)")
        for language in ["en", "fr"] {
            let text = try String(contentsOf: folder.appendingPathComponent("captions.\(language).srt"), encoding: .utf8)
            #expect(text == "1\n00:00:00,500 --> 00:00:02,000\nInside the trim\n\n", "\(language): \(text)")
        }
        #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent("captions.fr.ass").path), "the burned language keeps its styling")
        let manifest = try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("manifest.json"))) as? [String: Any]
        let captions = try #require(manifest?["captions"] as? [[String: Any]])
        #expect(captions.map { $0["burned"] as? Bool } == [false, true])
    }

    @Test func endCardFillsTheConfiguredTimeAtTheEnd() throws {
        let templates = try Self.templatesWithCard()
        let folder = try TestPaths.scratch("replies/card")
        let result = try ExternalTool.run(TestPaths.mediaorch, ["process", TestPaths.sample("shatila_landscape.mp4"), "--out", folder.path,
                                                              "--template", "fast-card", "--templates", templates])
        #expect(result.status == 0, "\(result.stderr)")
        let clip = try sourceVideoDuration(TestPaths.sample("shatila_landscape.mp4"))
        try expectXReady(replyPath(in: folder), duration: clip + 3)
        let reply = try ReplyInspection(replyPath(in: folder))
        for t in [clip + 0.2, clip + 1.5, clip + 2.8] {
            let corner = pixel(try reply.rgbFrame(at: t, width: 64, height: 36), x: 2, y: 2, width: 64)
            #expect(corner.r > 220 && abs(corner.g - 0x88) < 25 && corner.b < 40, "card colour at \(t) s: \(corner)")
        }
        let before = pixel(try reply.rgbFrame(at: clip - 1, width: 64, height: 36), x: 2, y: 2, width: 64)
        #expect(!(before.r > 220 && abs(before.g - 0x88) < 25 && before.b < 40), "the clip is not covered by the card")
        #expect(try reply.audioLevel(from: clip + 0.1, to: clip + 2.9) < -80, "the card is silent")
        #expect(try reply.audioLevel(from: 1, to: clip - 1) > -40, "the clip keeps its sound")
        #expect(try reply.audioLevel(from: clip - 0.12, to: clip) < reply.audioLevel(from: clip - 1.5, to: clip - 0.6) - 6,
                "the clip's sound fades out over its last half-second")
    }

    @Test func theCardCountsTowardsTheLimit() throws {
        let input = try Fixtures.make("long163.mp4", [
            "-f", "lavfi", "-i", "testsrc2=s=160x90:r=5:d=163", "-c:v", "libx264", "-preset", "ultrafast"])
        let folder = try TestPaths.scratch("replies/card-limit")
        let result = try ExternalTool.run(TestPaths.mediaorch, ["process", input, "--out", folder.path, "--template", "fast-card",
                                                              "--templates", try Self.templatesWithCard(), "--trim-start", "0", "--trim-end", "138"])
        #expect(result.status != 0)
        #expect(result.stderr.contains("the trim keeps 138 s + 3 s end card; X allows 140 s"), "\(result.stderr)")
    }

    @Test func arabicCaptionMatchesLibassInTheFFmpegCLI() throws {
        // A still, noise-free picture: two encodes of camera noise never agree, two of the same captions should.
        let source = try Fixtures.make("bars.mp4", ["-f", "lavfi", "-i", "smptebars=s=1280x720:r=30:d=4",
                                                    "-f", "lavfi", "-i", Fixtures.speech + ":d=4",
                                                    "-c:v", "libx264", "-preset", "ultrafast", "-crf", "10", "-c:a", "aac"])
        let arabic = try String(contentsOf: TestPaths.sampleMedia.appendingPathComponent("layla.ar.srt"), encoding: .utf8)
        let ticket = try Self.ticketFolder("arabic", captions: [("layla.ar.srt", "ar", true, arabic)])
        let (result, folder) = try renderReply(source, name: "arabic", extra: ["--ticket", ticket])
        #expect(result.status == 0, "\(result.stderr)")
        let script = folder.appendingPathComponent("captions.ar.ass").path
        #expect(FileManager.default.fileExists(atPath: script))

        // The same filters from `mediaorch plan`, with the product's ASS script burned by ffmpeg's own libass filter.
        let plan = try ExternalTool.run(TestPaths.mediaorch, ["plan", source, "--ticket", ticket, "--template", "twitter-reply-fast",
                                                            "--templates", TestPaths.jobs.path])
        let planJSON = try #require(try JSONSerialization.jsonObject(with: plan.stdout) as? [String: Any])
        let filters = try #require(planJSON["video_filters"] as? String)
        let reference = folder.appendingPathComponent("ffmpeg-libass.mp4").path
        let cli = try ExternalTool.run("ffmpeg", ["-v", "error", "-y", "-i", source, "-vf", "\(filters),ass=filename=\(script):shaping=complex",
                                                  "-an", "-c:v", "libx264", "-preset", "superfast", "-crf", "18", reference])
        #expect(cli.status == 0, "\(cli.stderr)")

        let frames = try TestPaths.scratch("frames")
        let ours = frames.appendingPathComponent("arabic-caption.png").path
        let theirs = frames.appendingPathComponent("arabic-caption-ffmpeg-libass.png").path
        for (file, png) in [(replyPath(in: folder), ours), (reference, theirs)] {
            let r = try ExternalTool.run("ffmpeg", ["-v", "error", "-y", "-i", file, "-ss", "1.5", "-frames:v", "1", png])
            #expect(r.status == 0, "\(r.stderr)")
        }
        // SSIM of the caption area (bottom quarter, central 90%).
        let ssim = try ExternalTool.run("ffmpeg", ["-hide_banner", "-i", ours, "-i", theirs, "-lavfi",
                                                   "[0]crop=iw*0.9:ih*0.25:iw*0.05:ih*0.75[a];[1]crop=iw*0.9:ih*0.25:iw*0.05:ih*0.75[b];[a][b]ssim",
                                                   "-f", "null", "-"])
        let all = ssim.stderr.components(separatedBy: "All:").last.flatMap { Double($0.split(separator: " ").first ?? "") }
        #expect((all ?? 0) >= 0.9, "SSIM of the caption area: \(all ?? -1)")
    }

    /// PNGs for a person to look at: an English caption, an Arabic caption, the end card.
    @Test func savesFramesForAPersonToLookAt() throws {
        let templates = try Self.templatesWithCard()
        let english = try String(contentsOf: TestPaths.sampleMedia.appendingPathComponent("abu.en.srt"), encoding: .utf8)
        let ticket = try Self.ticketFolder("frames-en", captions: [("abu.en.srt", "en", true, english)])
        let folder = try TestPaths.scratch("replies/frames-en")
        let result = try ExternalTool.run(TestPaths.mediaorch, ["process", TestPaths.sample("kakuma_portrait.mov"), "--out", folder.path,
                                                              "--ticket", ticket, "--template", "fast-card", "--templates", templates])
        #expect(result.status == 0, "\(result.stderr)")
        let frames = try TestPaths.scratch("frames-portrait")
        for (time, name) in [(1.2, "english-caption.png"), (7.5, "end-card.png")] {
            let png = frames.appendingPathComponent(name).path
            let r = try ExternalTool.run("ffmpeg", ["-v", "error", "-y", "-i", replyPath(in: folder), "-ss", String(time), "-frames:v", "1", png])
            #expect(r.status == 0 && FileManager.default.fileExists(atPath: png))
        }
    }
}
