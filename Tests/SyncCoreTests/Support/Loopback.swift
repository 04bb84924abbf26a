import Foundation

/// TCP sockets on 127.0.0.1 for the servers and proxies tests start.
enum Loopback {
    static func address(port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        return address
    }

    /// A socket bound to a port the kernel picks (listening when `backlog` is given), and the port.
    static func bind(listening backlog: Int32? = nil) throws -> (fd: Int32, port: Int) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = address(port: 0)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer -> Int32 in
                guard Glibc.bind(fd, pointer, length) == 0, backlog.map({ listen(fd, $0) == 0 }) ?? true else {
                    return -1
                }
                return getsockname(fd, pointer, &length)
            }
        }
        guard bound == 0 else {
            let problem = errno
            close(fd)
            throw LoopbackError(description: "cannot bind a socket on 127.0.0.1: errno \(problem)")
        }
        return (fd, Int(UInt16(bigEndian: address.sin_port)))
    }

    /// Connects to `port`; nil when nothing listens there.
    static func connect(port: Int) -> Int32? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = address(port: port)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else {
            close(fd)
            return nil
        }
        return fd
    }
}

struct LoopbackError: Error, CustomStringConvertible {
    var description: String
}
