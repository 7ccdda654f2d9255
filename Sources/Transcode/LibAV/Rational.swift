import CAV

/// A libav rational (num/den) as a Swift value; `0/0` and `0/1` read as "unknown".
public struct Rational: Sendable, Hashable, Codable, CustomStringConvertible {
    public var num: Int32
    public var den: Int32

    public init(_ num: Int32, _ den: Int32) {
        self.num = num
        self.den = den
    }

    init(_ r: AVRational) { self.init(r.num, r.den) }

    var av: AVRational { AVRational(num: num, den: den) }

    public var isKnown: Bool { num != 0 && den != 0 }
    public var value: Double { den == 0 ? 0 : Double(num) / Double(den) }
    public var description: String { "\(num):\(den)" }
    /// The "30000/1001" spelling ffprobe and producers know for frame rates.
    public var fraction: String { "\(num)/\(den)" }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        let parts = text.split(whereSeparator: { $0 == "/" || $0 == ":" }).compactMap { Int32($0) }
        guard parts.count == 2 else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not a rational: \(text)"))
        }
        self.init(parts[0], parts[1])
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(fraction)
    }
}

/// Seconds as a count of ticks of a stream's time base (rounded to the nearest microsecond first).
func ticks(_ seconds: Double, in timeBase: AVRational) -> Int64 {
    av_rescale_q(Int64((seconds * Double(mo_time_base())).rounded()), mo_time_base_q(), timeBase)
}
