import ArgumentParser
import Foundation
import MediaOrchestrator

struct ValidateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check an MP4 against X's upload rules and name each rule that fails."
    )

    @Argument(help: "The MP4 to check.")
    var file: String

    @Flag(help: "Print the report as JSON.")
    var json = false

    func run() throws {
        LibAVLogging.setVerbose(false)
        let report = OutputValidator(path: file).validate()
        if json {
            print(try JSONCoding.string(report))
        } else {
            for check in report.checks {
                let mark = check.passed ? "ok  " : (check.severity == .required ? "FAIL" : "warn")
                print("\(mark) \(check.rule) — \(check.found)")
            }
        }
        if !report.passed {
            let failed = report.failures.map(\.rule).joined(separator: "; ")
            FileHandle.standardError.write("mediaorch: \(report.file): fails X's rules: \(failed)\n".data(using: .utf8)!)
            throw ExitCode(2)
        }
    }
}
