// swift-tools-version:6.0
import PackageDescription

// One numerical library module (AttnLab) keeps generic kernels specialisable by the optimiser;
// its sub-folders follow the pipeline. System libraries are wrapped by thin shim targets.
let package = Package(
    name: "AttnLab",
    products: [
        .executable(name: "attnlab", targets: ["attnlab"]),
        .library(name: "AttnLab", targets: ["AttnLab"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CBLAS", path: "Sources/CBLAS", pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(
            name: "CHDF5", path: "Sources/CHDF5", pkgConfig: "hdf5",
            providers: [.apt(["libhdf5-dev"])]),
        .target(name: "CHDF5Shim", dependencies: ["CHDF5"], path: "Sources/CHDF5Shim"),
        .target(
            name: "AttnLab",
            dependencies: ["CBLAS", "CHDF5Shim", .product(name: "TOMLKit", package: "TOMLKit")],
            path: "Sources/AttnLab",
            swiftSettings: [.swiftLanguageMode(.v6)]),
        .executableTarget(
            name: "attnlab",
            dependencies: [
                "AttnLab",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Sources/attnlab",
            swiftSettings: [.swiftLanguageMode(.v6)]),
        .testTarget(
            name: "AttnLabTests", dependencies: ["AttnLab"], path: "Tests/AttnLabTests",
            swiftSettings: [.swiftLanguageMode(.v6)]),
    ]
)
