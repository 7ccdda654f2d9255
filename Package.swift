// swift-tools-version:6.0
// Swift 6 language mode (the tools version's default) everywhere.
import PackageDescription

let package = Package(
    name: "MediaOrchestrator",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "mediaorch", targets: ["mediaorch"]),
        .library(name: "MediaOrchestrator", targets: ["MediaOrchestrator"]),
        // For the libFuzzer harnesses in Fuzz/ (a package of their own).
        .library(name: "Captioning", targets: ["Captioning"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        // SHA-256, SHA-1 and HMAC at the speed of the CPU's SHA extensions (BoringSSL underneath).
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        // Signed webhooks to other tools (chat rooms, spreadsheets), over HTTPS.
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        // The shared job store when several machines render (PostgreSQL).
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
    ],
    targets: [
        // C interop over FFmpeg 5.1 (libav*) and libjpeg-turbo; Debian's -dev packages.
        .systemLibrary(
            name: "CAV",
            pkgConfig: "libavformat",
            providers: [.apt(["libavformat-dev", "libavcodec-dev", "libavfilter-dev", "libavutil-dev",
                              "libswscale-dev", "libswresample-dev", "libjpeg-dev"])]
        ),
        // Hashing, HMAC, durable files and the error they throw: what Transcode and MediaOrchestrator share.
        .target(name: "CSupport"),
        .target(name: "MediaSupport", dependencies: ["CSupport", .product(name: "Crypto", package: "swift-crypto")]),
        .target(name: "Transcode", dependencies: ["CAV", "MediaSupport"]),
        .target(name: "Captioning"),
        .target(name: "MediaOrchestrator", dependencies: [
            "Transcode", "Captioning",
            .product(name: "GRDB", package: "GRDB.swift"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "PostgresNIO", package: "postgres-nio"),
        ], exclude: [
            "HTTP/Field/vendor/LICENSE.mediabunny", "HTTP/Field/vendor/VERSION", "HTTP/Field/vendor/mediabunny-entry.ts",
        ], resources: [
            // The dashboard (plain HTML, CSS, JS) and the API's OpenAPI document, compiled in.
            .embedInCode("HTTP/Dashboard/index.html"),
            .embedInCode("HTTP/Dashboard/dashboard.css"),
            .embedInCode("HTTP/Dashboard/dashboard.js"),
            .embedInCode("HTTP/openapi.json"),
            // The field page a camp's phone opens (/field).
            .embedInCode("HTTP/Field/field.html"),
            .embedInCode("HTTP/Field/field.css"),
            .embedInCode("HTTP/Field/field.js"),
            // Mediabunny, vendored (vendor/VERSION, scripts/update-mediabunny.sh): makes the proxy on the phone.
            .embedInCode("HTTP/Field/vendor/mediabunny.min.mjs.gz"),
            // The store's SQL, one file per concern (SQLCatalogue).
            .embedInCode("Store/SQL/queue.sql"),
            .embedInCode("Store/SQL/jobs.sql"),
            .embedInCode("Store/SQL/requests.sql"),
            .embedInCode("Store/SQL/publishing.sql"),
            .embedInCode("Store/SQL/intents.sql"),
            .embedInCode("Store/SQL/tokens.sql"),
            .embedInCode("Store/SQL/webhooks.sql"),
            .embedInCode("Store/SQL/nodes.sql"),
            // One catalogue per language of the field page (FieldLanguages).
            .embedInCode("HTTP/Field/lang/en.json"),
            .embedInCode("HTTP/Field/lang/ar.json"),
            .embedInCode("HTTP/Field/lang/sw.json"),
            // The job templates (Jobs/ links here), built in so the binary works from any folder.
            .embedInCode("Templates/twitter-reply.json"),
            .embedInCode("Templates/twitter-reply-fast.json"),
            .embedInCode("Templates/bts-cut.json"),
            .embedInCode("Templates/bts-cut-captioned.json"),
        ]),
        .executableTarget(
            name: "mediaorch",
            dependencies: [
                "MediaOrchestrator",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // make bench: the job store's overhead per job.
        .executableTarget(name: "mediaorch-store-bench", dependencies: ["MediaOrchestrator"]),
        // Helpers the test targets share: paths, running programs, ffprobe as the oracle.
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "TranscodeTests", dependencies: ["Transcode", "TestSupport"]),
        .testTarget(name: "CaptioningTests", dependencies: ["Captioning"]),
        .testTarget(name: "MediaOrchestratorTests", dependencies: [
            "MediaOrchestrator", "TestSupport",
            .product(name: "HummingbirdTesting", package: "hummingbird"),
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
        ]),
        .testTarget(name: "EndToEndTests", dependencies: ["TestSupport"]),
    ]
)
