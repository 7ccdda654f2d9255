import CAV
import Testing
@testable import Transcode

/// A picture's HDR messages as the render reads them: the tone mapping's peak in libav's order
/// (content light level, then mastering display), and the smart cut's x265 parameters; damaged
/// values refused or held in range.
@Suite struct HDRMessagesTests {
    /// The messages of a picture carrying the given ones (nil: left out).
    func messages(maxCLL: UInt32? = nil, maxFALL: UInt32 = 400, masteringNits: AVRational? = nil, hasLuminance: Bool = true,
                  primaries: [AVRational]? = nil) -> HDRMessages? {
        let frame = try! Frame()
        if let maxCLL, let light = av_content_light_metadata_create_side_data(frame.pointer) {
            light.pointee.MaxCLL = maxCLL
            light.pointee.MaxFALL = maxFALL
        }
        if let masteringNits, let display = av_mastering_display_metadata_create_side_data(frame.pointer) {
            display.pointee.max_luminance = masteringNits
            display.pointee.min_luminance = AVRational(num: 50, den: 10_000)
            display.pointee.has_luminance = hasLuminance ? 1 : 0
            if let p = primaries, p.count == 8 {
                // R, G, B, then the white point, as libav keeps them.
                display.pointee.display_primaries = ((p[0], p[1]), (p[2], p[3]), (p[4], p[5]))
                display.pointee.white_point = (p[6], p[7])
                display.pointee.has_primaries = 1
            }
        }
        return withExtendedLifetime(frame) { HDRMessages(picture: frame.pointer) }
    }

    /// The peak read from a picture carrying the given messages.
    func peak(maxCLL: UInt32? = nil, masteringNits: AVRational? = nil, hasLuminance: Bool = true) -> SignalPeak? {
        messages(maxCLL: maxCLL, masteringNits: masteringNits, hasLuminance: hasLuminance).flatMap { SignalPeak($0, from: "the first picture's") }
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

    /// BT.2020's primaries and D65 in 1/50000, as HDR10 cameras write them.
    static let bt2020 = [(35400, 14600), (8500, 39850), (6550, 2300), (15635, 16450)].flatMap {
        [AVRational(num: Int32($0.0), den: 50_000), AVRational(num: Int32($0.1), den: 50_000)]
    }

    @Test func theMessagesBecomeX265sParametersInTheSEIsOrder() throws {
        let both = try #require(messages(maxCLL: 1000, masteringNits: AVRational(num: 10_000_000, den: 10_000), primaries: Self.bt2020))
        #expect(both.x265Parameters == ["master-display=G(8500,39850)B(6550,2300)R(35400,14600)WP(15635,16450)L(10000000,50)", "max-cll=1000,400"])
        // Without primaries the mastering display cannot be written whole; the light level still can.
        #expect(messages(maxCLL: 1000, masteringNits: AVRational(num: 1000, den: 1))?.x265Parameters == ["max-cll=1000,400"])
        // A chromaticity that is not a number, or a light level beyond 16 bits, is left out.
        var broken = Self.bt2020
        broken[3] = AVRational(num: 1, den: 0)
        #expect(messages(masteringNits: AVRational(num: 1000, den: 1), primaries: broken)?.x265Parameters == [])
        #expect(messages(maxCLL: 70_000)?.x265Parameters == [])
    }
}
