import ConnectorKit
import Foundation

/// Where requests go and how buckets are addressed: path style (`host/bucket/key`) or
/// virtual-hosted (`bucket.host/key`). Presets fill in what each provider needs.
struct S3Endpoint {
    var scheme: String
    /// Host, with `:port` when the port is not the scheme's default (it is signed as written).
    var authority: String
    var pathStyle: Bool
    var region: String

    static let providers = ["aws", "wasabi", "b2", "minio", "r2", "other"]

    init(provider: String, endpoint: String?, region: String?, pathStyle: Bool?) throws {
        let given = endpoint.flatMap { $0.isEmpty ? nil : $0 }
        var region = region.flatMap { $0.isEmpty ? nil : $0 }
        let url: String
        switch provider {
        case "aws":
            region = region ?? "us-east-1"
            url = given ?? "https://s3.\(region!).amazonaws.com"
        case "wasabi":
            region = region ?? "us-east-1"
            url = given ?? "https://s3.\(region!).wasabisys.com"
        case "b2":
            guard let r = region ?? given.flatMap(Self.b2Region) else {
                throw ConnectorFailure(
                    .invalidArgument, "s3: provider b2 needs its region (for example region=us-west-004)")
            }
            region = r
            url = given ?? "https://s3.\(r).backblazeb2.com"
        case "r2":
            guard let given else {
                throw ConnectorFailure(
                    .invalidArgument, "s3: provider r2 needs endpoint=https://<account id>.r2.cloudflarestorage.com")
            }
            region = region ?? "auto"
            url = given
        case "minio", "other":
            guard let given else {
                throw ConnectorFailure(.invalidArgument, "s3: provider \(provider) needs endpoint=URL")
            }
            region = region ?? "us-east-1"
            url = given
        default:
            throw ConnectorFailure(
                .invalidArgument,
                "s3: unknown provider '\(provider)'; expected one of \(Self.providers.joined(separator: ", "))")
        }
        let withScheme = url.contains("://") ? url : "https://" + url
        guard let parts = URLComponents(string: withScheme), let scheme = parts.scheme?.lowercased(),
            scheme == "http" || scheme == "https", let host = parts.host, !host.isEmpty
        else {
            throw ConnectorFailure(.invalidArgument, "s3: endpoint '\(url)' is not an http(s) URL")
        }
        if !(parts.path.isEmpty || parts.path == "/") || parts.query != nil {
            throw ConnectorFailure(.invalidArgument, "s3: endpoint '\(url)' must not have a path or query")
        }
        self.scheme = scheme
        let defaultPort = scheme == "https" ? 443 : 80
        authority = parts.port.map { $0 == defaultPort ? host : "\(host):\($0)" } ?? host
        self.region = region!
        // Virtual-hosted on AWS (its preference); path style elsewhere, as those providers advise.
        self.pathStyle = pathStyle ?? (provider != "aws")
    }

    private static func b2Region(_ endpoint: String) -> String? {
        guard let range = endpoint.range(of: #"s3\.([a-z0-9-]+)\.backblazeb2\.com"#, options: .regularExpression)
        else { return nil }
        return String(endpoint[range].dropFirst(3).dropLast(".backblazeb2.com".count))
    }

    /// The URL, Host and signed path of a request. A bucket whose name has a dot goes path style
    /// even on a virtual-hosted endpoint (the certificate's wildcard covers one label only).
    func address(bucket: String?, key: String, query: [(String, String)]) -> (url: String, host: String, path: String) {
        var host = authority
        let path: String
        if let bucket, !pathStyle && !bucket.contains(".") {
            host = bucket + "." + authority
            path = SigV4Signer.encodePath(key)
        } else if let bucket {
            path = "/" + SigV4Signer.encode(bucket) + (key.isEmpty ? "" : SigV4Signer.encodePath(key))
        } else {
            path = "/"
        }
        let q = SigV4Signer.canonicalQuery(query)
        return ("\(scheme)://\(host)\(path)" + (q.isEmpty ? "" : "?" + q), host, path)
    }
}
