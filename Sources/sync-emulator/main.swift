import ArgumentParser
import DropboxEmulator
import EmulatorKit
import Foundation
import OneDriveEmulator
import PikPakEmulator
import PutioEmulator

/// Runs a provider emulator by hand (the demo uses it too). Tests start emulators in-process instead.
struct SyncEmulator: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sync-emulator",
        abstract: "Run a provider emulator on 127.0.0.1 (for the demo and manual testing).",
        subcommands: [Putio.self, PikPak.self, Dropbox.self, OneDrive.self])
}

struct Putio: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Emulate Put.io's API v2, upload and download hosts.")

    @Option(help: "Port to listen on (0 picks a free one).") var port = 0
    @Option(help: "Accounts to create, comma-separated.") var accounts = "a,b"
    @Option(help: "Seed the first account: 'demo' (a media library) or 'none'.") var seed = "none"
    @Option(help: "Size factor for the demo library (1 ≈ 270 MiB).") var scale = 1.0
    @Option(help: "Write the accounts' tokens here as JSON (mode 0600); they are never printed.")
    var tokensFile: String?
    @Option(help: "Register an OAuth app as ID:SECRET; authorizations are approved as the first account.")
    var oauthClient: String?
    @Option(
        help: """
            Inject faults at random: 'bad-day' (5% 429, 5% 503, 3% dropped connections, 3% truncated \
            downloads, 20% of tus PATCHes acknowledged short, 3% 503 after a commit) or 'none'.
            """)
    var faults = "none"
    @Option(name: .customLong("fault-seed"), help: "Seed for the fault draws, to replay a run.") var faultSeed: UInt64 =
        1

    func run() throws {
        // More event-loop threads than cores: routes write blobs with blocking calls.
        let emulator = try PutioEmulator(threads: max(4, 2 * ProcessInfo.processInfo.activeProcessorCount))
        let names = accounts.split(separator: ",").map(String.init).filter { !$0.isEmpty }
        guard !names.isEmpty else { throw ValidationError("--accounts names no account") }
        var tokens: [String: String] = [:]
        for name in names { tokens[name] = emulator.addAccount(name) }
        switch seed {
        case "demo": emulator.seedDemoLibrary(in: names[0], scale: scale)
        case "none": break
        default: throw ValidationError("--seed must be 'demo' or 'none'")
        }
        if let client = oauthClient {
            let parts = client.split(separator: ":", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { throw ValidationError("--oauth-client must be ID:SECRET") }
            emulator.registerClient(id: parts[0], secret: parts[1])
            emulator.approveAuthorizations(as: names[0])
        }
        switch faults {
        case "bad-day":
            emulator.setFaults {
                $0.rates = .badDay
                $0.seed = faultSeed
            }
        case "none": break
        default: throw ValidationError("--faults must be 'bad-day' or 'none'")
        }
        let bound = try emulator.start(port: port)
        if let tokensFile { try writePrivateJSON(tokens, to: tokensFile) }
        print("putio emulator listening on http://127.0.0.1:\(bound) (accounts: \(names.joined(separator: ", ")))")
        fflush(nil)  // every stream: stdout is a global Swift 6 will not touch from here
        waitForStopSignal()
        emulator.stop()
    }
}

struct PikPak: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pikpak", abstract: "Emulate PikPak's user, drive, storage and download hosts.")

    @Option(help: "Port to listen on (0 picks a free one).") var port = 0
    @Option(help: "Accounts to create, comma-separated (each signs in with its name and a random password).")
    var accounts = "a,b"
    @Option(help: "Write the accounts' passwords here as JSON (mode 0600); they are never printed.")
    var passwordsFile: String?

    func run() throws {
        let emulator = try PikPakEmulator(threads: max(4, 2 * ProcessInfo.processInfo.activeProcessorCount))
        let names = accounts.split(separator: ",").map(String.init).filter { !$0.isEmpty }
        guard !names.isEmpty else { throw ValidationError("--accounts names no account") }
        var passwords: [String: String] = [:]
        for name in names {
            let password = "pw-" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
            emulator.addAccount(name, password: password)
            passwords[name] = password
        }
        let bound = try emulator.start(port: port)
        if let passwordsFile { try writePrivateJSON(passwords, to: passwordsFile) }
        print("pikpak emulator listening on http://127.0.0.1:\(bound) (accounts: \(names.joined(separator: ", ")))")
        fflush(nil)
        waitForStopSignal()
        emulator.stop()
    }
}

