import Foundation
import Testing
@testable import Captioning

@Suite struct LineWrapperTests {
    @Test func breaksAreBalanced() {
        let lines = LineWrapper.wrap("Thank you for speaking out about the people who live in Kakuma camp", maxCharacters: 42, maxLines: 2)
        #expect(lines.count == 2)
        #expect(lines.allSatisfy { $0.count <= 42 })
        #expect(abs(lines[0].count - lines[1].count) <= 10, "\(lines)")
    }

    @Test func noLoneWordOnALine() {
        let lines = LineWrapper.wrap("But outrage alone is never enough for anyone here", maxCharacters: 42, maxLines: 2)
        #expect(lines.count == 2)
        #expect(lines.allSatisfy { $0.split(separator: " ").count > 1 }, "\(lines)")
    }

    @Test func shortTextStaysOnOneLine() {
        #expect(LineWrapper.wrap("Sign the petition.", maxCharacters: 32, maxLines: 3) == ["Sign the petition."])
    }

    @Test func portraitUsesThreeNarrowLines() {
        let text = "We have lived in this camp for eleven years and we still wait for a safe place to go home"
        let lines = LineWrapper.wrap(text, maxCharacters: 32, maxLines: 3)
        #expect(lines.count == 3 && lines.allSatisfy { $0.count <= 32 }, "\(lines)")
    }
}

@Suite struct CaptionLinterTests {
    let landscape = CaptionLayoutRules.forFrame(width: 1280, height: 720)

    @Test func findsEachRule() {
        let cues = [
            CaptionCue(start: 0, end: 0.5, lines: ["Too quick"], sourceLine: 2),
            CaptionCue(start: 0.52, end: 1.5, lines: ["This line is far too long to be read in under one second on a phone"], sourceLine: 6),
            CaptionCue(start: 2, end: 9, lines: ["One two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen"], sourceLine: 10),
            CaptionCue(start: 12, end: 13, lines: ["After the end"], sourceLine: 14),
        ]
        let findings = CaptionLinter.lint(CaptionTrack(file: "x.srt", cues: cues), rules: landscape, clipDuration: 10)
        let rules = Set(findings.map(\.rule))
        #expect(rules.isSuperset(of: ["min-duration", "reading-speed", "gap", "lines", "past-end"]), "\(findings.map(\.description))")
        #expect(findings.allSatisfy { $0.severity == .warning })
        #expect(findings.first { $0.rule == "past-end" }?.line == 14)
    }

    @Test func cleanCaptionsHaveNoFindings() {
        let cues = [CaptionCue(start: 0.3, end: 2.4, lines: ["Thank you for speaking out."], sourceLine: 2)]
        #expect(CaptionLinter.lint(CaptionTrack(file: "x.srt", cues: cues), rules: landscape, clipDuration: 6).isEmpty)
    }
}

@Suite struct ASSScriptTests {
    @Test func sizesFollowTheFrame() {
        let portrait = ASSScript(width: 720, height: 1280), landscape = ASSScript(width: 1280, height: 720)
        // 4.5% of 1280 and 7.5% of 720 line heights.
        #expect(portrait.captionFontSize == 48 && landscape.captionFontSize == 45)
        #expect(portrait.captionMargins.vertical == 160, "9:16 safe area: central 75% high")
        #expect(landscape.captionMargins.horizontal == 64)
    }

    @Test func textCannotInjectOverrideTags() {
        var script = ASSScript(width: 1280, height: 720)
        script.addCaptions([CaptionCue(start: 1, end: 2, lines: ["{\\pos(0,0)}Hello \\N there"])])
        let event = script.events.last!
        #expect(!event.contains("{\\pos"))
        #expect(event.hasPrefix("Dialogue: 0,0:00:01.00,0:00:02.00,Caption,"))
        #expect(script.text.contains(",-1\n"), "styles detect each line's direction (Encoding -1)")
    }

    @Test func endCardIsLocalised() {
        var card = EndCardTemplate(petitionUrl: "https://petition.example.org/takeaction")
        card.text = ["en": "Sign the petition.", "ar": "وقّع العريضة."]
        var script = ASSScript(width: 720, height: 1280)
        script.addEndCard(card, language: "ar", start: 6)
        #expect(script.events.contains { $0.contains("وقّع العريضة.") && $0.hasPrefix("Dialogue: 0,0:00:06.00,0:00:10.00,CardText") })
        #expect(script.events.contains { $0.contains("#TakeAction") })
    }
}

@Suite struct RetimingTests {
    @Test func trimShiftsAndCutsCues() throws {
        let track = CaptionTrack(file: "x.srt", cues: [
            CaptionCue(start: 1, end: 3, lines: ["before and across"]),
            CaptionCue(start: 4, end: 5, lines: ["inside"]),
            CaptionCue(start: 9, end: 12, lines: ["after"]),
        ])
        let cues = track.retimed(offset: 2, duration: 6)
        #expect(cues.map(\.start) == [0, 2])
        #expect(cues.map(\.end) == [1, 3])
        let srt = SubRipWriter.text(cues)
        let reread = try SubRipParser.parse(Data(srt.utf8), file: "captions.en.srt")
        #expect(reread.cues.map(\.lines) == [["before and across"], ["inside"]])
    }
}
