import Foundation
import Testing
import TestSupport
@testable import MediaOrchestrator

@Suite struct JSONOutputTests {
    @Test func probeJSONUsesSnakeCaseAndRoundTrips() throws {
        let info = try Demuxer(path: TestPaths.sample("kakuma_portrait.mov")).probe()
        let text = try JSONCoding.string(info)
        #expect(text.contains("\"display_width\" : 1080"))
        #expect(text.contains("\"identifying_metadata\""))
        let back = try JSONCoding.decoder().decode(MediaInfo.self, from: Data(text.utf8))
        #expect(back.streams.count == info.streams.count)
        #expect(back.videoStreams.first?.realFrameRate == Rational(30, 1))
    }

    @Test func aBrokenFieldIsNamedAsTheFileSpellsIt() throws {
        func message(_ json: String) -> String {
            do {
                _ = try JSONCoding.decoder().decode(JobTemplate.self, from: Data(json.utf8))
                return "decoded"
            } catch let error as DecodingError {
                return DecodingErrorText.describe(error)
            } catch { return "\(error)" }
        }
        #expect(message(#"{"name": "t", "outputs": ["reply"], "reply": {"loudness_lufs": "loud"}}"#) == "'reply.loudness_lufs' should be a number")
        #expect(message(#"{"name": "t", "outputs": ["reply"], "reply": {"x264_subme": 0}}"#).hasPrefix("'reply.x264_subme': 0 is not"))
        // A key the file chose (a language code) is not a field name: it stays as written.
        #expect(message(#"{"name": "t", "outputs": ["reply"], "end_card": {"petition_url": "https://example.org", "text": {"pt-BR": 7}}}"#)
                    .contains("'end_card.text.pt-BR'"))
    }
}
