// swift-tools-version:6.0
//
// A data-parallel trainer for Restricted Boltzmann Machines.
// Dependencies point one way: rbm -> RBMExperiments -> RBMStore, RBMData -> RBM -> CBLAS, CRBMKernels;
// RBMCluster (MPI) sits beside RBMStore, between RBM and RBMExperiments.
// RBMSystem (atomic files, child processes, signals, clocks, standard error) sits under
// RBMStore and RBMExperiments and depends on nothing of the project but a header (CProcessControl).
import PackageDescription

let package = Package(
    name: "RBMTrainer",
    products: [
        .executable(name: "rbm", targets: ["rbm"]),
        .library(name: "RBM", targets: ["RBM"]),
        .library(name: "RBMData", targets: ["RBMData"]),
        .library(name: "RBMStore", targets: ["RBMStore"]),
        .library(name: "RBMExperiments", targets: ["RBMExperiments"]),
        .library(name: "RBMSystem", targets: ["RBMSystem"]),
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
        .systemLibrary(name: "CCrypto", path: "Sources/CCrypto", pkgConfig: "libcrypto",
                       providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CMPI", path: "Sources/CMPI", pkgConfig: "ompi-c",
                       providers: [.apt(["libopenmpi-dev"])]),
        // prctl(2), variadic in C: a reader child ends with its parent (ChildProcess).
        .systemLibrary(name: "CProcessControl", path: "Sources/CProcessControl"),
        .target(name: "RBMSystem", dependencies: ["CProcessControl"]),
        // C kernels chosen at run time on AVX2 CPUs, each with its portable twin's bits: products
        // with 0/1 left operands as sums of rows, Philox Bernoulli draws, the logistic function.
        .target(name: "CRBMKernels"),
        .target(name: "RBM", dependencies: ["CBLAS", "CRBMKernels"]),
        .target(name: "RBMData", dependencies: ["RBM", "RBMSystem", "CZlib"]),
        .target(name: "RBMStore", dependencies: ["RBM", "RBMSystem", "CHDF5", "CCrypto"]),
        .target(name: "RBMCluster", dependencies: ["RBM", "CMPI"]),
        .target(name: "RBMExperiments", dependencies: [
            "RBM", "RBMCluster", "RBMData", "RBMStore", "RBMSystem", "CPNG", .product(name: "Yams", package: "Yams"),
        ]),
        .executableTarget(name: "rbm", dependencies: [
            "RBMExperiments", "RBMCluster", "RBM", "RBMStore", "RBMData", "RBMSystem", .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .testTarget(name: "RBMTests", dependencies: ["RBM"]),
        .testTarget(name: "RBMDataTests", dependencies: ["RBMData", "CZlib"]),
        // The fixture is read by path (a version-1 checkpoint), not bundled as a resource.
        .testTarget(name: "RBMStoreTests", dependencies: ["RBMStore", "RBMSystem", "CHDF5"], exclude: ["Fixtures"]),
        .testTarget(name: "RBMSystemTests", dependencies: ["RBMSystem"]),
        .testTarget(name: "RBMExperimentsTests", dependencies: ["RBMExperiments", "RBMStore", "RBMSystem", "CZlib"]),
    ],
    swiftLanguageModes: [.v6]
)
