/// A request's `Range` header made safe for Hummingbird's FileMiddleware, which reads
/// `bytes=-N` as the first N+1 bytes (RFC 9110 means the last N: players ask for the tail to find
/// a moov atom) and leaves the connection hanging on a range that starts past the end.
enum ByteRange: Equatable {
    /// Serve the whole file (no Range, or one to ignore: malformed, several ranges).
    case whole
    /// Serve these bytes, spelled so FileMiddleware reads them right.
    case range(first: Int, last: Int)
    /// 416 with `Content-Range: bytes */SIZE`.
    case unsatisfiable

    init(header: String?, size: Int) {
        guard let header, header.hasPrefix("bytes="), !header.contains(",") else { self = .whole; return }
        let spec = String(header.dropFirst("bytes=".count)).filter { $0 != " " }
        let parts = spec.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2 else { self = .whole; return }
        let first = parts[0].isEmpty ? nil : Int(parts[0]), last = parts[1].isEmpty ? nil : Int(parts[1])
        switch (parts[0].isEmpty, parts[1].isEmpty) {
        case (true, false): // the last N bytes
            guard let n = last, n >= 0 else { self = .whole; return }
            self = n == 0 || size == 0 ? .unsatisfiable : .range(first: max(0, size - n), last: size - 1)
        case (false, _):
            guard let a = first, a >= 0 else { self = .whole; return }
            if !parts[1].isEmpty, (last ?? -1) < a { self = .whole; return } // "5-2": malformed, ignored
            self = a >= size ? .unsatisfiable : .range(first: a, last: min(last ?? size - 1, size - 1))
        default:
            self = .whole
        }
    }
}
