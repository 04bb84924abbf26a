// swift-tools-version:6.0
// sync-core: a plugin-based cloud sync and migration framework.
// Layers (one direction of dependency): sync-core CLI → SyncCore engine → SyncState / SyncConfig →
// SyncHost (plugins and sessions) → CSyncConnector (C ABI).
// Connectors link ConnectorKit (the SDK) and are loaded by the core with dlopen; the core never
// imports a connector and a connector never imports the core.
import PackageDescription

let package = Package(
    name: "sync-core",
    products: [
        .executable(name: "sync-core", targets: ["sync-core"]),
        // The SDK for connectors written in Swift (built out of tree with the same toolchain).
        .library(name: "ConnectorKit", targets: ["ConnectorKit"]),
        // Every connector is its own dynamic library; the host discovers lib SyncConnector*.so files.
        .library(name: "SyncConnectorLocal", type: .dynamic, targets: ["LocalConnector"]),
        .library(name: "SyncConnectorCDir", type: .dynamic, targets: ["CDirConnector"]),
        .library(name: "SyncConnectorPutio", type: .dynamic, targets: ["PutioConnector"]),
        .library(name: "SyncConnectorS3", type: .dynamic, targets: ["S3Connector"]),
        .library(name: "SyncConnectorSFTP", type: .dynamic, targets: ["SFTPConnector"]),
        .library(name: "SyncConnectorPikPak", type: .dynamic, targets: ["PikPakConnector"]),
        .library(name: "SyncConnectorDropbox", type: .dynamic, targets: ["DropboxConnector"]),
        .library(name: "SyncConnectorOneDrive", type: .dynamic, targets: ["OneDriveConnector"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.0"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.80.0"),
    ],
    targets: [
        // The contract: include/sync_connector.h. The one .c file only pins the layout at compile time.
        .target(name: "CSyncConnector", path: "Sources/CSyncConnector"),
        // CRC-32 by carry-less multiplication where the CPU has it, zlib's otherwise.
        .target(name: "CCRC32", path: "Sources/CCRC32", linkerSettings: [.linkedLibrary("z")]),
        // libcurl, opened on first use (headers from libcurl4-openssl-dev; see Sources/CCurl).
        .target(name: "CCurl", path: "Sources/CCurl", linkerSettings: [.linkedLibrary("dl")]),
        .systemLibrary(name: "CSQLite", path: "Sources/CSQLite", providers: [.apt(["libsqlite3-dev"])]),
        .target(
            name: "SyncHashes",
            dependencies: ["CCRC32", .product(name: "Crypto", package: "swift-crypto")]
        ),
        // Swift names for the ABI's codes and bits, shared by the host and ConnectorKit.
        .target(name: "SyncABI", dependencies: ["CSyncConnector"]),
        // The host: loading plugins, the ABI's sessions, the destination's name rules, input errors.
        .target(name: "SyncHost", dependencies: ["CSyncConnector", "SyncABI", "SyncHashes"]),
        // What runs remember (SQLite).
        .target(name: "SyncState", dependencies: ["CSQLite", "SyncHost", "SyncHashes"]),
        // Accounts: the config file (TOML) and how a remote spec becomes an open session.
        .target(name: "SyncConfig", dependencies: ["SyncHost", "TOMLKit"]),
        // The engine: marching two trees, planning, copying, verifying, deleting.
        .target(name: "SyncCore", dependencies: ["SyncHost", "SyncState", "SyncHashes"]),
        // Checks a connector through the host alone: no engine, no SQLite, no TOML.
        .target(name: "SyncConformance", dependencies: ["SyncHost", "SyncHashes"]),
        .target(
            name: "ConnectorKit",
            dependencies: [
                "CSyncConnector", "CCurl", "SyncABI", "SyncHashes", .product(name: "Crypto", package: "swift-crypto"),
            ]),
        .executableTarget(
            name: "sync-core",
            dependencies: [
                "SyncCore", "SyncConfig", "SyncState", "SyncHost", "SyncConformance",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // Measurements for `make bench`.
        .executableTarget(name: "sync-bench", dependencies: ["SyncCore", "SyncHost"]),
        .target(name: "LocalConnector", dependencies: ["ConnectorKit"], path: "Plugins/Local"),
        .target(name: "PutioConnector", dependencies: ["ConnectorKit"], path: "Plugins/Putio"),
        .target(
            name: "PikPakConnector",
            dependencies: ["ConnectorKit", .product(name: "Crypto", package: "swift-crypto")],
            path: "Plugins/PikPak"
        ),
        .target(name: "OneDriveConnector", dependencies: ["ConnectorKit"], path: "Plugins/OneDrive"),
        .target(
            name: "DropboxConnector",
            dependencies: ["ConnectorKit", .product(name: "Crypto", package: "swift-crypto")],
            path: "Plugins/Dropbox"
        ),
        .target(
            name: "S3Connector",
            dependencies: ["ConnectorKit", .product(name: "Crypto", package: "swift-crypto")],
            path: "Plugins/S3"
        ),
        // libssh2 (libssh2-1-dev) and the few C helpers Swift needs around it.
        .target(
            name: "CLibssh2",
            path: "Sources/CLibssh2",
            cSettings: [.unsafeFlags(["-Werror=implicit-function-declaration", "-Wall"])],
            linkerSettings: [.linkedLibrary("ssh2")]
        ),
        .target(name: "SFTPConnector", dependencies: ["ConnectorKit", "CLibssh2"], path: "Plugins/SFTP"),
        .target(
            name: "CDirConnector",
            dependencies: ["CSyncConnector"],
            path: "Plugins/CDir",
            cSettings: [
                .define("_POSIX_C_SOURCE", to: "200809L"),
                .unsafeFlags(["-Werror=implicit-function-declaration", "-Wall"]),
            ],
            linkerSettings: [.linkedLibrary("z")]
        ),
        // Provider emulators: real HTTP servers for tests and the demo. They import neither the core
        // nor a connector.
        .target(
            name: "EmulatorKit",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            path: "Emulators/Kit"
        ),
        .target(
            name: "PutioEmulator",
            dependencies: ["EmulatorKit", "CCRC32", .product(name: "Crypto", package: "swift-crypto")],
            path: "Emulators/Putio"
        ),
        .target(
            name: "PikPakEmulator",
            dependencies: ["EmulatorKit", .product(name: "Crypto", package: "swift-crypto")],
            path: "Emulators/PikPak"
        ),
        .target(
            name: "OneDriveEmulator",
            dependencies: ["EmulatorKit", .product(name: "Crypto", package: "swift-crypto")],
            path: "Emulators/OneDrive"
        ),
        .target(
            name: "DropboxEmulator",
            dependencies: ["EmulatorKit", .product(name: "Crypto", package: "swift-crypto")],
            path: "Emulators/Dropbox"
        ),
        .executableTarget(
            name: "sync-emulator",
            dependencies: [
                "PutioEmulator", "PikPakEmulator", "DropboxEmulator", "OneDriveEmulator", "EmulatorKit", .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(
            name: "SyncCoreTests",
            dependencies: [
                "SyncCore", "SyncConfig", "SyncState", "SyncHost", "SyncConformance", "SyncHashes", "CSyncConnector", "ConnectorKit", "EmulatorKit",
                "PutioEmulator", "PikPakEmulator", "DropboxEmulator", "OneDriveEmulator", "CCRC32",
            ],
            // C sources the tests compile with the system compiler, as third parties would.
            exclude: ["Fixtures"]
        ),
    ],
    swiftLanguageModes: [.v6]
)
