import Foundation
import SyncHashes
import SyncHost

/// What a check gets: the session, its own folder, and helpers that fail with clear messages.
struct Context: Sendable {
    let suite: ConformanceSuite
    let dir: String
    var session: Session { suite.session }
    var plugin: Plugin { suite.session.plugin }

    func path(_ name: String) -> String { dir + "/" + name }

    func expect(_ condition: Bool, _ message: @autoclosure () -> String) throws {
        if !condition { throw CheckFailure(description: message()) }
    }

    func require(_ capability: Capabilities, _ what: String) throws {
        if !plugin.capabilities.contains(capability) { throw Skip(reason: "connector does not declare \(what)") }
    }

    /// Expects `body` to fail with `code` (any of `codes`).
    func expectError(_ codes: ErrorCode..., what: String, _ body: () throws -> Void) throws {
        do {
            try body()
        } catch let error as ConnectorError {
            try expect(
                codes.contains(error.code),
                "\(what): expected \(codes.map(\.abiName).joined(separator: " or ")), got \(error.code.abiName): \(error.message)"
            )
            return
        }
        throw CheckFailure(
            description: "\(what): expected \(codes.map(\.abiName).joined(separator: " or ")), but it succeeded")
    }

    /// The kinds this suite can verify: declared by the connector and computable here.
    var verifiableKinds: [HashKind] { plugin.hashKinds.filter(MultiHasher.canCompute) }

    /// Writes `data` in chunks and finishes; checks the entry that finish reports.
    @discardableResult
    func write(
        _ path: String, _ data: [UInt8], knownSize: Bool = true, mtime: Int64? = nil, replace: Bool = false,
        chunk: Int = 64 << 10
    ) throws -> Entry {
        let writer = try session.openWriter(
            path,
            options: .init(
                size: knownSize ? Int64(data.count) : nil, mtimeNanoseconds: mtime, replace: replace,
                wantHashes: verifiableKinds))
        do {
            try data.withUnsafeBytes { raw in
                var offset = 0
                while offset < raw.count {
                    let n = min(chunk, raw.count - offset)
                    try writer.write(UnsafeRawBufferPointer(rebasing: raw[offset..<offset + n]))
                    offset += n
                }
            }
        } catch {
            writer.abort()
            throw error
        }
        let entry = try writer.finish()
        try expect(entry.path == path, "finish reported path '\(entry.path)', expected '\(path)'")
        try expect(!entry.isDirectory, "finish reported a folder for '\(path)'")
        try expect(
            entry.size == Int64(data.count),
            "finish reported size \(entry.size.map(String.init) ?? "unknown"), expected \(data.count)")
        try checkHashes(entry, data, "finish of '\(path)'")
        return entry
    }

    /// Every hash the entry carries must match the data; wanted kinds the store declares must be there.
    func checkHashes(_ entry: Entry, _ data: [UInt8], _ what: String) throws {
        let expected = MultiHasher.digest(data, verifiableKinds)
        for kind in verifiableKinds {
            guard let got = entry.hashes[kind] else {
                throw CheckFailure(
                    description:
                        "\(what): no \(kind) hash, though the connector declares \(kind) and the host asked for it")
            }
            try expect(got == expected[kind], "\(what): \(kind) is \(got), expected \(expected[kind]!)")
        }
    }

    func readAll(_ path: String, offset: Int64 = 0, length: Int64? = nil, bufferSize: Int = 64 << 10) throws -> [UInt8]
    {
        let reader = try session.openReader(path, offset: offset, length: length)
        defer { reader.close() }
        var out: [UInt8] = []
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: bufferSize, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let n = try reader.read(into: buffer)
            if n == 0 { break }
            out.append(contentsOf: buffer[..<n])
        }
        return out
    }

    func names(in dir: String) throws -> [String: Entry] {
        var result: [String: Entry] = [:]
        try session.list(dir) { entry in result[String(entry.name)] = entry }
        return result
    }
}

/// Deterministic bytes for tests (xorshift), so a failure reproduces.
func pattern(_ count: Int, seed: UInt64 = 0x9E37_79B9_7F4A_7C15) -> [UInt8] {
    var state = seed | 1
    var out = [UInt8](repeating: 0, count: count)
    out.withUnsafeMutableBytes { raw in
        var i = 0
        while i < count {
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            withUnsafeBytes(of: state.littleEndian) { word in
                let n = min(8, count - i)
                raw.baseAddress!.advanced(by: i).copyMemory(from: word.baseAddress!, byteCount: n)
            }
            i += 8
        }
    }
    return out
}

/// Resident memory of this process in bytes (from /proc), for bounded-memory checks.
func residentBytes() -> Int64? {
    guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return nil }
    for line in text.split(separator: "\n") where line.hasPrefix("VmRSS:") {
        let digits = line.split(separator: " ").dropFirst().first.flatMap { Int64($0) }
        return digits.map { $0 * 1024 }
    }
    return nil
}
