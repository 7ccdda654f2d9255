import Captioning
import Foundation
import LibFuzzerDriver

/// One input: parsed as SubRip and as WebVTT (and by extension sniffing), then, when it parses,
/// laid out and styled as a reply would burn it in. Any outcome but a CaptionError is a bug:
/// libFuzzer reports a crash, a hang or a leak with the input that caused it.
public func captionsFuzzTarget(_ bytes: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let data = Data(bytes: bytes, count: count)
    for name in ["fuzz.srt", "fuzz.vtt"] {
        do {
            let track = try CaptionFile.parse(data, name: name)
            for (width, height) in [(720, 1280), (1280, 720)] {
                let rules = CaptionLayoutRules.forFrame(width: width, height: height)
                _ = CaptionLinter.lint(track, rules: rules, clipDuration: 30)
                var script = ASSScript(width: width, height: height, captionStyle: CaptionStyle())
                script.addCaptions(track.retimed(offset: 1.5, duration: 20))
                _ = script.text
            }
            _ = SubRipWriter.text(track.cues)
        } catch is CaptionError {
            // A clear refusal is the right answer to most inputs.
        } catch {
            fatalError("\(name): an error other than CaptionError: \(error)")
        }
    }
    return 0
}

/// The executable's entry point (SwiftPM names it after the target): libFuzzer's driver, with
/// its usual command line (corpus folders, -max_total_time, ...).
@_cdecl("fuzz_captions_main")
public func fuzzerEntryPoint(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    var count = argc
    var arguments = argv
    return LLVMFuzzerRunDriver(&count, &arguments) { data, size in
        guard let data else { return 0 }
        return captionsFuzzTarget(data, size)
    }
}
