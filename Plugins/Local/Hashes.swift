import ConnectorKit

extension LocalConnector {
    /// Hashes cost a full read on a local disk (hence SC_CAP_HASH_ON_DEMAND).
    func hash(_ path: String, kind: HashKind) throws -> String {
        guard Self.info.hashKinds.contains(kind), MultiHasher.canCompute(kind) else {
            throw ConnectorFailure(.unsupported, "local disk cannot compute \(kind) hashes")
        }
        let reader = try LocalReader(path: try paths.resolve(path), shown: paths.shown(path), offset: 0, length: nil)
        defer { reader.close() }
        var hasher = MultiHasher([kind], size: reader.fileSize)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            try host.checkCancelled()
            let n = try reader.read(into: buffer)
            if n == 0 { break }
            hasher.update(UnsafeRawBufferPointer(rebasing: buffer[..<n]))
        }
        return hasher.finalize()[kind] ?? ""
    }
}
