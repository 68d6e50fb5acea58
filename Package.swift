// swift-tools-version:6.0
//
// A data-parallel trainer for Restricted Boltzmann Machines.
// Dependencies point one way: rbm -> RBMExperiments -> RBMStore, RBMData -> RBM -> CBLAS.
import PackageDescription

let package = Package(
    name: "RBMTrainer",
    products: [
        .executable(name: "rbm", targets: ["rbm"]),
        .library(name: "RBM", targets: ["RBM"]),
        .library(name: "RBMData", targets: ["RBMData"]),
        .library(name: "RBMStore", targets: ["RBMStore"]),
        .library(name: "RBMExperiments", targets: ["RBMExperiments"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
    ],
    targets: [
        .systemLibrary(name: "CBLAS", path: "Sources/CBLAS", pkgConfig: "openblas",
                       providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CZlib", path: "Sources/CZlib",
                       providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CHDF5", path: "Sources/CHDF5",
                       providers: [.apt(["libhdf5-dev"])]),
        .systemLibrary(name: "CPNG", path: "Sources/CPNG",
                       providers: [.apt(["libpng-dev"])]),
        .target(name: "RBM", dependencies: ["CBLAS"]),
        .target(name: "RBMData", dependencies: ["RBM", "CZlib"]),
        .target(name: "RBMStore", dependencies: ["RBM", "CHDF5"]),
        .target(name: "RBMExperiments", dependencies: [
            "RBM", "RBMData", "RBMStore", "CPNG", .product(name: "Yams", package: "Yams"),
        ]),
        .executableTarget(name: "rbm", dependencies: [
            "RBMExperiments", "RBMStore", "RBMData", .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .testTarget(name: "RBMTests", dependencies: ["RBM"]),
        .testTarget(name: "RBMDataTests", dependencies: ["RBMData", "CZlib"]),
        .testTarget(name: "RBMStoreTests", dependencies: ["RBMStore", "CHDF5"]),
        .testTarget(name: "RBMExperimentsTests", dependencies: ["RBMExperiments", "RBMStore", "CZlib"]),
    ],
    swiftLanguageModes: [.v6]
)
