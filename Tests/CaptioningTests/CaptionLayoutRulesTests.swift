import Testing
@testable import Captioning

@Suite struct CaptionLayoutRulesTests {
    @Test func portraitAllowsThreeShorterLines() {
        let portrait = CaptionLayoutRules.forFrame(width: 720, height: 1280)
        let landscape = CaptionLayoutRules.forFrame(width: 1280, height: 720)
        #expect(portrait.maxLines == 3 && landscape.maxLines == 2)
        #expect(portrait.maxCharactersPerLine < landscape.maxCharactersPerLine)
        #expect(portrait.safeHeightFraction == 0.75)
        #expect(landscape.lineHeightFraction > portrait.lineHeightFraction)
    }
}
