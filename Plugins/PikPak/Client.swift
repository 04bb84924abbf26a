import ConnectorKit
import Foundation

/// PikPak (reverse-engineered drive API, pikpak.md): files by opaque string id under a root with
/// none, GCID hashes, upload tickets that complete at once when the store already has the content,
/// S3-style uploads to the storage host a ticket names, signed download links that expire, batch
/// operations settled through tasks. Paths are resolved to ids through a per-session cache.
final class PikPakConnector: Connector, ServerMove, ServerCopy, QuotaReporting, Sendable {
    static let info = ConnectorInfo(
        name: "pikpak",
        version: "0.1.0",
        summary: "PikPak: GCID verified, instant uploads of content PikPak already has, server-side copy and move",
        capabilities: [.rangedRead, .atomicWrite, .emptyDirectories, .ids, .resumableUpload, .hashFirst],
        hashKinds: [.gcid],
        // modified_time is the server's (upload or rename time) and cannot be set: never compared.
        mtimePrecisionNanoseconds: 0,
        // What rclone's PikPak encoding escapes; the host encodes these reversibly.
        nameRules: .init(
            forbiddenCharacters: "/\\\"*:<>?|", maxNameBytes: 255, noTrailingDot: true, noTrailingSpace: true,
            noLeadingSpace: true),
        options: PikPakSettings.options + HTTPSettings.tlsOptions)

    let host: ConnectorHost
    let http: HTTPClient
    let settings: PikPakSettings
    let auth: PikPakAuth
    let cache = PikPakPaths()

    init(config: ConnectorConfig, host: ConnectorHost) throws {
        self.host = host
        settings = try PikPakSettings(config)
        let tls = HTTPSettings(config: config, userAgent: "sync-core-pikpak/0.1")
        http = HTTPClient(
            settings: tls, log: { [host] line in host.log(.debug, "pikpak: " + line) },
            isCancelled: { [host] in host.isCancelled })
        auth = PikPakAuth(settings: settings, config: config, http: http, host: host)
        if !tls.verifyTLS { host.log(.warn, "pikpak: TLS verification is off for this account") }
    }

    // MARK: - Drive calls

    /// One drive API call, its JSON answer or the mapped failure. A rejected access token is
    /// renewed and a refused captcha token replaced, each once, before the call is tried again.
    func drive(
        _ method: String, _ path: String, query: [(String, String)] = [], json body: [String: Any]? = nil
    ) throws -> [String: Any] {
        let url = FormEncoding.url(settings.apiURL + "/drive/v1" + path, query)
        let payload = try body.map { Array(try JSONSerialization.data(withJSONObject: $0)) }
        var renewed = false
        var recaptcha = false
        while true {
            var headers = try auth.headers(for: "\(method):/drive/v1\(path)")
            if payload != nil { headers.append(("Content-Type", "application/json")) }
            let response = try http.send(
                HTTPRequest(method, url, headers: headers, body: payload.map { .bytes($0) } ?? .none))
            if response.isSuccess {
                guard let json = response.json else {
                    throw ConnectorFailure(
                        .transient, "\(method) \(path): the answer is not JSON", httpStatus: response.status)
                }
                return json
            }
            let error = response.json?["error"] as? String
            let used = headers.first { $0.0 == "Authorization" }?.1 ?? ""
            if !renewed && (response.status == 401 || error == "unauthenticated") {
                renewed = true
                try auth.accessRejected(used)
                continue
            }
            if !recaptcha && error == "captcha_invalid" {
                recaptcha = true
                auth.captchaRejected(headers.first { $0.0 == "X-Captcha-Token" }?.1 ?? "")
                continue
            }
            throw PikPakErrors.failure("\(method) \(path)", response)
        }
    }

    /// Waits for a task (a batch operation, an upload's completion) to finish; its error, if it
    /// failed. Polls quickly at first, then every second.
    func wait(task id: String, what: String) throws {
        var delay = 0.05
        let deadline = Date().addingTimeInterval(600)
        while Date() < deadline {
            try host.checkCancelled()
            let task = try drive("GET", "/tasks/\(id)")
            switch task["phase"] as? String {
            case "PHASE_TYPE_COMPLETE": return
            case "PHASE_TYPE_ERROR":
                throw ConnectorFailure(.internal, "\(what): \(task["message"] as? String ?? "the task failed")")
            default:
                Thread.sleep(forTimeInterval: delay)
                delay = min(1, delay * 2)
            }
        }
        throw ConnectorFailure(.transient, "\(what): the task is still running after 10 minutes")
    }

    // MARK: - Metadata

    func stat(_ path: String) throws -> ConnectorEntry {
        let known = try resolve(path)
        if path.isEmpty { return ConnectorEntry(path: "", isDirectory: true) }
        return known.entry(path)
    }

    func about() throws -> Quota {
        let quota = try drive("GET", "/about")["quota"] as? [String: Any] ?? [:]
        let used = Int64("\(quota["usage"] ?? "")")
        let limit = Int64("\(quota["limit"] ?? "")").flatMap { $0 > 0 ? $0 : nil }
        return Quota(
            total: limit, used: used, free: limit.flatMap { l in used.map { max(0, l - $0) } },
            trashed: Int64("\(quota["usage_in_trash"] ?? "")"))
    }
}
