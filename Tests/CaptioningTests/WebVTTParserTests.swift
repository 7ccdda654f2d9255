import Foundation
import Testing
@testable import Captioning

@Suite struct WebVTTParserTests {
    @Test func readsSettingsVoicesEntitiesAndSkipsNotes() throws {
        let text = """
        WEBVTT - Shatila team

        NOTE This is a comment
        spanning two lines

        STYLE
        ::cue { color: yellow }

        intro
        00:00.200 --> 00:02.800 line:85% align:center
        <v Layla>We have been in Shatila</v> &amp; <b>Burj</b> &lt;3 &#x41;&#66;

        00:00:03.000 --> 00:00:05.700
        <c.yellow>Thank you</c> <i>for</i> listening&nbsp;now
        """
        let track = try WebVTTParser.parse(Data(text.utf8), file: "layla.en.vtt")
        #expect(track.cues.count == 2)
        let first = track.cues[0]
        #expect(first.start == 0.2 && first.end == 2.8)
        #expect(first.voice == "Layla")
        #expect(first.linePosition == 0.85)
        #expect(first.lines == ["We have been in Shatila & Burj <3 AB"])
        #expect(track.cues[1].lines == ["Thank you for listening\u{00A0}now"])
        #expect(track.cues[1].sourceLine == 13)
    }

    @Test func headerIsRequired() {
        #expect(throws: CaptionError(file: "x.vtt", line: 1, "a WebVTT file must start with 'WEBVTT'")) {
            try WebVTTParser.parse(Data("00:01.000 --> 00:02.000\nHi\n".utf8), file: "x.vtt")
        }
    }

    @Test func badTimestampNamesTheLine() {
        let text = "WEBVTT\n\n00:01.000 --> 00:02.000\nFine\n\n00:0a.000 --> 00:04.000\nBroken\n"
        #expect(throws: CaptionError(file: "x.vtt", line: 6, "bad timestamp '00:0a.000'")) {
            try WebVTTParser.parse(Data(text.utf8), file: "x.vtt")
        }
    }

    @Test func sampleFilesParse() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        for name in ["abu.en.srt", "abu.ar.srt", "layla.ar.srt", "layla.en.vtt"] {
            let track = try CaptionFile.load(path: root.appendingPathComponent("SampleMedia/\(name)").path)
            #expect(!track.cues.isEmpty, "\(name)")
        }
    }
}
