import ArgumentParser
import Foundation
import MediaOrchestrator

/// For an editor or an operator checking a file against a manifest: the SHA-256 the product
/// records for originals and outputs, printed as sha256sum prints it.
struct HashCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hash",
        abstract: "Print the SHA-256 of files as manifests record it (the same lines as sha256sum)."
    )

    @Argument(help: "Files to hash.")
    var files: [String]

    func run() throws {
        try reportingFailures {
            for file in files { print("\(try ContentDigest.sha256(path: file))  \(file)") }
        }
    }
}
