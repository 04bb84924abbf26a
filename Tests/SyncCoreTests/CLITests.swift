import Foundation
import Testing

/// The CLI as a user runs it: a separate process, its own HOME and config file.
@Suite struct CLITests {
    let home = TestSupport.temporaryDirectory("home")
    var config: String { home + "/.config/sync-core/config.toml" }

    @Test func lsAndCatOnLocalPaths() throws {
        let data = TestSupport.temporaryDirectory("data")
        defer { try? FileManager.default.removeItem(atPath: data) }
        try FileManager.default.createDirectory(atPath: data + "/sub dir", withIntermediateDirectories: true)
        try "hello world\n".write(toFile: data + "/sub dir/hello.txt", atomically: true, encoding: .utf8)
        try "x".write(toFile: data + "/top.txt", atomically: true, encoding: .utf8)

        let ls = try TestSupport.cli(["ls", data], home: home)
        #expect(ls.status == 0, "\(ls.stderr)")
        #expect(ls.stdout.contains("  sub dir/\n") && ls.stdout.contains("  top.txt\n"), "\(ls.stdout)")
        let recursive = try TestSupport.cli(["ls", "-R", "--json", "local:" + data], home: home)
        let lines = recursive.stdout.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
        #expect(Set(lines.compactMap { $0["path"] as? String }) == ["sub dir", "sub dir/hello.txt", "top.txt"])
        #expect(lines.first { $0["path"] as? String == "sub dir/hello.txt" }?["size"] as? Int == 12)

        let cat = try TestSupport.cli(["cat", data + "/sub dir/hello.txt"], home: home)
        #expect(cat.status == 0 && cat.stdout == "hello world\n")
        let ranged = try TestSupport.cli(
            ["cat", "--offset", "6", "--count", "5", data + "/sub dir/hello.txt"], home: home)
        #expect(ranged.stdout == "world")
    }

