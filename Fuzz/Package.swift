// swift-tools-version:6.0
// libFuzzer harnesses for what parses untrusted bytes without libav: caption files and tickets.
// A package of its own, so the product's build never compiles them; `make fuzz-parsers` links
// ../.build-fuzz/MediaOrchestrator to the checkout and builds with -sanitize=fuzzer,address.
import PackageDescription

let package = Package(
    name: "MediaOrchestratorFuzz",
    dependencies: [
        .package(path: "../.build-fuzz/MediaOrchestrator"),
    ],
    targets: [
        .executableTarget(name: "fuzz-captions",
                          dependencies: [.product(name: "Captioning", package: "MediaOrchestrator")], path: "Captions"),
        .executableTarget(name: "fuzz-tickets",
                          dependencies: [.product(name: "MediaOrchestrator", package: "MediaOrchestrator")], path: "Tickets"),
    ]
)
