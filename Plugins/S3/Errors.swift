import ConnectorKit

/// S3's error XML (`<Error><Code>…`) mapped to the ABI's codes. The code, not the status, decides.
enum S3Errors {
    static func code(of response: HTTPResponse) -> String? {
        guard !response.body.isEmpty, let tree = try? XMLTree.parse(response.body), tree.localName == "Error" else {
            return nil
        }
        return tree.value("Code")
    }

    static func failure(_ what: String, _ response: HTTPResponse, bucket: String? = nil) -> ConnectorFailure {
        let tree = response.body.isEmpty ? nil : try? XMLTree.parse(response.body)
        let s3Code = tree?.value("Code") ?? ""
        let message = tree?.value("Message") ?? ""
        var hint = ""
        let code: ErrorCode?
        switch s3Code {
        case "NoSuchKey", "NoSuchUpload": code = .notFound
        case "NoSuchBucket":
            code = .notFound
            hint = bucket.map { " — bucket '\($0)' does not exist" } ?? " — the bucket does not exist"
        case "InvalidAccessKeyId":
            code = .auth
            hint = " — the access key id is not known to this endpoint; check access_key_id"
        case "SignatureDoesNotMatch":
            code = .auth
            hint = " — the secret access key is wrong (or the endpoint rewrote the request); check secret_access_key"
        case "AccessDenied", "AllAccessDisabled", "AccountProblem":
            code = .permission
        case "ExpiredToken", "TokenRefreshRequired", "InvalidToken":
            code = .auth
            hint = " — the session token expired; supply fresh credentials"
        case "RequestTimeTooSkewed":
            code = .auth
            hint = " — this machine's clock is off by more than 15 minutes; fix the clock (NTP)"
        case "AuthorizationHeaderMalformed", "PermanentRedirect", "IllegalLocationConstraintException":
            code = .invalidArgument
            let region = tree?.value("Region") ?? response.header("x-amz-bucket-region")
            hint = region.map { " — the bucket is in region \($0); set region=\($0)" } ?? " — wrong region or endpoint"
        case "SlowDown", "RequestRateLimitExceeded", "TooManyRequests": code = .rateLimited
        case "InternalError", "ServiceUnavailable", "RequestTimeout", "OperationAborted": code = .transient
        case "InvalidRange": code = .invalidArgument
        case "PreconditionFailed": code = .exists
        case "BucketNotEmpty": code = .notEmpty
        case "BucketAlreadyExists":
            code = .exists
            hint = " — bucket names are global and another account owns this one"
        case "EntityTooLarge", "QuotaExceeded", "AuthenticationLockout":
            code = s3Code == "AuthenticationLockout" ? .auth : .quota
        case "BadDigest", "InvalidDigest", "XAmzContentSHA256Mismatch": code = .corrupt
        case "KeyTooLongError", "InvalidBucketName", "InvalidArgument", "MalformedXML", "EntityTooSmall",
            "InvalidPart", "InvalidPartOrder", "MetadataTooLarge":
            code = .invalidArgument
        default: code = nil
        }
        var detail = [s3Code, message].filter { !$0.isEmpty }.joined(separator: ": ")
        if detail.isEmpty && response.status == 404 && bucket != nil && response.body.isEmpty {
            detail = "not found"
        }
        var failure = HTTPFailure.failure(what, response, detail: detail + hint, code: code)
        if failure.code == .rateLimited && RetryAfter.milliseconds(from: response) == nil {
            // S3 gives no hint; a SlowDown asks for a real pause, not an immediate retry.
            failure.retryAfterMilliseconds = 2000
        }
        return failure
    }
}
