import Foundation
import PutioEmulator
import Testing

/// A private HOME whose config holds an SFTP account `nas` on a test sshd.
final class SFTPWorld {
    let server: SSHServer
    let home = TestSupport.temporaryDirectory("sftp-home")
    let state: String

    init(server: SSHServer, account: String = "nas", root: String? = nil, extra: [String] = []) throws {
        self.server = server
        state = home + "/state.db"
        try add(account, (server.accountOptions(root: root) + extra))
    }

    deinit { try? FileManager.default.removeItem(atPath: home) }

    /// Adds an account; `check: false` saves one meant to fail without the connection test.
    func add(_ account: String, _ options: [String], stdin: String? = nil, check: Bool = true) throws {
        let added = try cli(
            ["account", "add", "sftp", account] + options.flatMap { ["--set", $0] } + (stdin == nil ? [] : ["--stdin"])
                + (check ? [] : ["--no-check"]),
            stdin: stdin)
        #expect(added.status == 0, "\(added.stderr)")
    }

    func cli(_ args: [String], stdin: String? = nil, environment: [String: String] = [:]) throws -> TestSupport.Output {
        try TestSupport.cli(
            args, home: home, environment: environment.merging(["SYNC_CORE_STATE": state]) { a, _ in a },
            stdin: stdin)
    }

    /// Starts the CLI in the background, its output into `home`/bg.out and bg.err.
    func start(_ args: [String]) throws -> Process {
        try TestSupport.startCLI(args, home: home, state: state, output: home + "/bg")
    }
}

private func waitUntil(_ seconds: Double, _ condition: () -> Bool) -> Bool {
    TestSupport.waitUntil(seconds, condition)
}

private func events(_ output: TestSupport.Output) -> [[String: Any]] {
    output.stdout.split(separator: "\n").compactMap {
        try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
    }
}

private func summary(_ output: TestSupport.Output) -> [String: Any] {
    events(output).last { $0["event"] as? String == "summary" } ?? [:]
}

/// Names of every entry under `root`, hidden ones included.
private func allNames(_ root: String) -> [String] {
    (FileManager.default.enumerator(atPath: root)?.allObjects as? [String]) ?? []
}

@Suite(.serialized) struct SFTPTests {
    /// The suite through `sync-core plugin test`, in a process of its own (its memory check).
    @Test func conformanceSuitePassesAgainstOpenSSH() throws {
        let server = try SSHServer.shared()
        let root = server.data + "/conformance"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        let home = TestSupport.temporaryDirectory("sftp-conformance")
        defer { try? FileManager.default.removeItem(atPath: home) }
        let run = try TestSupport.cli(
            ["plugin", "test", "sftp"] + server.accountOptions(root: root).flatMap { ["--set", $0] }, home: home)
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        #expect(run.stdout.contains("23 passed, 0 failed, 3 skipped"), "\(run.stdout)")
        #expect(allNames(root).isEmpty, "the suite cleans up, partial files included: \(allNames(root))")
    }

