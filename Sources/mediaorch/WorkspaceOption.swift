import ArgumentParser
import MediaOrchestrator

/// Where a command finds the workspace and the job store (`jobs`, `tokens`, `requests`,
/// `webhooks`, `nodes`).
struct WorkspaceOption: ParsableArguments {
    @Option(help: "Workspace folder (default: MEDIAORCH_WORKSPACE, else ./workspace).")
    var workspace: String?

    @Option(help: "Job store: postgres://user@host:port/database for several machines, or an SQLite file (default: MEDIAORCH_STORE, else the config file's \"store\", else jobs.sqlite in the workspace).")
    var store: String?

    func open() throws -> (Workspace, JobStore) {
        let ws = Workspace.locate(workspace)
        return (ws, try ws.openStore(store))
    }
}
