import Foundation
import Testing
import TestSupport
@testable import MediaOrchestrator

@Suite struct JSONOutputTests {
    @Test func probeJSONUsesSnakeCaseAndRoundTrips() throws {
        let info = try Demuxer(path: TestPaths.sample("kakuma_portrait.mov")).probe()
        let text = try JSONOutput.string(info)
        #expect(text.contains("\"display_width\" : 1080"))
        #expect(text.contains("\"identifying_metadata\""))
        let back = try JSONOutput.decoder().decode(MediaInfo.self, from: Data(text.utf8))
        #expect(back.streams.count == info.streams.count)
        #expect(back.videoStreams.first?.realFrameRate == Rational(30, 1))
    }
}