struct Dropbox: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dropbox", abstract: "Emulate Dropbox's API, content and OAuth hosts.")

    @Option(help: "Port to listen on (0 picks a free one).") var port = 0
    @Option(help: "Accounts to create, comma-separated.") var accounts = "a,b"
    @Option(
        help: "Write each account's access and refresh tokens here as JSON (mode 0600); they are never printed.")
    var tokensFile: String?
    @Option(help: "Register an app key (PKCE, no secret); authorizations are approved as the first account.")
    var appKey: String?

    func run() throws {
        let emulator = try DropboxEmulator(threads: max(4, 2 * ProcessInfo.processInfo.activeProcessorCount))
        let names = accounts.split(separator: ",").map(String.init).filter { !$0.isEmpty }
        guard !names.isEmpty else { throw ValidationError("--accounts names no account") }
        var tokens: [String: String] = [:]
        for name in names {
            emulator.addAccount(name)
            let issued = emulator.issueTokens(for: name)
            tokens[name] = issued.access
            tokens[name + ".refresh"] = issued.refresh
        }
        if let appKey {
            emulator.registerApp(key: appKey)
            emulator.approveAuthorizations(as: names[0])
        }
        let bound = try emulator.start(port: port)
        if let tokensFile { try writePrivateJSON(tokens, to: tokensFile) }
        print("dropbox emulator listening on http://127.0.0.1:\(bound) (accounts: \(names.joined(separator: ", ")))")
        fflush(nil)
        waitForStopSignal()
        emulator.stop()
    }
}

struct OneDrive: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "onedrive", abstract: "Emulate OneDrive through Microsoft Graph, with its identity platform.")

    @Option(help: "Port to listen on (0 picks a free one).") var port = 0
    @Option(help: "Accounts to create, comma-separated.") var accounts = "a,b"
    @Option(
        help: "Write each account's access and refresh tokens here as JSON (mode 0600); they are never printed.")
    var tokensFile: String?
    @Option(help: "Register a public client id; authorizations are approved as the first account.")
    var clientId: String?

    func run() throws {
        let emulator = try OneDriveEmulator(threads: max(4, 2 * ProcessInfo.processInfo.activeProcessorCount))
        let names = accounts.split(separator: ",").map(String.init).filter { !$0.isEmpty }
        guard !names.isEmpty else { throw ValidationError("--accounts names no account") }
        var tokens: [String: String] = [:]
        for name in names {
            emulator.addAccount(name)
            let issued = emulator.issueTokens(for: name)
            tokens[name] = issued.access
            tokens[name + ".refresh"] = issued.refresh
        }
        if let clientId {
            emulator.registerApp(clientID: clientId)
            emulator.approveAuthorizations(as: names[0])
        }
        let bound = try emulator.start(port: port)
        if let tokensFile { try writePrivateJSON(tokens, to: tokensFile) }
        print("onedrive emulator listening on http://127.0.0.1:\(bound) (accounts: \(names.joined(separator: ", ")))")
        fflush(nil)
        waitForStopSignal()
        emulator.stop()
    }
}

/// Writes `object` as JSON readable by its owner only, replacing `path` in one step.
func writePrivateJSON(_ object: [String: String], to path: String) throws {
    let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
    let temp = path + ".tmp"
    _ = FileManager.default.createFile(atPath: temp, contents: data, attributes: [.posixPermissions: 0o600])
    _ = rename(temp, path)
}

/// Serves until SIGINT or SIGTERM. (A dispatch signal source would not see a signal set to SIG_IGN
/// on Linux, where it is built on signalfd.)
func waitForStopSignal() {
    signal(SIGINT) { _ in stopSignal = 1 }
    signal(SIGTERM) { _ in stopSignal = 1 }
    // A parent may have started us with these blocked (the mask is inherited): unblock them.
    var stopSignals = sigset_t()
    sigemptyset(&stopSignals)
    sigaddset(&stopSignals, SIGINT)
    sigaddset(&stopSignals, SIGTERM)
    pthread_sigmask(SIG_UNBLOCK, &stopSignals, nil)
    while stopSignal == 0 { usleep(100_000) }
}

/// Set by the signal handler only; read by the serving loop. A signal handler may store nothing else.
nonisolated(unsafe) var stopSignal: sig_atomic_t = 0

SyncEmulator.main()
