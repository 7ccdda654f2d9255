import Foundation
import Testing
@testable import Captioning

@Suite struct SubRipParserTests {
    let sample = "1\n00:00:01,000 --> 00:00:02,500\n<i>Thank you</i> for\nspeaking out\n\n2\n00:00:03,000 --> 00:00:04,000\n{\\an8}Outrage is not enough\n"

    @Test func readsCuesWithTagsStripped() throws {
        let track = try SubRipParser.parse(Data(sample.utf8), file: "abu.en.srt")
        #expect(track.cues.count == 2)
        #expect(track.cues[0].start == 1.0 && track.cues[0].end == 2.5)
        #expect(track.cues[0].lines == ["Thank you for", "speaking out"])
        #expect(track.cues[1].lines == ["Outrage is not enough"])
        #expect(track.findings.isEmpty)
    }

    /// Found by make fuzz-http: hours past Int's range in h * 3600 trapped the whole service.
    @Test func hoursNoCaptionHasAreRefusedNamingTheLineNotTrapped() throws {
        for hours in ["2562047788015216", "99999"] {
            for (text, name) in [("1\n\(hours):00:00,000 --> \(hours):00:01,000\nHi\n", "a.srt"),
                                 ("WEBVTT\n\n\(hours):00:00.000 --> \(hours):00:01.000\nHi\n", "a.vtt")] {
                #expect(throws: CaptionError.self, "\(name) \(hours)") { _ = try CaptionFile.parse(Data(text.utf8), name: name) }
            }
        }
        #expect(try CaptionFile.parse(Data("1\n1000:00:00,000 --> 1000:00:01,000\nHi\n".utf8), name: "a.srt").cues.first?.start == 3_600_000)
    }

    @Test func crlfAndByteOrderMarkAreTolerated() throws {
        let crlf = Data([0xEF, 0xBB, 0xBF]) + Data(sample.replacingOccurrences(of: "\n", with: "\r\n").utf8)
        let track = try SubRipParser.parse(crlf, file: "abu.en.srt")
        #expect(track.cues.count == 2)
        #expect(track.cues[0].lines.first == "Thank you for")
    }

    @Test func utf16InBothByteOrdersIsRead() throws {
        let arabic = "1\r\n00:00:00,300 --> 00:00:02,400\r\nشكراً لأنك تحدثت\r\n"
        let little = try #require(arabic.data(using: .utf16LittleEndian))
        let big = try #require(arabic.data(using: .utf16BigEndian))
        for data in [Data([0xFF, 0xFE]) + little, Data([0xFE, 0xFF]) + big, little] {
            let track = try SubRipParser.parse(data, file: "abu.ar.srt")
            #expect(track.cues.first?.lines == ["شكراً لأنك تحدثت"])
        }
    }

    @Test func badTimestampNamesTheLine() {
        let broken = "1\n00:00:01,000 --> 00:00:02,000\nFine\n\n2\n00:00:0X,100 --> 00:00:04,000\nBroken\n"
        #expect(throws: CaptionError(file: "abu.en.srt", line: 6, "bad timestamp '00:00:0X,100'")) {
            try SubRipParser.parse(Data(broken.utf8), file: "abu.en.srt")
        }
        let described = CaptionError(file: "abu.en.srt", line: 6, "bad timestamp '00:00:0X,100'").description
        #expect(described == "captions abu.en.srt line 6: bad timestamp '00:00:0X,100'")
    }

    @Test func textWhereATimingBelongsIsAnError() {
        let broken = "1\nHello there\n"
        #expect(throws: CaptionError.self) { try SubRipParser.parse(Data(broken.utf8), file: "x.srt") }
    }

    @Test func endBeforeStartIsAnError() {
        let broken = "1\n00:00:03,000 --> 00:00:02,000\nBackwards\n"
        #expect(throws: CaptionError.self) { try SubRipParser.parse(Data(broken.utf8), file: "x.srt") }
    }

    @Test func overlapsAndZeroLengthCuesAreWarnings() throws {
        let text = "1\n00:00:01,000 --> 00:00:03,000\nOne\n\n2\n00:00:02,000 --> 00:00:04,000\nTwo\n\n3\n00:00:05.000 --> 00:00:05.000\nThree\n"
        let track = try SubRipParser.parse(Data(text.utf8), file: "x.srt")
        #expect(track.cues.count == 3, "a '.' before the milliseconds is accepted")
        #expect(track.findings.map(\.rule).sorted() == ["overlap", "zero-length"])
        #expect(track.findings.allSatisfy { $0.severity == .warning })
        #expect(track.findings.first { $0.rule == "overlap" }?.line == 6)
    }

    @Test func missingCueNumbersAreTolerated() throws {
        let text = "00:00:01,000 --> 00:00:02,000\nNo number\n\n00:00:03,000 --> 00:00:04,000\nStill fine\n"
        #expect(try SubRipParser.parse(Data(text.utf8), file: "x.srt").cues.count == 2)
    }
}
