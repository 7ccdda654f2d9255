import Foundation

/// The field page's words: one catalogue per language (HTTP/Field/lang/<code>.json, compiled
/// in), each a flat object of key → text with its own name (`_name`) and direction (`_dir`).
/// A fourth language is its file there, a line in Package.swift's resources and a line below.
enum FieldLanguages {
    static let catalogues: [(code: String, bytes: [UInt8])] = [
        ("en", PackageResources.en_json),
        ("ar", PackageResources.ar_json),
        ("sw", PackageResources.sw_json),
    ]

    static func catalogue(_ code: String) -> [UInt8]? {
        catalogues.first { $0.code == code }?.bytes
    }

    private struct Entry: Encodable { let code, name, dir: String }

    /// `[{"code": "ar", "name": "العربية", "dir": "rtl"}, …]`, for the page's language switch.
    static let index: [UInt8] = {
        let entries = catalogues.map { language -> Entry in
            let words = (try? JSONSerialization.jsonObject(with: Data(language.bytes))) as? [String: Any] ?? [:]
            return Entry(code: language.code, name: words["_name"] as? String ?? language.code, dir: words["_dir"] as? String ?? "ltr")
        }
        return Array((try? JSONEncoder().encode(entries)) ?? Data("[]".utf8))
    }()
}
