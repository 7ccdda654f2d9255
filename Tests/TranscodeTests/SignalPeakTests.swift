import CAV
import Testing
@testable import Transcode

/// An HDR clip's peak, as the tone mapping reads it from a picture's messages: libav's order
/// (content light level, then mastering display), damaged values refused or held in range.
@Suite struct SignalPeakTests {
    /// The peak read from a picture carrying the given messages (nil: left out).
    func peak(maxCLL: UInt32? = nil, masteringNits: AVRational? = nil, hasLuminance: Bool = true) -> SignalPeak? {
        let frame = Frame()
        if let maxCLL, let light = av_content_light_metadata_create_side_data(frame.pointer) {
            light.pointee.MaxCLL = maxCLL
        }
        if let masteringNits, let display = av_mastering_display_metadata_create_side_data(frame.pointer) {
            display.pointee.max_luminance = masteringNits
            display.pointee.has_luminance = hasLuminance ? 1 : 0
        }
        return withExtendedLifetime(frame) { SignalPeak(picture: frame.pointer) }
    }

    @Test func theContentLightLevelComesFirstThenTheMasteringDisplay() throws {
        let both = try #require(peak(maxCLL: 1000, masteringNits: AVRational(num: 4000, den: 1)))
        #expect(both.value == 10)
        #expect(both.source == "the first picture's content light level (MaxCLL 1000 cd/m²)")
        // A MaxCLL of 0 means "unknown": the mastering display's peak is read instead.
        let display = try #require(peak(maxCLL: 0, masteringNits: AVRational(num: 40_000_000, den: 10_000)))
        #expect(display.value == 40)
        #expect(display.source == "the first picture's mastering display (4000 cd/m²)")
    }

    @Test func aPictureThatSaysNothingOrNonsenseGivesNoPeak() {
        #expect(peak() == nil)
        #expect(peak(masteringNits: AVRational(num: 1000, den: 1), hasLuminance: false) == nil)
        #expect(peak(masteringNits: AVRational(num: 1000, den: 0)) == nil)
        #expect(peak(masteringNits: AVRational(num: -5, den: 1)) == nil)
    }

    @Test func aDamagedPeakIsHeldToWhatDisplaysShowAndWrittenPlainly() throws {
        // 65535 cd/m² is beyond PQ's 10 000; 20 cd/m² is below SDR white.
        #expect(try #require(peak(maxCLL: 65535)).value == 100)
        #expect(try #require(peak(maxCLL: 20)).value == 1)
        #expect(SignalPeak(10, source: "").filterValue == "10")
        #expect(SignalPeak(4.5, source: "").filterValue == "4.5")
        #expect(SignalPeak(1.234567, source: "").filterValue == "1.2346")
        #expect(SignalPeak(1e300, source: "").filterValue == "100")
    }
}
