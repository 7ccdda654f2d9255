import Foundation
import LibFuzzerDriver
import MediaOrchestrator

/// One input as a clip's ticket (clip.job.json): decoded and checked as ingest and the upload
/// route do. It must decode, or be refused with an OrchestratorError naming the file, and a
/// ticket that decodes must never name a caption file outside its folder.
public func ticketsFuzzTarget(_ bytes: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let data = Data(bytes: bytes, count: count)
    do {
        let ticket = try Ticket.decode(data, fileName: "fuzz.job.json")
        for caption in ticket.captions ?? [] where caption.file.contains("/") || caption.file.hasPrefix(".") || caption.file.isEmpty {
            fatalError("a ticket naming '\(caption.file)' was accepted")
        }
        _ = try JSONOutput.encoder().encode(ticket)
    } catch let error as OrchestratorError {
        precondition(error.description.hasPrefix("fuzz.job.json: "), "the refusal does not name the file: \(error)")
        precondition(!error.description.contains("\n"), "the refusal is not one line: \(error)")
    } catch {
        fatalError("an error other than OrchestratorError: \(error)")
    }
    return 0
}

/// The executable's entry point (SwiftPM names it after the target): libFuzzer's driver, with
/// its usual command line (corpus folders, -max_total_time, ...).
@_cdecl("fuzz_tickets_main")
public func fuzzerEntryPoint(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    var count = argc
    var arguments = argv
    return LLVMFuzzerRunDriver(&count, &arguments) { data, size in
        guard let data else { return 0 }
        return ticketsFuzzTarget(data, size)
    }
}