    @Test func localToSFTPAndBackKeepsEveryByteNameAndTime() throws {
        let server = try SSHServer.shared()
        let world = try SFTPWorld(server: server)
        var files: [String: [UInt8]] = [
            "Series/Show/Season 1/E01.mkv": patterned(3 << 20 + 17, seed: 1),
            "Series/Show/Season 1/E01.en.srt": Array("1\n00:00:01,000 --> 00:00:02,000\nHi\n".utf8),
            "Films/Amélie (2001)/Amélie.mp4": patterned(700_000, seed: 2),
            "Films/it's \"quoted\" $HOME `x`.txt": Array("shell metacharacters".utf8),
            "empty.txt": [],
            "a/b/c/d/deep.bin": patterned(1234, seed: 3),
        ]
        for i in 0..<40 { files["many/\(i).bin"] = patterned(16_384, seed: UInt64(100 + i)) }
        let src = try localTree("sftp-src", files, emptyFolders: ["Empty/Inner"])
        defer { try? FileManager.default.removeItem(atPath: src) }
        let oldTime = Date(timeIntervalSince1970: 1_500_000_000)
        try FileManager.default.setAttributes(
            [.modificationDate: oldTime], ofItemAtPath: src + "/Series/Show/Season 1/E01.mkv")

        let first = try world.cli(["migrate", src, "sftp:nas/tree", "-v"])
        #expect(first.status == 0, "\(first.stdout)\(first.stderr)")
        #expect(first.stderr.contains("computes md5sum, sha1sum"), "hashes detected: \(first.stderr)")
        // Every file verified by the server, through one hashing process per session, not one
        // command per file.
        let lines = first.stderr.split(separator: "\n")
        let hashed = lines.filter { $0.contains("sftp: one sha1sum for ") }.map { line in
            Int(line.split(separator: " ").dropLast(1).last ?? "") ?? 0
        }
        #expect(hashed.reduce(0, +) == files.count, "\(first.stderr)")
        let processes = lines.filter { $0.contains("started a sha1sum process") }.count
        #expect(processes >= 1 && processes <= 4, "\(processes) hashing processes for \(files.count) files")
        let landed = readTree(server.data + "/tree")
        #expect(landed.files == files)
        #expect(landed.folders.isSuperset(of: ["Empty", "Empty/Inner"]))
        #expect(!allNames(server.data + "/tree").contains { $0.contains(".sc-partial") })
        let mtime =
            try FileManager.default.attributesOfItem(atPath: server.data + "/tree/Series/Show/Season 1/E01.mkv")[
                .modificationDate] as? Date
        #expect(mtime == oldTime)

        let again = try world.cli(["migrate", src, "sftp:nas/tree"])
        #expect(again.status == 0 && (again.stdout + again.stderr).contains("copied 0 files"), "\(again.stderr)")
        let check = try world.cli(["check", src, "sftp:nas/tree"])
        #expect(check.status == 0, "\(check.stdout)\(check.stderr)")

        let back = TestSupport.temporaryDirectory("sftp-back")
        defer { try? FileManager.default.removeItem(atPath: back) }
        let down = try world.cli(["copy", "sftp:nas/tree", back])
        #expect(down.status == 0, "\(down.stdout)\(down.stderr)")
        #expect(readTree(back).files == files)
        let backTime =
            try FileManager.default.attributesOfItem(atPath: back + "/Series/Show/Season 1/E01.mkv")[
                .modificationDate] as? Date
        #expect(backTime == oldTime)

        // A changed file replaces the old one in one step: the server's `mv -f` (rename(2)).
        let changed = Array("a new version of the file".utf8)
        try Data(changed).write(to: URL(fileURLWithPath: src + "/Films/it's \"quoted\" $HOME `x`.txt"))
        let update = try world.cli(["copy", src, "sftp:nas/tree", "-v"])
        #expect(update.status == 0, "\(update.stderr)")
        #expect(update.stderr.contains("in one step (mv -f)"), "\(update.stderr)")
        #expect(readTree(server.data + "/tree").files["Films/it's \"quoted\" $HOME `x`.txt"] == changed)
        files["Films/it's \"quoted\" $HOME `x`.txt"] = changed

        // A corrupted file on the server is what `check` is for: the server's md5 tells.
        let victim = server.data + "/tree/Films/Amélie (2001)/Amélie.mp4"
        var bytes = try Data(contentsOf: URL(fileURLWithPath: victim))
        bytes[1000] ^= 0xFF
        try bytes.write(to: URL(fileURLWithPath: victim))
        let attributes = try FileManager.default.attributesOfItem(atPath: src + "/Films/Amélie (2001)/Amélie.mp4")
        try FileManager.default.setAttributes(
            [.modificationDate: attributes[.modificationDate]!], ofItemAtPath: victim)
        let caught = try world.cli(["check", src, "sftp:nas/tree"])
        #expect(caught.status != 0 && (caught.stdout + caught.stderr).contains("Amélie.mp4"), "\(caught.stdout)")
    }

