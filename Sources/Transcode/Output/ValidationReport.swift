/// The result of checking a file against X's upload rules, rule by rule.
public struct ValidationReport: Sendable, Codable, Equatable {
    public struct Check: Sendable, Codable, Equatable {
        public enum Severity: String, Sendable, Codable { case required, recommended }
        /// The rule in X's words ("H.264 High profile").
        public var rule: String
        public var passed: Bool
        /// What the file has ("Main profile").
        public var found: String
        public var severity: Severity

        public var summary: String { "\(rule): \(passed ? "ok" : "fails") (\(found))" }
    }

    public var file: String
    public var checks: [Check]

    /// True when every required rule passes (recommendations only warn).
    public var passed: Bool { failures.isEmpty }
    public var failures: [Check] { checks.filter { !$0.passed && $0.severity == .required } }
    public var warnings: [Check] { checks.filter { !$0.passed && $0.severity == .recommended } }
}
