// swift-tools-version:6.0
//
// libFuzzer targets for the parsers that read user files: IDX data, .npy/.npz/CSV data, YAML configs and sweeps,
// HDF5 checkpoints and feature files. `make fuzz` builds them with
// `-Xswiftc -sanitize=fuzzer,address` (so the project's modules are instrumented too) and
// runs each; not part of `make test` (the crash regression corpus is).
import PackageDescription

let fuzzerFlags: [SwiftSetting] = [.unsafeFlags(["-parse-as-library"])]
let fuzzerLink: [LinkerSetting] = [.unsafeFlags(["-sanitize=fuzzer,address"])]

let package = Package(
    name: "RBMFuzz",
    dependencies: [.package(name: "RBMTrainer", path: "..")],
    targets: [
        .target(name: "FuzzSupport", path: "Sources/FuzzSupport"),
        .executableTarget(name: "fuzz-idx", dependencies: ["FuzzSupport", .product(name: "RBMData", package: "RBMTrainer")],
                          swiftSettings: fuzzerFlags, linkerSettings: fuzzerLink),
        .executableTarget(name: "fuzz-data", dependencies: ["FuzzSupport", .product(name: "RBMData", package: "RBMTrainer")],
                          swiftSettings: fuzzerFlags, linkerSettings: fuzzerLink),
        .executableTarget(name: "fuzz-config", dependencies: ["FuzzSupport", .product(name: "RBMExperiments", package: "RBMTrainer")],
                          swiftSettings: fuzzerFlags, linkerSettings: fuzzerLink),
        .executableTarget(name: "fuzz-checkpoint", dependencies: ["FuzzSupport", .product(name: "RBMExperiments", package: "RBMTrainer"),
                                                                  .product(name: "RBMStore", package: "RBMTrainer"),
                                                                  .product(name: "RBM", package: "RBMTrainer")],
                          swiftSettings: fuzzerFlags, linkerSettings: fuzzerLink),
        .executableTarget(name: "fuzz-hdf5", dependencies: ["FuzzSupport", .product(name: "RBMStore", package: "RBMTrainer")],
                          swiftSettings: fuzzerFlags, linkerSettings: fuzzerLink),
    ]
)
