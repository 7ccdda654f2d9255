import Foundation
import MediaOrchestrator

/// One input as a clip's ticket (clip.job.json): decoded and checked as ingest and the upload
/// route do. It must decode, or be refused with an OrchestratorError naming the file, and a
/// ticket that decodes must never name a caption file outside its folder.
@_cdecl("LLVMFuzzerTestOneInput")
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
