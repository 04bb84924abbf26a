import ConnectorKit
import Crypto
import Foundation

/// An account's options, read once when a session opens.
struct PikPakSettings: Sendable {
    var username: String
    var password: String
    var deviceID: String
    var clientID: String
    var clientVersion: String
    var packageName: String
    /// The client's captcha-sign salts, in order (pikpak.md §1.3).
    var captchaSalts: [String]
    var userURL: String
    var apiURL: String
    /// Replaces `https://<endpoint>` of upload tickets (an emulator, a proxy); empty: derived.
    var storageURL: String
    var useTrash: Bool
    var uploadCutoff: Int64
    var chunkSize: Int64
    var pageSize: Int

    static let defaultClientID = "YUMx5nI8ZU8Ap8pm"

    static let options: [ConnectorInfo.Option] = [
        .init("username", required: true, help: "PikPak user name (e-mail or phone number)"),
        .init("password", secret: true, help: "Password: signs in when no refresh token works"),
        .init("refresh_token", secret: true, help: "Set by the connector after each sign-in or refresh"),
        .init("access_token", secret: true, help: "Set by the connector; used until it expires"),
        .init("token_expiry", help: "When access_token expires (RFC 3339), set by the connector"),
        .init(
            "device_id",
            help:
                "32 lowercase hex digits identifying this client; derived from the user name when empty (keep it stable)"
        ),
        .init(
            "captcha_salts", secret: true,
            help: "The web client's captcha-sign salts, comma-separated (see docs/pikpak.md)"),
        .init("client_id", default: .string(defaultClientID), help: "Client id sent with every call"),
        .init("client_version", default: "2.0.0", help: "Client version sent with captcha requests"),
        .init("package_name", default: "mypikpak.com", help: "Package name sent with captcha requests"),
        .init("user_url", default: "https://user.mypikpak.com", help: "Account host (sign-in, tokens, captcha)"),
        .init("api_url", default: "https://api-drive.mypikpak.com", help: "Drive API host"),
        .init(
            "storage_url", default: "",
            help: "Upload storage base; empty: https:// and the endpoint each upload ticket names"),
        .init("use_trash", .bool, default: true, help: "Deleting moves to PikPak's trash; false deletes for good"),
        .init(
            "upload_cutoff", .int, default: 209_715_200, help: "Files below this size go up in one PUT; larger in parts"
        ),
        .init("chunk_size", .int, default: 5_242_880, help: "Part size of multipart uploads (at least 100 KiB)"),
        .init("page_size", .int, default: 500, help: "Entries per listing page"),
    ]

    init(_ config: ConnectorConfig) throws {
        guard let user = config.string("username"), !user.isEmpty else {
            throw ConnectorFailure(.invalidArgument, "pikpak: the account has no username")
        }
        username = user
        password = config.string("password") ?? ""
        let device = config.string("device_id") ?? ""
        if device.isEmpty {
            // Stable per user without being stored: PikPak treats a new device id as a new client.
            deviceID = Insecure.MD5.hash(data: Data(("sync-core:" + user).utf8)).map { String(format: "%02x", $0) }
                .joined()
        } else {
            guard device.count == 32, device.allSatisfy({ $0.isHexDigit && !$0.isUppercase }) else {
                throw ConnectorFailure(.invalidArgument, "pikpak: device_id must be 32 lowercase hex digits")
            }
            deviceID = device
        }
        clientID = config.string("client_id") ?? Self.defaultClientID
        clientVersion = config.string("client_version") ?? "2.0.0"
        packageName = config.string("package_name") ?? "mypikpak.com"
        captchaSalts = (config.string("captcha_salts") ?? "").split(separator: ",").map {
            $0.trimmingCharacters(in: .whitespaces)
        }.filter { !$0.isEmpty }
        userURL = Self.trimmed(config.string("user_url") ?? "https://user.mypikpak.com")
        apiURL = Self.trimmed(config.string("api_url") ?? "https://api-drive.mypikpak.com")
        storageURL = Self.trimmed(config.string("storage_url") ?? "")
        useTrash = config.bool("use_trash") ?? true
        uploadCutoff = max(0, config.int("upload_cutoff") ?? 209_715_200)
        chunkSize = max(100 << 10, config.int("chunk_size") ?? 5_242_880)
        pageSize = Int(min(500, max(1, config.int("page_size") ?? 500)))
    }

    static func trimmed(_ url: String) -> String { url.hasSuffix("/") ? String(url.dropLast()) : url }
}
