import Foundation
import Testing

/// Paths and processes the tests share.
enum TestSupport {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().path

    /// Where `swift build` put the CLI and the plugins: beside the test runner.
    static let binDirectory: String = {
        let exe =
            (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return (exe as NSString).deletingLastPathComponent
    }()

    static var cli: String { binDirectory + "/sync-core" }
    static var headerDirectory: String { packageRoot + "/Sources/CSyncConnector/include" }
    static var fixtures: String { packageRoot + "/Tests/SyncCoreTests/Fixtures" }

    /// One folder per test process holds every test's scratch folders, and goes when the process
    /// exits: many tests leave theirs for the next step to look at, and a whole suite's worth used
    /// to pile up in /tmp. Folders of test processes that died without exiting are swept at start.
    static let scratchRoot: String = {
        let base = FileManager.default.temporaryDirectory.path
        let prefix = "sc-tests-"
        for name in (try? FileManager.default.contentsOfDirectory(atPath: base)) ?? [] where name.hasPrefix(prefix) {
            guard let pid = pid_t(name.dropFirst(prefix.count)), kill(pid, 0) != 0, errno == ESRCH else { continue }
            try? FileManager.default.removeItem(atPath: base + "/" + name)
        }
        let root = base + "/" + prefix + String(getpid())
        try? FileManager.default.removeItem(atPath: root)
        try! FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        atexit { try? FileManager.default.removeItem(atPath: TestSupport.scratchRoot) }
        return root
    }()

    static func temporaryDirectory(_ label: String) -> String {
        let path = scratchRoot + "/sc-\(label)-\(UUID().uuidString.prefix(8))"
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    struct Output {
        let status: Int32
        let stdout: String
        let stderr: String
    }

    /// Runs a program to completion. Output goes through files, so neither pipe can fill and block.
    static func run(
        _ executable: String, _ arguments: [String], environment: [String: String] = [:], stdin: String? = nil,
        cleanEnvironment: Bool = false
    ) throws -> Output {
        let dir = temporaryDirectory("run")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let outPath = dir + "/out"
        let errPath = dir + "/err"
        let inPath = dir + "/in"
        _ = FileManager.default.createFile(atPath: outPath, contents: nil)
        _ = FileManager.default.createFile(atPath: errPath, contents: nil)
        _ = FileManager.default.createFile(atPath: inPath, contents: Data((stdin ?? "").utf8))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        var env = cleanEnvironment ? [:] : ProcessInfo.processInfo.environment
        env["SYNC_CORE_PLUGIN_PATH"] = nil
        env["SYNC_CORE_CONFIG"] = nil
        for (k, v) in environment { env[k] = v }
        process.environment = env
        process.standardOutput = FileHandle(forWritingAtPath: outPath)
        process.standardError = FileHandle(forWritingAtPath: errPath)
        process.standardInput = FileHandle(forReadingAtPath: inPath)
        try process.run()
        process.waitUntilExit()
        return Output(
            status: process.terminationStatus,
            stdout: (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? "",
            stderr: (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? "")
    }

    /// Runs the CLI with a private HOME and config file.
    static func cli(_ arguments: [String], home: String, environment: [String: String] = [:], stdin: String? = nil)
        throws -> Output
    {
        var env = environment
        env["HOME"] = home
        env["XDG_CONFIG_HOME"] = home + "/.config"
        return try run(cli, arguments, environment: env, stdin: stdin)
    }

    /// Starts the CLI in the background with a private HOME and state database. Its output goes to
    /// `output`.out and `output`.err when given, else nowhere.
    static func startCLI(_ arguments: [String], home: String, state: String, output: String? = nil) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: cli)
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        env["HOME"] = home
        env["XDG_CONFIG_HOME"] = home + "/.config"
        env["SYNC_CORE_STATE"] = state
        env["SYNC_CORE_PLUGIN_PATH"] = nil
        env["SYNC_CORE_CONFIG"] = nil
        process.environment = env
        if let output {
            _ = FileManager.default.createFile(atPath: output + ".out", contents: nil)
            _ = FileManager.default.createFile(atPath: output + ".err", contents: nil)
            process.standardOutput = FileHandle(forWritingAtPath: output + ".out")
            process.standardError = FileHandle(forWritingAtPath: output + ".err")
        } else {
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
        }
        try process.run()
        return process
    }

    /// Polls `condition` until it holds or `seconds` pass; whether it held.
    static func waitUntil(_ seconds: Double, _ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if condition() { return true }
            Thread.sleep(forTimeInterval: 0.02)
        }
        return false
    }

    /// Compiles C sources into a shared object with the system compiler, as a third party would.
    static func compileSharedObject(
        sources: [String], output: String, includeDirectories: [String], defines: [String] = [],
        libraries: [String] = []
    ) throws {
        let args =
            [
                "-std=c11", "-D_POSIX_C_SOURCE=200809L", "-Wall", "-Werror=implicit-function-declaration", "-shared",
                "-fPIC", "-O1",
            ]
            + includeDirectories.map { "-I" + $0 } + defines.map { "-D" + $0 } + ["-o", output] + sources
            + libraries.map { "-l" + $0 }
        let result = try run("/usr/bin/cc", args)
        if result.status != 0 {
            throw CompileError(description: "cc failed (\(result.status)): \(result.stderr)")
        }
    }

    struct CompileError: Error, CustomStringConvertible { let description: String }

    /// Builds the fault-injecting test connector (Fixtures/faulty_connector.c) into `dir`, once;
    /// returns the folder, for SYNC_CORE_PLUGIN_PATH.
    @discardableResult
    static func buildFaultyConnector(in dir: String) throws -> String {
        guard !FileManager.default.fileExists(atPath: dir + "/libfaulty.so") else { return dir }
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try compileSharedObject(
            sources: [fixtures + "/faulty_connector.c"], output: dir + "/libfaulty.so",
            includeDirectories: [headerDirectory, packageRoot + "/Plugins/CDir/include"], libraries: ["z"])
        return dir
    }
}
