// swift-tools-version:6.0
// libFuzzer harnesses for what parses untrusted bytes without libav: caption files and tickets.
// A package of its own, so the product's build never compiles them; `make fuzz-parsers` links
// ../.build-fuzz/MediaOrchestrator to the checkout and builds it with ASan and coverage for libFuzzer.
// Each harness's entry point hands its one-input function to libFuzzer's driver.
import PackageDescription

let package = Package(
    name: "MediaOrchestratorFuzz",
    dependencies: [
        .package(path: "../.build-fuzz/MediaOrchestrator"),
    ],
    targets: [
        .target(name: "LibFuzzerDriver", path: "LibFuzzerDriver"),
        .executableTarget(name: "fuzz-captions",
                          dependencies: ["LibFuzzerDriver", .product(name: "Captioning", package: "MediaOrchestrator")], path: "Captions"),
        .executableTarget(name: "fuzz-tickets",
                          dependencies: ["LibFuzzerDriver", .product(name: "MediaOrchestrator", package: "MediaOrchestrator")], path: "Tickets"),
    ]
)