    @Test func hostKeysAreCheckedBeforeAnythingIsSent() throws {
        let server = try SSHServer.shared()
        let world = try SFTPWorld(server: server)
        let other = TestSupport.temporaryDirectory("sftp-keys")
        defer { try? FileManager.default.removeItem(atPath: other) }

        // Unknown: refused with the fingerprint and how to accept it.
        try world.add("unknown", server.accountOptions() + ["known_hosts=\(other)/none"], check: false)
        let unknown = try world.cli(["ls", "sftp:unknown"])
        #expect(unknown.status != 0)
        #expect(unknown.stderr.contains("unknown") && unknown.stderr.contains(server.fingerprint), "\(unknown.stderr)")
        #expect(unknown.stderr.contains("ssh-keyscan -p \(server.port) 127.0.0.1"), "\(unknown.stderr)")
        #expect(unknown.stderr.split(separator: "\n").count == 1, "one line: \(unknown.stderr)")

        // Changed: another key recorded for this host and port.
        let made = try TestSupport.run("/usr/bin/ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", other + "/k"])
        #expect(made.status == 0)
        let fake = try String(contentsOfFile: other + "/k.pub", encoding: .utf8).split(separator: " ")
        try "[127.0.0.1]:\(server.port) \(fake[0]) \(fake[1])\n".write(
            toFile: other + "/changed", atomically: true, encoding: .utf8)
        try world.add("changed", server.accountOptions() + ["known_hosts=\(other)/changed"], check: false)
        let changed = try world.cli(["ls", "sftp:changed"])
        #expect(changed.status != 0 && changed.stderr.contains("CHANGED"), "\(changed.stderr)")
        #expect(changed.stderr.contains(server.fingerprint))
        #expect(changed.stderr.contains("ssh-keygen -R"), "\(changed.stderr)")

        // A pinned fingerprint needs no known_hosts; a wrong pin is refused.
        try world.add(
            "pinned",
            server.accountOptions() + ["known_hosts=\(other)/none", "host_key_fingerprint=\(server.fingerprint)"])
        let pinned = try world.cli(["ls", "sftp:pinned"])
        #expect(pinned.status == 0, "\(pinned.stderr)")
        try world.add(
            "mispinned",
            server.accountOptions() + ["host_key_fingerprint=SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"],
            check: false)
        let mispinned = try world.cli(["ls", "sftp:mispinned"])
        #expect(mispinned.status != 0 && mispinned.stderr.contains("not the pinned"), "\(mispinned.stderr)")

