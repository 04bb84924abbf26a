// swift-tools-version:6.0
// An example connector built outside sync-core's package, against ConnectorKit.
// `make sdk-check` copies this folder elsewhere, points SYNC_CORE_PACKAGE at the sync-core checkout,
// builds it, and runs the conformance suite against the library it produces.
import Foundation
import PackageDescription

let syncCore = ProcessInfo.processInfo.environment["SYNC_CORE_PACKAGE"] ?? "../.."

let package = Package(
    name: "mirror-connector",
    products: [.library(name: "SyncConnectorMirror", type: .dynamic, targets: ["Mirror"])],
    dependencies: [.package(path: syncCore)],
    targets: [
        .target(name: "Mirror", dependencies: [.product(name: "ConnectorKit", package: "sync-core")])
    ]
)
