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
    isPermanentFailure(error) ? 2 : 1
}