    @Test func accountsLifecycleKeepsSecretsOffArgvAndMasked() throws {
        let root = TestSupport.temporaryDirectory("acct")
        defer { try? FileManager.default.removeItem(atPath: root) }
        try "inside".write(toFile: root + "/f.txt", atomically: true, encoding: .utf8)
        let add = try TestSupport.cli(["account", "add", "local", "nas", "--set", "root=\(root)"], home: home)
        #expect(add.status == 0, "\(add.stderr)")
        var st = stat()
        #expect(lstat(config, &st) == 0 && st.st_mode & 0o777 == 0o600)

        let list = try TestSupport.cli(["account", "list"], home: home)
        #expect(list.stdout.contains("local:nas"))
        let show = try TestSupport.cli(["account", "show", "local:nas"], home: home)
        #expect(show.stdout.contains("root = \(root)"))
        let ls = try TestSupport.cli(["ls", "local:nas"], home: home)
        #expect(ls.status == 0 && ls.stdout.contains("f.txt"), "\(ls.stderr)")
        let cat = try TestSupport.cli(["cat", "local:nas/f.txt"], home: home)
        #expect(cat.stdout == "inside")

        let remove = try TestSupport.cli(["account", "remove", "local:nas"], home: home)
        #expect(remove.status == 0)
        let gone = try TestSupport.cli(["ls", "local:nas"], home: home)
        #expect(gone.status == 2)
        #expect(
            gone.stderr.contains("unknown account 'local:nas'")
                && gone.stderr.contains("sync-core account add local nas"), "\(gone.stderr)")
    }

    @Test func secretOptionsComeFromStdinOrEnvironmentNeverArgv() throws {
        // The fixture-free way to get a secret option: a tiny C connector whose schema declares one.
        let dir = TestSupport.temporaryDirectory("secret-plugin")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try TestSupport.compileSharedObject(
            sources: [TestSupport.fixtures + "/secret_connector.c"], output: dir + "/libsecret.so",
            includeDirectories: [TestSupport.headerDirectory])
        let env = ["SYNC_CORE_PLUGIN_PATH": dir]
        let argv = try TestSupport.cli(
            ["account", "add", "vault", "v", "--set", "token=hunter2"], home: home, environment: env)
        #expect(argv.status == 2)
        #expect(argv.stderr.contains("option 'token' is secret") && !argv.stderr.contains("hunter2"), "\(argv.stderr)")
        #expect(!FileManager.default.fileExists(atPath: config))

        let viaStdin = try TestSupport.cli(
            ["account", "add", "vault", "v", "--stdin"], home: home, environment: env,
            stdin: "token=hunter2\nregion=eu\n")
        #expect(viaStdin.status == 0, "\(viaStdin.stderr)")
        let viaEnv = try TestSupport.cli(
            ["account", "add", "vault", "w", "--set", "region=us"], home: home,
            environment: env.merging(["SYNC_CORE_OPTION_TOKEN": "s3cr3t"]) { a, _ in a })
        #expect(viaEnv.status == 0, "\(viaEnv.stderr)")
        let text = try String(contentsOfFile: config, encoding: .utf8)
        #expect(text.contains("token = \"hunter2\"") && text.contains("token = \"s3cr3t\""))

        let show = try TestSupport.cli(["account", "show", "vault:v"], home: home, environment: env)
        #expect(show.stdout.contains("token = ********") && show.stdout.contains("region = eu"), "\(show.stdout)")
        #expect(!show.stdout.contains("hunter2") && !show.stderr.contains("hunter2"))
        // Without the connector installed, show cannot tell secrets apart: it masks everything.
        let blind = try TestSupport.cli(["account", "show", "vault:v"], home: home)
        #expect(!blind.stdout.contains("hunter2") && !blind.stdout.contains("eu"))

        let missing = try TestSupport.cli(
            ["account", "add", "vault", "x", "--stdin"], home: home, environment: env, stdin: "region=eu\n")
        #expect(
            missing.status == 2 && missing.stderr.contains("required option 'token' is missing"), "\(missing.stderr)")
        let unknown = try TestSupport.cli(
            ["account", "add", "vault", "x", "--set", "colour=red"], home: home, environment: env)
        #expect(
            unknown.status == 2 && unknown.stderr.contains("unknown option 'colour'")
                && unknown.stderr.contains("known: token, region, retries"))
        let badType = try TestSupport.cli(
            ["account", "add", "vault", "x", "--set", "retries=many"], home: home, environment: env)
        #expect(badType.status == 2 && badType.stderr.contains("option 'retries' expects an integer"))
    }

    @Test func secretPromptOnATerminalDoesNotEcho() throws {
        let dir = TestSupport.temporaryDirectory("secret-tty")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try TestSupport.compileSharedObject(
            sources: [TestSupport.fixtures + "/secret_connector.c"], output: dir + "/libsecret.so",
            includeDirectories: [TestSupport.headerDirectory])
        // script(1) gives the CLI a real pseudo-terminal; the typed secret must not come back out.
        let out = try TestSupport.run(
            "/bin/sh",
            [
                "-c", "(sleep 1; printf 'hunter2\\n') | script -qfec \"$0 account add vault v\" /dev/null",
                TestSupport.cli,
            ],
            environment: ["HOME": home, "XDG_CONFIG_HOME": home + "/.config", "SYNC_CORE_PLUGIN_PATH": dir])
        #expect(out.status == 0, "\(out.stdout)\(out.stderr)")
        #expect(out.stdout.contains("token (API token): "), "\(out.stdout)")
        #expect(!out.stdout.contains("hunter2") && !out.stderr.contains("hunter2"))
        #expect(try String(contentsOfFile: config, encoding: .utf8).contains("token = \"hunter2\""))
    }

    @Test func badInputGetsOneLineAndANonZeroExit() throws {
        try FileManager.default.createDirectory(atPath: home + "/.config/sync-core", withIntermediateDirectories: true)
        let cases: [([String], Int32, String)] = [
            (["ls", "putio:"], 2, "missing account name"),
            (["ls", "nosuch:acct/x"], 2, "no connector named 'nosuch' is installed"),
            (["ls", "local:ghost"], 2, "unknown account 'local:ghost'"),
            (["ls", "/nonexistent-\(UUID())"], 1, "not found"),
            (["cat", "/"], 1, "is a folder"),
            (["ls", "local:/a/../b"], 2, "'..'"),
            (["account", "show", "nonsense"], 2, "expected CONNECTOR:NAME"),
        ]
        for (args, status, fragment) in cases {
            let out = try TestSupport.cli(args, home: home)
            #expect(out.status == status, "\(args): status \(out.status), \(out.stderr)")
            let lines = out.stderr.split(separator: "\n")
            #expect(lines.count == 1, "\(args): \(out.stderr)")
            #expect(
                out.stderr.hasPrefix("sync-core: error: ") && out.stderr.contains(fragment), "\(args): \(out.stderr)")
        }
        try "[local.x\nroot = 1".write(toFile: config, atomically: true, encoding: .utf8)
        let broken = try TestSupport.cli(["account", "list"], home: home)
        #expect(
            broken.status == 2 && broken.stderr.contains(config) && broken.stderr.contains("line 1"), "\(broken.stderr)"
        )
    }
}
