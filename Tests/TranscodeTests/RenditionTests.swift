import Foundation
import Testing
@testable import Transcode

/// A rendition written out and read back (as templates are) is the same rendition.
@Suite struct RenditionTests {
    static func roundTrip(_ r: Rendition) throws -> Rendition {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try decoder.decode(Rendition.self, from: encoder.encode(r))
    }

    @Test func theEditorsCutKeepsNoLimitAndNoLevel() throws {
        let back = try Self.roundTrip(.editorsCut)
        #expect(back == .editorsCut)
        #expect(back.maxDurationSeconds == nil && back.level == nil, "null, not X's 140 s and level 4.1")
    }

    @Test func aSubmeSurvivesAndItsAbsenceToo() throws {
        var reply = Rendition()
        reply.x264Subme = 1
        #expect(try Self.roundTrip(reply) == reply)
        #expect(reply.x264Tuning == ["subme=1"])
        #expect(try Self.roundTrip(Rendition()).x264Subme == nil)
        #expect(Rendition().x264Tuning.isEmpty, "no subme: the preset's own")
    }
}
