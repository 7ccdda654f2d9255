import ArgumentParser
import Foundation
import MediaOrchestrator

/// Turns any failure into the contract's single line on stderr and a non-zero exit status.
func reportingFailures(_ body: () throws -> Void) throws {
    do {
        try body()
    } catch let error as ExitCode {
        throw error
    } catch {
        let line = "\(error)".replacingOccurrences(of: "\n", with: " ")
        FileHandle.standardError.write(Data("mediaorch: \(line)\n".utf8))
        throw ExitCode(exitStatus(for: error))
    }
}

/// 2 for bad input a retry cannot fix, 1 for everything else.
func exitStatus(for error: any Error) -> Int32 {
    if let error = error as? TranscodeError, error.isPermanent { return 2 }
    if let error = error as? OrchestratorError, error.isPermanent { return 2 }
    if error is CaptionError { return 2 }
    return 1
}
