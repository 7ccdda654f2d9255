import Foundation

/// tus's `Upload-Metadata` header: comma-separated pairs of a key and its value in base64
/// ("filename a2FrdW1hLm1w NA==,consent dHJ1ZQ=="); a key may stand alone. Refusals name the key.
struct UploadMetadata: Sendable, Equatable, Codable {
    private(set) var values: [String: String] = [:]

    init(_ values: [String: String] = [:]) { self.values = values }

    init(header: String) throws {
        guard header.utf8.count <= 16 << 10 else { throw Self.refuse("is longer than 16 KiB") }
        for pair in header.split(separator: ",", omittingEmptySubsequences: true) {
            let parts = pair.trimmingCharacters(in: .whitespaces).split(separator: " ", omittingEmptySubsequences: true)
            guard let key = parts.first.map(String.init), parts.count <= 2 else { throw Self.refuse("'\(pair.prefix(40))' is not a key and a base64 value") }
            guard key.count <= 64, key.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" || $0 == ".") }) else {
                throw Self.refuse("key '\(key.prefix(40))' is not a plain name")
            }
            guard values[key] == nil else { throw Self.refuse("key '\(key)' appears twice") }
            if parts.count == 1 { values[key] = ""; continue }
            guard let data = Data(base64Encoded: String(parts[1])), let text = String(data: data, encoding: .utf8) else {
                throw Self.refuse("the value of '\(key)' is not base64 of UTF-8 text")
            }
            values[key] = text
        }
    }

    subscript(key: String) -> String? { values[key] }

    /// The header again, keys in order (HEAD answers with what creation sent).
    var header: String {
        values.keys.sorted().map { key in
            let value = values[key]!
            return value.isEmpty ? key : "\(key) \(Data(value.utf8).base64EncodedString())"
        }.joined(separator: ",")
    }

    static func refuse(_ why: String) -> OrchestratorError { OrchestratorError(subject: "Upload-Metadata", why) }
}
