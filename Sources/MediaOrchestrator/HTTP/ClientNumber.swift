import Foundation
import HTTPTypes
import Hummingbird

/// Numbers a client sends in headers and query strings, parsed into a bounded value before any
/// arithmetic: an overflow trap in the service process would end every upload and render at
/// once. A value that is not a whole number, or is outside its range, is a 400 naming the header
/// or parameter (a length past the server's ceiling is 413 where the caller says so).
enum ClientNumber {
    /// The header's whole number in `range`; nil when the header is absent.
    static func header(_ request: Request, _ name: HTTPField.Name, in range: ClosedRange<Int64>,
                       aboveIs status: HTTPResponse.Status = .badRequest) throws -> Int64? {
        guard let text = request.headers[name] else { return nil }
        return try parse(text, named: name.rawName, in: range, aboveIs: status)
    }

    /// A query parameter's whole number in `range`; nil when absent or empty (a form left blank).
    static func query(_ parameters: Parameters, _ name: String, in range: ClosedRange<Int>) throws -> Int? {
        guard let text = parameters[Substring(name)], !text.isEmpty else { return nil }
        return Int(try parse(String(text), named: name, in: Int64(range.lowerBound)...Int64(range.upperBound)))
    }

    static func parse(_ text: String, named name: String, in range: ClosedRange<Int64>,
                      aboveIs status: HTTPResponse.Status = .badRequest) throws -> Int64 {
        let digits = text.trimmingCharacters(in: .whitespaces)
        // Digits only: Int64("+5") and Int64("-0") parse, but no client means them.
        guard !digits.isEmpty, digits.utf8.allSatisfy({ (0x30...0x39).contains($0) }) else {
            throw HTTPError(.badRequest, message: "\(name) '\(text.prefix(40))' is not a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        let significant = digits.drop { $0 == "0" }
        // Past Int64 altogether: more than any range here allows.
        let value = significant.isEmpty ? 0 : (significant.utf8.count <= 19 ? Int64(significant) : nil) ?? Int64.max
        if value > range.upperBound {
            throw HTTPError(status, message: "\(name) \(text.prefix(40)) is more than this server takes (at most \(range.upperBound))")
        }
        guard value >= range.lowerBound else {
            throw HTTPError(.badRequest, message: "\(name) \(value) is less than \(range.lowerBound)")
        }
        return value
    }
}
