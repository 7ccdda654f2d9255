import ArgumentParser
import Foundation
import Logging
import MediaOrchestrator
import ServiceLifecycle

struct WatchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "watch",
        abstract: "Run the service: inbox watcher, workers, HTTP API and dashboard. SIGTERM or Ctrl-C drains gracefully."
    )

    @Option(help: "Workspace folder (default: MEDIAORCH_WORKSPACE, else ./workspace). Several nodes share one (NFS): see Docs/operators.md.")
    var workspace: String?

    @Option(help: "Job store: postgres://user@host:port/database for several machines, or an SQLite file (default: MEDIAORCH_STORE, else the config file's \"store\", else jobs.sqlite in the workspace).")
    var store: String?

    @Option(help: "This process's name among the nodes on the store (default: MEDIAORCH_NODE, else the host name). Letters, digits, . _ -.")
    var node: String?

    @Option(help: "Folder of job templates that replace the built-in ones of the same name (default: MEDIAORCH_TEMPLATES).")
    var templates: String?

    @Option(help: "Jobs run at once. 0: this node renders nothing (it ingests, serves the API, and may lead maintenance).")
    var workers = 1

    @Flag(help: "Do not watch the inbox: another node on the shared workspace ingests uploads (a render-only node).")
    var noIngest = false

    @Option(help: "Proxies whose reply this node renders while they arrive, at once (a render child each, besides --workers). 0: none; their jobs render once whole.")
    var arrivingRenders = 1

    @Option(help: "Seconds a proxy may send nothing before its render made while it arrives gives up (its job renders it once whole).")
    var arrivingStallSeconds: Double = 120

    @Option(help: "A folder on this node's own disk to render in; finished outputs are copied whole into the workspace's staging/ and published from there (for a workspace on NFS). Default: the workspace's staging/.")
    var staging: String?

    @Option(help: "Seconds a claimed job's lease lasts; renewed every third of it.")
    var lease: Double = 30

    @Option(help: "Seconds a running job may take to finish after SIGTERM before it is released to another worker.")
    var grace: Double = 60

    @Option(help: "Seconds an upload's size and time must stay unchanged before it counts as complete.")
    var stableSeconds: Double = 3

    @Option(help: "Seconds a clip waits for the caption files its ticket names before its job goes ahead (and fails saying which).")
    var captionsTimeout: Double = 600

    @Option(help: "Seconds before the first retry of a transient failure; each later one waits twice as long (±20%), up to 5 minutes.")
    var retryDelay: Double = 5

    @Option(help: "Tries a job gets before it is dead.")
    var maxAttempts = 4

    @Option(help: "Memory cap of each render process, in MiB (its data size; a render past it fails that try, the service lives on). 0 for none.")
    var renderMemoryMb = 2048

    @Option(help: "Seconds a render may go without progress before it is called hung, stopped, and counted as a failed try.")
    var renderStallSeconds: Double = 300

    @Option(help: "Free space (MiB) the workspace's disk must keep: below it, no job is claimed, running renders are released, uploads are refused (507), until space returns.")
    var minFreeMb = 2048

    @Option(help: "Hours an unfinished resumable upload is kept after its last byte arrived; then it is removed and its request, which it held alone, opens again for its camp.")
    var uploadExpiryHours: Double = 6

    @Option(help: "Hours a ticket or caption file may wait in the inbox for its clip; then it is moved to inbox-orphans/ and recorded there (never deleted).")
    var orphanHours: Double = 24

    @Option(help: "Unfinished resumable uploads one token may have at once.")
    var uploadsInFlight = 4

    @Option(help: "GiB one token may upload in a day (UTC), resumable and plain uploads together.")
    var uploadGibPerDay: Double = 16

    @Option(help: "Address the HTTP API and dashboard listen on (loopback by default; 0.0.0.0 for every interface).")
    var bind = "127.0.0.1"

    @Option(help: "Port of the HTTP API and dashboard.")
    var port = 8080

    @Flag(help: "Run without the HTTP API and dashboard.")
    var noHttp = false

    @Flag(help: "Stop once the inbox is empty and no job is left to run (demo, scripts).")
    var untilIdle = false

    func validate() throws {
        for (name, value) in [("--orphan-hours", orphanHours), ("--upload-gib-per-day", uploadGibPerDay), ("--upload-expiry-hours", uploadExpiryHours)]
        where !(value.isFinite && value > 0 && value <= 1_000_000) {
            throw ValidationError("\(name) takes a positive number (up to 1000000), not \(value)")
        }
    }

    func run() async throws {
        LibAVLogging.setVerbose(false)
        LoggingSystem.bootstrap { StreamLogHandler.standardError(label: $0) }
        var logger = Logger(label: "mediaorch")
        logger.logLevel = .info
        let ws = Workspace.locate(workspace)
        var policy = RetryPolicy()
        policy.firstDelay = retryDelay
        policy.maxAttempts = max(1, maxAttempts)
        // A store that cannot be reached yet (PostgreSQL restarting) is waited for, not given up on.
        let storeWait = StoreWait(logger: logger, health: noHttp ? nil : (bind, port))
        let (storeOption, retryPolicy) = (self.store, policy)
        let store = try await storeWait.until("opening the store") {
            // An empty workspace on a store other nodes use is a shared mount that is not mounted:
            // starting would fill the bare mount point with a workspace of its own.
            if case .postgres = try StoreLocation.locate(storeOption, workspace: ws), ws.isEmpty,
               try !JobStore(location: StoreLocation.locate(storeOption, workspace: ws)).nodes().isEmpty {
                throw OrchestratorError(subject: ws.root.path, "is empty, but other nodes share this store: is the shared workspace mounted? "
                                        + "(mount it and start again; a new workspace needs a new store)")
            }
            return try ws.openStore(storeOption, retryPolicy: retryPolicy)
        }
        try ws.prepare()
        let nodeName = try NodeName.validated(node ?? ProcessInfo.processInfo.environment["MEDIAORCH_NODE"] ?? NodeName.host)
        let leadership = Leadership(), wakeups = StoreWakeups()
        let library = TemplateLibrary(folder: templates)
        var ingestor = Ingestor(workspace: ws, store: store, templates: library, logger: logger)
        ingestor.captionsTimeout = captionsTimeout
        ingestor.node = nodeName
        // Writing to a render child that already died must be an error, not the end of the service.
        signal(SIGPIPE, SIG_IGN)
        let localStaging = try staging.map { path -> URL in
            let url = URL(fileURLWithPath: path).standardizedFileURL
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
            return url
        }
        let publisher = Publisher(workspace: ws, store: store, localStaging: localStaging, logger: logger)
        let reconciliation = StartupReconciliation(ingestor: ingestor, publisher: publisher, logger: logger)
        try await storeWait.until("finishing what a stop cut short") { try reconciliation.run() }
        let render = WorkerService.RenderLimits(stallSeconds: renderStallSeconds, memoryMB: renderMemoryMb > 0 ? renderMemoryMb : nil)
        _ = OrchestratorMetrics.bootstrap
        let activity = JobActivity()
        let disk = DiskSpaceGuard(path: ws.root.path, floorBytes: Int64(max(0, minFreeMb)) << 20, marker: ws.marker.path)
        if disk.isLowOrUnreachable { logger.error("disk space low at start: waiting for space before claiming jobs", metadata: ["disk": "\(disk.summary)"]) }
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [
            .init(service: DiskSpaceService(guardian: disk, logger: logger)),
            .init(service: StagingSweepService(publisher: publisher, logger: logger)),
            .init(service: NodeService(name: nodeName, store: store, workers: max(0, workers), leadership: leadership, logger: logger)),
            .init(service: JobChangeFeedService(store: store, activity: activity, wakeups: wakeups, logger: logger)),
            .init(service: RequestDeadlineService(store: store, leadership: leadership, logger: logger)),
            .init(service: UploadSweepService(workspace: ws, store: store, leadership: leadership, logger: logger)),
            .init(service: WebhookDeliveryService(store: store, leadership: leadership, logger: logger)),
        ]
        // PostgreSQL tells every node when a job or request changed; SQLite is polled.
        let idlePoll: Double
        if case .postgres(let address) = try StoreLocation.locate(self.store, workspace: ws) {
            services.append(.init(service: PostgresListenService(address: address, wakeups: wakeups, logger: logger)))
            idlePoll = 1
        } else {
            idlePoll = 0.1
        }
        if !noIngest {
            services.append(.init(service: InboxWatcherService(workspace: ws, ingestor: ingestor, stableSeconds: stableSeconds,
                                                               wakeups: wakeups, disk: disk, orphanAge: max(1, orphanHours * 3600),
                                                               logger: logger)))
        }
        if arrivingRenders > 0 {
            services.append(.init(service: ArrivingRenderService(workspace: ws, templates: library, render: render, node: nodeName,
                                                                 limit: min(arrivingRenders, 16), stallSeconds: min(max(arrivingStallSeconds, 5), 3600),
                                                                 logger: logger)))
        }
        for n in stride(from: 1, through: workers, by: 1) {
            let name = NodeName.worker(node: nodeName, pid: getpid(), number: n)
            services.append(.init(service: WorkerService(name: name, workspace: ws, store: store, templates: library, render: render,
                                                         lease: lease, grace: grace, idlePoll: idlePoll, activity: activity, disk: disk,
                                                         wakeups: wakeups, localStaging: localStaging, logger: logger)))
        }
        if !noHttp {
            try APIServer.checkAddressIsFree(host: bind, port: port)
            let gibPerDay: Double = min(max(uploadGibPerDay, 0.001), 1_000_000)
            let allowance = UploadAllowance(uploadsInFlight: uploadsInFlight, bytesPerDay: Int64(gibPerDay * 1_073_741_824))
            let expiry: Double = max(60, uploadExpiryHours * 3600)
            let server = APIServer(workspace: ws, store: store, activity: activity, disk: disk, uploadExpiry: expiry, allowance: allowance)
            services.append(.init(service: server.application(host: bind, port: port, logger: logger)))
            if (try? store.tokens().isEmpty) ?? true {
                logger.warning("no access tokens yet: make one with `mediaorch tokens add --role producer` to use the dashboard")
            }
        }
        if untilIdle {
            services.append(.init(service: IdleExitService(workspace: ws, store: store), successTerminationBehavior: .gracefullyShutdownGroup))
        }
        logger.info("watching", metadata: ["workspace": "\(ws.root.path)", "workers": "\(workers)", "node": "\(nodeName)",
                                           "store": "\(store.displayName)",
                                           "dashboard": "\(noHttp ? "off" : "http://\(bind):\(port)/")"])
        let group = ServiceGroup(configuration: .init(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }
}
