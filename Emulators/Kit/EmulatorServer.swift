import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

/// A real HTTP/1.1 server on 127.0.0.1 for an emulator's routes. Start it on port 0 for a free port.
// Unchecked: started and stopped by its owner's thread; NIO's threads never touch its fields.
public final class EmulatorServer: @unchecked Sendable {
    private let group: MultiThreadedEventLoopGroup
    private var channel: Channel?
    public private(set) var port = 0

    public init(threads: Int = 2) {
        group = MultiThreadedEventLoopGroup(numberOfThreads: threads)
    }

    public func start(routes: EmulatorRoutes, port: Int = 0) throws {
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(ChannelOptions.backlog, value: 256)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.pipeline.configureHTTPServerPipeline(withErrorHandling: true).flatMap {
                    channel.pipeline.addHandler(EmulatorHTTPHandler(routes: routes))
                }
            }
        let channel = try bootstrap.bind(host: "127.0.0.1", port: port).wait()
        self.channel = channel
        self.port = channel.localAddress?.port ?? 0
    }

    public func stop() {
        try? channel?.close().wait()
        channel = nil
        try? group.syncShutdownGracefully()
    }
}

// Unchecked: one per connection, used only on that channel's event loop, as NIO guarantees.
final class EmulatorHTTPHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let routes: EmulatorRoutes
    private var request: EmulatorRequest?
    private var body: [UInt8] = []
    private var sink: BodySink?
    private var keepAlive = true

    init(routes: EmulatorRoutes) { self.routes = routes }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            let (path, query) = Self.split(head.uri)
            let port = context.channel.localAddress?.port ?? 0
            var req = EmulatorRequest(
                method: head.method.rawValue, path: path, query: query,
                headers: head.headers.map { ($0.name, $0.value) },
                body: [], port: port)
            req.rawURI = head.uri
            request = req
            body = []
            keepAlive = head.isKeepAlive
            sink = routes.bodySink(for: req)
        case .body(let buffer):
            if let sink {
                if !buffer.withUnsafeReadableBytes({ sink.write($0) }) {
                    self.sink = nil
                    self.request = nil
                    sink.end(complete: false)
                    context.close(promise: nil)
                }
            } else {
                body.append(contentsOf: buffer.readableBytesView)
            }
        case .end:
            guard var req = request else { return }
            sink?.end(complete: true)
            sink = nil
            req.body = body
            body = []
            request = nil
            respond(context: context, routes.handle(req))
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        // The client went away mid-body: what arrived stays, as on a real resumable upload server.
        sink?.end(complete: false)
        sink = nil
        context.fireChannelInactive()
    }

    private func respond(context: ChannelHandlerContext, _ response: EmulatorResponse) {
        if response.hangUp {
            context.close(promise: nil)
            return
        }
        var headers = HTTPHeaders(response.headers)
        var length: Int64 = 0
        switch response.body {
        case .none: length = 0
        case .bytes(let b): length = Int64(b.count)
        case .file(_, _, let l): length = l
        }
        if !headers.contains(name: "Content-Length") { headers.add(name: "Content-Length", value: String(length)) }
        let dropping = response.dropAfterBytes != nil
        if !keepAlive || dropping { headers.replaceOrAdd(name: "Connection", value: "close") }
        let head = HTTPResponseHead(
            version: .http1_1, status: HTTPResponseStatus(statusCode: response.status), headers: headers)
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        let sendable = min(length, response.dropAfterBytes ?? length)
        var closeFile: (@Sendable () -> Void)?
        switch response.body {
        case .none: break
        case .bytes(let b):
            if sendable > 0 {
                var buffer = context.channel.allocator.buffer(capacity: Int(sendable))
                buffer.writeBytes(b.prefix(Int(sendable)))
                context.write(wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
            }
        case .file(let path, let offset, _):
            if sendable > 0, let handle = try? NIOFileHandle(_deprecatedPath: path) {
                let region = FileRegion(fileHandle: handle, readerIndex: Int(offset), endIndex: Int(offset + sendable))
                context.write(wrapOutboundOut(.body(.fileRegion(region))), promise: nil)
                closeFile = { try? handle.close() }
            }
        }
        let close = !keepAlive || dropping
        let fileCloser = closeFile
        if dropping {
            // Flush what the fault lets through, then cut the connection without ending the message.
            context.flush()
            let channel = context.channel
            channel.eventLoop.scheduleTask(in: .milliseconds(20)) {
                fileCloser?()
                channel.close(promise: nil)
            }
            return
        }
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { [channel = context.channel] _ in
            fileCloser?()
            if close { channel.close(promise: nil) }
        }
    }

    static func split(_ uri: String) -> (String, [(String, String)]) {
        let parts = uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        let rawPath = String(parts[0])
        let path = rawPath.removingPercentEncoding ?? rawPath
        let query = parts.count > 1 ? URLForm.decode(String(parts[1])) : []
        return (path, query)
    }
}
