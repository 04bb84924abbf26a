import Foundation
import Testing

extension EngineTests {
    /// A sync's deletions run in parallel and are retried like copies: a temporary failure, or a
    /// reply lost after the file was removed, costs nothing; a refusal fails that file alone.
    @Test func deletionsAreRetriedAndAFileAlreadyGoneCountsAsDeleted() throws {
        let store = work + "/store"
        var env = try faultyAccount("del", root: store)
        #expect(try cli(["copy", src, "faulty:del"], environment: env).status == 0)
        func addExtras() throws {
            try FileManager.default.createDirectory(atPath: store + "/old", withIntermediateDirectories: true)
            for i in 0..<12 { try write("old/extra \(i).bin", bytes: 10, seed: UInt64(900 + i), root: store) }
        }
        env["FAULTY_FAIL_REMOVES"] = "3"
        for lands in [false, true] {
            try addExtras()
            env["FAULTY_REMOVE_LANDS"] = lands ? "1" : nil
            let sync = try cli(
                ["sync", src, "faulty:del", "--json", "--retry-delay", "0.01", "--transfers", "3"], environment: env)
            #expect(sync.status == 0, "lands \(lands): \(sync.stderr)")
            #expect(summary(sync)["deleted"] as? Int == 13, "lands \(lands): \(summary(sync))")
            #expect(try snapshot(store) == snapshot(src), "lands \(lands)")
        }

        // Refused (PERMISSION): those files fail alone, named; the others go; the folder that
        // still holds them stays.
        try addExtras()
        env["FAULTY_REMOVE_LANDS"] = nil
        env["FAULTY_FAIL_CODE"] = "15"
        let refused = try cli(["sync", src, "faulty:del", "--json", "--retry-delay", "0.01"], environment: env)
        #expect(refused.status == 1)
        let failures = (refused.stdout + refused.stderr).split(separator: "\n").filter { $0.contains("cannot delete:") }
        #expect(failures.count == 3, "\(refused.stdout)\(refused.stderr)")
        #expect(failures.allSatisfy { $0.contains("old/extra ") && $0.contains("injected failure") })
        let left = try FileManager.default.contentsOfDirectory(atPath: store + "/old")
        #expect(left.count == 3, "\(left)")
    }

    /// move deletes each source file once its copy is verified, retried the same way.
    @Test func moveRetriesItsSourceDeletions() throws {
        let store = work + "/outbox"
        var env = try faultyAccount("out", root: store)
        #expect(try cli(["copy", src, "faulty:out"], environment: env).status == 0)
        env["FAULTY_FAIL_REMOVES"] = "2"
        env["FAULTY_REMOVE_LANDS"] = "1"
        env["SYNC_CORE_STATE"] = work + "/state.db"
        let moved = try cli(["move", "faulty:out", dst, "--json", "--retry-delay", "0.01"], environment: env)
        #expect(moved.status == 0, "\(moved.stdout)\(moved.stderr)")
        #expect(summary(moved)["source_deleted"] as? Int == 7, "\(summary(moved))")
        let remaining = FileManager.default.enumerator(atPath: store)?.allObjects.compactMap { $0 as? String } ?? []
        let files = remaining.filter {
            var isDir: ObjCBool = false
            return FileManager.default.fileExists(atPath: store + "/" + $0, isDirectory: &isDir) && !isDir.boolValue
        }
        #expect(files.isEmpty, "\(files)")
    }
}
