import Foundation

/// Caption timestamps: "00:01:02,345" (SRT), "01:02.345" or "00:01:02.345" (WebVTT).
enum CaptionTime {
    /// Seconds, or nil when the text is not a timestamp.
    static func parse(_ text: Substring, allowShort: Bool) -> Double? {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 3 || (allowShort && parts.count == 2) else { return nil }
        let secondsPart = parts.last!
        guard let sep = secondsPart.firstIndex(where: { $0 == "," || $0 == "." }) else { return nil }
        let whole = secondsPart[..<sep], fraction = secondsPart[secondsPart.index(after: sep)...]
        guard whole.count == 2, (1...3).contains(fraction.count),
              let s = Int(whole), s < 60, fraction.allSatisfy(\.isASCII), let f = Int(fraction) else { return nil }
        let minutesText = parts[parts.count - 2]
        guard minutesText.count == 2, let m = Int(minutesText), m < 60 else { return nil }
        var h = 0
        if parts.count == 3 {
            // At most 4 digits of hours: a larger number is no caption time, and must not reach h * 3600.
            guard (1...4).contains(parts[0].count), parts[0].allSatisfy({ $0.isASCII && $0.isNumber }), let hours = Int(parts[0]) else { return nil }
            h = hours
        }
        let fractionSeconds = Double(f) / pow10(fraction.count)
        return Double(h * 3600 + m * 60 + s) + fractionSeconds
    }

    private static func pow10(_ n: Int) -> Double { n == 1 ? 10 : n == 2 ? 100 : 1000 }

    /// "00:01:02,345" for SRT sidecars.
    static func subRip(_ seconds: Double) -> String {
        let ms = max(0, Int((seconds * 1000).rounded()))
        return String(format: "%02d:%02d:%02d,%03d", ms / 3_600_000, ms / 60_000 % 60, ms / 1000 % 60, ms % 1000)
    }

    /// "0:01:02.35" (centiseconds) for ASS events.
    static func ass(_ seconds: Double) -> String {
        let cs = max(0, Int((seconds * 100).rounded()))
        return String(format: "%d:%02d:%02d.%02d", cs / 360_000, cs / 6000 % 60, cs / 100 % 60, cs % 100)
    }
}