        // Trust on first use writes a line that `ssh` and the next run both accept; a changed key
        // stays refused even so.
        try world.add(
            "tofu", server.accountOptions() + ["known_hosts=\(other)/tofu", "accept_new_host_key=true"], check: false)
        let tofu = try world.cli(["ls", "sftp:tofu"])
        #expect(tofu.status == 0 && tofu.stderr.contains("trusted the new host key"), "\(tofu.stderr)")
        let saved = try String(contentsOfFile: other + "/tofu", encoding: .utf8)
        #expect(saved.contains("[127.0.0.1]:\(server.port)"), "\(saved)")
        let second = try world.cli(["ls", "sftp:tofu"])
        #expect(second.status == 0 && !second.stderr.contains("trusted"), "\(second.stderr)")
        let ssh = try TestSupport.run(
            "/usr/bin/ssh",
            [
                "-p", String(server.port), "-i", server.clientKey, "-o", "BatchMode=yes", "-o",
                "StrictHostKeyChecking=yes", "-o", "UserKnownHostsFile=\(other)/tofu", "\(server.user)@127.0.0.1",
                "true",
            ])
        #expect(ssh.status == 0, "OpenSSH accepts the saved line: \(ssh.stderr)")
        try world.add(
            "tofuChanged", server.accountOptions() + ["known_hosts=\(other)/changed", "accept_new_host_key=true"],
            check: false)
        #expect(try world.cli(["ls", "sftp:tofuChanged"]).stderr.contains("CHANGED"))
    }

    @Test func keysWithPassphrasesAndTheAgentLogIn() throws {
        let server = try SSHServer.shared()
        let world = try SFTPWorld(server: server)
        let base = server.accountOptions().filter { !$0.hasPrefix("key_file=") }
        try world.add(
            "locked", base + ["key_file=\(server.lockedKey)", "use_agent=false"],
            stdin: "key_passphrase=\(server.passphrase)\n")
        let locked = try world.cli(["ls", "sftp:locked", "-v"])
        #expect(locked.status == 0, "\(locked.stderr)")
        #expect(!(locked.stdout + locked.stderr).contains(server.passphrase))
        let config = try String(contentsOfFile: world.home + "/.config/sync-core/config.toml", encoding: .utf8)
        #expect(!config.isEmpty)

        try world.add(
            "wrongPhrase", base + ["key_file=\(server.lockedKey)", "use_agent=false"], stdin: "key_passphrase=nope\n",
            check: false)
        let wrong = try world.cli(["ls", "sftp:wrongPhrase"])
        #expect(wrong.status != 0 && wrong.stderr.contains("wrong key_passphrase"), "\(wrong.stderr)")
        #expect(!wrong.stderr.contains("nope"))

        // ssh-agent holding the key; the account names no key at all.
        let socket = world.home + "/agent.sock"
        let agent = try SSHServer.spawn("/usr/bin/ssh-agent", ["-D", "-a", socket])
        defer { SSHServer.killTree(agent) }
        #expect(waitUntil(10) { FileManager.default.fileExists(atPath: socket) }, "ssh-agent is listening")
        let added = try TestSupport.run("/usr/bin/ssh-add", [server.clientKey], environment: ["SSH_AUTH_SOCK": socket])
        #expect(added.status == 0, "\(added.stderr)")
        try world.add("agent", base, check: false)
        let viaAgent = try world.cli(["ls", "sftp:agent"], environment: ["SSH_AUTH_SOCK": socket])
        #expect(viaAgent.status == 0, "\(viaAgent.stderr)")
        let noAgent = try world.cli(["ls", "sftp:agent"], environment: ["SSH_AUTH_SOCK": world.home + "/none"])
        #expect(noAgent.status != 0 && noAgent.stderr.contains("refused the login"), "\(noAgent.stderr)")
    }

    @Test func aWrongPasswordIsOneAuthErrorWithoutARetryStorm() throws {
        let server = try SSHServer(.init(passwords: true))
        defer { server.kill() }
        let world = try SFTPWorld(server: server)
        let base = server.accountOptions().filter { !$0.hasPrefix("key_file=") }
        let password = "not-the-password-\(UUID().uuidString.prefix(6))"
        try world.add("pw", base + ["use_agent=false"], stdin: "password=\(password)\n", check: false)
        let src = try localTree("sftp-pw", ["a.txt": Array("a".utf8)])
        defer { try? FileManager.default.removeItem(atPath: src) }
        let run = try world.cli(["copy", src, "sftp:pw/x", "-v"])
        #expect(run.status != 0)
        let errors = run.stderr.split(separator: "\n").filter { $0.contains("error") }
        #expect(errors.count == 1, "one error line: \(run.stderr)")
        #expect(run.stderr.contains("refused the login") && run.stderr.contains("password"), "\(run.stderr)")
        #expect(!(run.stdout + run.stderr).contains(password))
        Thread.sleep(forTimeInterval: 0.2)  // sshd writes its log line as the connection closes
        let failures = server.log.components(separatedBy: "Failed password").count - 1
        #expect(failures == 1, "the server saw \(failures) password attempts:\n\(server.log)")
    }

    @Test func connectionProblemsAreOneClearErrorEach() throws {
        let server = try SSHServer.shared()
        let world = try SFTPWorld(server: server)
        let closedPort = try MotoServer.freePort()
        try world.add("refused", server.accountOptions() + ["port=\(closedPort)"], check: false)
        let refused = try world.cli(["ls", "sftp:refused"])
        #expect(refused.status != 0 && refused.stderr.contains("refused"), "\(refused.stderr)")
        #expect(refused.stderr.split(separator: "\n").count == 1, "\(refused.stderr)")

        try world.add("dns", server.accountOptions() + ["host=no-such-host.invalid"], check: false)
        let dns = try world.cli(["ls", "sftp:dns"])
        #expect(dns.status != 0 && dns.stderr.contains("cannot resolve host 'no-such-host.invalid'"), "\(dns.stderr)")

        // sysfs refuses new files even to root: the server's permission denied.
        try world.add("readonly", server.accountOptions(root: "/sys/kernel"))
        let src = try localTree("sftp-perm", ["a.txt": Array("a".utf8)])
        defer { try? FileManager.default.removeItem(atPath: src) }
        let denied = try world.cli(["copy", src, "sftp:readonly"])
        #expect(denied.status != 0 && denied.stderr.contains("permission denied"), "\(denied.stderr)")
    }

    @Test func aServerKilledMidTransferIsACleanErrorAndTheNextRunResumes() throws {
        let server = try SSHServer()
        defer { server.kill() }
        let world = try SFTPWorld(server: server)
        // Large enough to go up in parts on two sessions at once (64 MiB and up).
        var files: [String: [UInt8]] = ["big.bin": patterned(72 << 20, seed: 7)]
        for i in 0..<6 { files["small/\(i).txt"] = patterned(10_000 + i, seed: UInt64(i)) }
        let src = try localTree("sftp-kill", files)
        defer { try? FileManager.default.removeItem(atPath: src) }
        let partial = server.data + "/dst/.big.bin.sc-partial"
        func partialSize() -> Int {
            ((try? FileManager.default.attributesOfItem(atPath: partial))?[.size] as? Int) ?? 0
        }
        let process = try world.start([
            "migrate", src, "sftp:nas/dst", "--bwlimit", "8M", "--transfers", "2", "--retries", "2", "--retry-delay",
            "0.05", "--retry-budget", "0",
        ])
        let midway = waitUntil(60) { partialSize() >= 24 << 20 }
        server.kill()
        #expect(waitUntil(60) { !process.isRunning }, "the run ended after the server died")
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        #expect(midway, "the upload never got midway")
        #expect(process.terminationStatus != 0)
        let stderr = (try? String(contentsOfFile: world.home + "/bg.err", encoding: .utf8)) ?? ""
        #expect(stderr.contains("big.bin") && stderr.contains("sftp"), "\(stderr)")
        #expect(!FileManager.default.fileExists(atPath: server.data + "/dst/big.bin"), "a half file is visible")

        try server.start()
        let rerun = try world.cli(["migrate", src, "sftp:nas/dst", "--json", "-v"])
        #expect(rerun.status == 0, "\(rerun.stdout)\(rerun.stderr)")
        // The resumed parts were hashed by the server as they landed, from the first byte.
        #expect(rerun.stderr.contains("'dst/big.bin' was hashed by the server while it was written"), "\(rerun.stderr)")
        let resumed = events(rerun).first { $0["event"] as? String == "resumed" }
        let offset = resumed?["offset"] as? Int ?? 0
        #expect(offset >= 8 << 20 && offset < 72 << 20, "resumed at \(offset)")
        #expect(readTree(server.data + "/dst").files == files)
        #expect(!allNames(server.data + "/dst").contains { $0.contains(".sc-partial") })
        #expect((summary(rerun)["copied"] as? Int ?? 99) <= files.count)
    }

    /// Issue 15's bar for SFTP: through a proxy that cuts connections at random (mid-command,
    /// mid-upload, mid-download), a migration up and back down completes in one run each with the
    /// default settings, byte for byte, with no partial file left behind.
    @Test(arguments: [15, 16] as [UInt64])
    func aMigrationThroughConnectionsCutAtRandomCompletesInOneRun(faultSeed: UInt64) throws {
        let server = try SSHServer.shared()
        let proxy = try TCPFaultProxy(targetPort: server.port, cutRate: 0.002, seed: faultSeed)
        defer { proxy.stop() }
        let home = TestSupport.temporaryDirectory("sftp-cut")
        defer { try? FileManager.default.removeItem(atPath: home) }
        // The proxy's port needs its own known_hosts line for the same host key.
        let line = try String(contentsOfFile: server.knownHosts, encoding: .utf8)
            .replacingOccurrences(of: "]:\(server.port) ", with: "]:\(proxy.port) ")
        try line.write(toFile: home + "/known_hosts", atomically: true, encoding: .utf8)
        let root = server.data + "/cut-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        let options = server.accountOptions(root: root).map {
            $0.hasPrefix("port=")
                ? "port=\(proxy.port)" : $0.hasPrefix("known_hosts=") ? "known_hosts=\(home)/known_hosts" : $0
        }
        let world = try SFTPWorld(server: server, account: "cut", extra: [])
        // Saved without the connection test, which a cut could fail.
        try world.add("flaky", options, check: false)
        var files: [String: [UInt8]] = [
            "Video/large.mkv": patterned(24 << 20 + 5, seed: 1),
            "Video/medium.mkv": patterned(3 << 20, seed: 2),
            "Docs/empty.txt": [],
        ]
        for i in 0..<30 { files["Many/\(i % 3)/file-\(i).bin"] = patterned(2000 + i * 1499, seed: UInt64(20 + i)) }
        let src = try localTree("sftp-cut-src", files)
        defer { try? FileManager.default.removeItem(atPath: src) }

        let up = try world.cli(["migrate", src, "sftp:flaky/up"])
        #expect(up.status == 0, "\(up.stdout)\(up.stderr)")
        let back = TestSupport.temporaryDirectory("sftp-cut-back")
        defer { try? FileManager.default.removeItem(atPath: back) }
        let down = try world.cli(["migrate", "sftp:flaky/up", back])
        #expect(down.status == 0, "\(down.stdout)\(down.stderr)")
        #expect(proxy.cuts > 0, "the proxy cut no connection")
        #expect(differingPaths(readTree(back).files, files).isEmpty, "read back through the cuts")
        #expect(differingPaths(readTree(root + "/up").files, files).isEmpty, "what landed on the server")
        #expect(!allNames(root).contains { $0.contains(".sc-partial") }, "\(allNames(root))")
    }

    @Test func aServerThatRunsNoCommandsStillCopiesCheckedBySize() throws {
        let server = try SSHServer(.init(sftpOnly: true))
        defer { server.kill() }
        let world = try SFTPWorld(server: server)
        let files: [String: [UInt8]] = ["x/one.bin": patterned(100_000, seed: 9), "two.txt": Array("two".utf8)]
        let src = try localTree("sftp-nocmd", files)
        defer { try? FileManager.default.removeItem(atPath: src) }
        let run = try world.cli(["migrate", src, "sftp:nas/up", "-v"])
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        #expect(run.stderr.contains("runs no md5sum or sha1sum"), "\(run.stderr)")
        #expect(readTree(server.data + "/up").files == files)
        let again = try world.cli(["migrate", src, "sftp:nas/up"])
        #expect((again.stdout + again.stderr).contains("copied 0 files"), "\(again.stderr)")
        // Without commands a replacement removes the old file first, then renames.
        try Data("three".utf8).write(to: URL(fileURLWithPath: src + "/two.txt"))
        let update = try world.cli(["copy", src, "sftp:nas/up"])
        #expect(update.status == 0, "\(update.stderr)")
        #expect(readTree(server.data + "/up").files["two.txt"] == Array("three".utf8))
    }

    /// The user's every-15-minutes job: finished videos and subtitles from Put.io to the NAS.
    @Test func putioToTheNASTakesVideosAndSubtitlesOldEnough() throws {
        let server = try SSHServer.shared()
        let putio = try PutioWorld()
        let e = putio.emulator
        let old = Date().addingTimeInterval(-3 * 86_400)
        e.addGeneratedFile("Completed/Show/Season 1/Show.S01E01.mkv", size: 2_000_000, seed: 1, in: "a", modified: old)
        e.addFile("Completed/Show/Season 1/Show.S01E01.en.srt", contents: Array("subs".utf8), in: "a", modified: old)
        e.addFile("Completed/Show/Season 1/Show.S01E01.nfo", contents: Array("<nfo/>".utf8), in: "a", modified: old)
        e.addGeneratedFile("Completed/Film (2020)/Film.mp4", size: 1_500_000, seed: 2, in: "a", modified: old)
        e.addFile("Completed/Film (2020)/poster.jpg", contents: [0xFF, 0xD8, 0xFF], in: "a", modified: old)
        e.addGeneratedFile("Completed/Still Seeding/Fresh.mkv", size: 100_000, seed: 3, in: "a", modified: Date())
        let options = server.accountOptions(root: server.data + "/plex-\(UUID().uuidString.prefix(6))")
        let added = try putio.cli(["account", "add", "sftp", "nas"] + options.flatMap { ["--set", $0] })
        #expect(added.status == 0, "\(added.stderr)")
        let root = String(options.last!.dropFirst("root=".count))
        defer { try? FileManager.default.removeItem(atPath: root) }

        let job = [
            "migrate", "putio:a/Completed", "sftp:nas/media", "--type", "video", "--type", "subtitle", "--min-age",
            "1h",
        ]
        let first = try putio.cli(job)
        #expect(first.status == 0, "\(first.stdout)\(first.stderr)")
        let landed = readTree(root + "/media").files
        #expect(
            Set(landed.keys) == [
                "Show/Season 1/Show.S01E01.mkv", "Show/Season 1/Show.S01E01.en.srt", "Film (2020)/Film.mp4",
            ])
        for (path, bytes) in landed {
            #expect(bytes == e.contents(of: "Completed/" + path, in: "a"), "\(path)")
        }
        let second = try putio.cli(job)
        #expect(second.status == 0 && (second.stdout + second.stderr).contains("copied 0 files"), "\(second.stderr)")
    }
}
