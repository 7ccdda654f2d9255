import Foundation
import Transcode

extension JobExecutor {
    /// For `mediaorch process`: renders into a hidden folder inside the output folder, then moves
    /// every file into place, manifest.json last. A refused or interrupted job leaves nothing
    /// behind, not even the outputs made before the one that failed.
    public func runStaged() throws -> Manifest {
        let destination = URL(fileURLWithPath: outputFolder)
        do { try FileManager.default.createDirectory(at: destination, withIntermediateDirectories: true) } catch {
            throw OrchestratorError(subject: outputFolder, "cannot create the output folder: \(error.localizedDescription)", permanent: false)
        }
        let staging = destination.appendingPathComponent(".staging-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        defer { try? FileManager.default.removeItem(at: staging) }
        var job = self
        job.outputFolder = staging.path
        let manifest = try job.run()
        let names = try FileManager.default.contentsOfDirectory(atPath: staging.path).filter { !$0.hasPrefix(".") }
        for name in names.filter({ $0 != "manifest.json" }) + names.filter({ $0 == "manifest.json" }) {
            try DurableFile.moveIntoPlace(temporary: staging.appendingPathComponent(name).path, as: destination.appendingPathComponent(name).path)
        }
        return manifest
    }
}
