import Foundation
import SyncCore
import SyncHashes
import SyncHost
import Testing

@Suite struct StreamPumpTests {
    func session(_ root: String) throws -> Session {
        try ConformanceTests.session("local", root: root)
    }

    func makeFile(_ path: String, size: Int) throws -> [UInt8] {
        let data = (0..<size).map { UInt8(truncatingIfNeeded: ($0 &* 2_654_435_761) >> 13) }
        try Data(data).write(to: URL(fileURLWithPath: path))
        return data
    }

    @Test(arguments: [(1 << 20, 4), (4096, 2), (1000, 3)])
    func copiesEveryByteInOrderWithHashes(bufferSize: Int, bufferCount: Int) throws {
        let root = TestSupport.temporaryDirectory("pump")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let data = try makeFile(root + "/src.bin", size: 5_000_003)
        let s = try session(root)
        let reader = try s.openReader("src.bin")
        let writer = try s.openWriter("dst.bin", options: .init(size: Int64(data.count)))
        var reported: Int64 = 0
        let outcome = try StreamPump(bufferSize: bufferSize, bufferCount: bufferCount).run(
            from: reader, to: writer, hashing: [.crc32, .md5], progress: { reported = $0 })
        reader.close()
        _ = try writer.finish()
        #expect(outcome.bytes == Int64(data.count))
        #expect(reported == Int64(data.count))
        #expect(outcome.hashes == MultiHasher.digest(data, [.crc32, .md5]))
        #expect(try Data(contentsOf: URL(fileURLWithPath: root + "/dst.bin")) == Data(data))
    }

    @Test func aWriterErrorStopsTheReaderAndSurfaces() throws {
        let root = TestSupport.temporaryDirectory("pump-err")
        defer { try? FileManager.default.removeItem(atPath: root) }
        _ = try makeFile(root + "/src.bin", size: 3 << 20)
        let s = try session(root)
        let reader = try s.openReader("src.bin")
        // Declared smaller than the source: the writer refuses the excess mid-stream.
        let writer = try s.openWriter("dst.bin", options: .init(size: 1 << 20))
        #expect(throws: ConnectorError.self) {
            _ = try StreamPump(bufferSize: 256 << 10, bufferCount: 3).run(from: reader, to: writer)
        }
        writer.abort()
        reader.close()
        #expect(try FileManager.default.contentsOfDirectory(atPath: root) == ["src.bin"])
    }

    @Test func smallFilesTakeTheDirectPathAndStillReadToTheEnd() throws {
        let root = TestSupport.temporaryDirectory("pump-direct")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let data = try makeFile(root + "/small.bin", size: 5000)
        let s = try session(root)
        // The size hint is a hint: a source longer than announced is still read to its end.
        for (index, hint) in [Int64(5000), 100].enumerated() {
            let reader = try s.openReader("small.bin")
            let writer = try s.openWriter("copy\(index).bin", options: .init(size: Int64(data.count)))
            let outcome = try StreamPump().run(from: reader, to: writer, hashing: [.crc32], expectedSize: hint)
            reader.close()
            _ = try writer.finish()
            #expect(outcome.bytes == 5000)
            #expect(outcome.hashes == MultiHasher.digest(data, [.crc32]))
            #expect(try Data(contentsOf: URL(fileURLWithPath: root + "/copy\(index).bin")) == Data(data))
        }
        // A reader failure is reported as the source's.
        let reader = try s.openReader("small.bin")
        let writer = try s.openWriter("closed.bin", options: .init(size: 5000))
        reader.close()
        #expect(throws: StreamPump.ReadFailure.self) {
            _ = try StreamPump().run(from: reader, to: writer, expectedSize: 5000)
        }
        writer.abort()
    }

    @Test func emptySource() throws {
        let root = TestSupport.temporaryDirectory("pump-empty")
        defer { try? FileManager.default.removeItem(atPath: root) }
        _ = try makeFile(root + "/empty", size: 0)
        let s = try session(root)
        let reader = try s.openReader("empty")
        let writer = try s.openWriter("copy", options: .init(size: 0))
        let outcome = try StreamPump().run(from: reader, to: writer, hashing: [.sha256])
        #expect(outcome.bytes == 0)
        #expect(outcome.hashes[.sha256] == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(try writer.finish().size == 0)
    }
}
