import ConnectorKit
import Crypto
import Foundation
import Testing

/// The signer against AWS's published SigV4 examples (and three derived with botocore), and the
/// small XML reader S3's answers go through.
@Suite struct SigV4Tests {
    static let signer = SigV4Signer(
        credentials: .init(
            accessKeyID: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
        region: "us-east-1")
    static let date = Date(timeIntervalSince1970: 1_369_353_600)  // 20130524T000000Z
    static let host = "examplebucket.s3.amazonaws.com"

    @Test func signingKeyAndGetWithRangeMatchAWSExample() {
        #expect(SigV4Signer.amzDate(Self.date) == "20130524T000000Z")
        let key = Self.signer.signingKey(day: "20130524").withUnsafeBytes { SigV4Signer.hex($0) }
        #expect(key == "dbb893acc010964918f1fd433add87c70e8b0db6be30c1fbeafefa5ec6ba8378")
        let signed = Self.signer.sign(
            method: "GET", host: Self.host, path: "/test.txt", query: [], headers: [("Range", "bytes=0-9")],
            payloadHash: SigV4Signer.emptyPayloadHash, date: Self.date)
        #expect(
            signed.canonicalRequest == """
                GET
                /test.txt

                host:examplebucket.s3.amazonaws.com
                range:bytes=0-9
                x-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
                x-amz-date:20130524T000000Z

                host;range;x-amz-content-sha256;x-amz-date
                e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
                """)
        #expect(
            SigV4Signer.hex(SHA256.hash(data: Data(signed.canonicalRequest.utf8)))
                == "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972")
        #expect(signed.signature == "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41")
        let authorization = signed.headers.first { $0.0 == "Authorization" }?.1 ?? ""
        #expect(
            authorization
                == "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"
        )
    }

    @Test func putObjectMatchesAWSExample() {
        let body = Data("Welcome to Amazon S3.".utf8)
        let payload = SigV4Signer.hex(SHA256.hash(data: body))
        #expect(payload == "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072")
        let signed = Self.signer.sign(
            method: "PUT", host: Self.host, path: SigV4Signer.encodePath("test$file.text"), query: [],
            headers: [("Date", "Fri, 24 May 2013 00:00:00 GMT"), ("x-amz-storage-class", "REDUCED_REDUNDANCY")],
            payloadHash: payload, date: Self.date)
        #expect(signed.canonicalRequest.hasPrefix("PUT\n/test%24file.text\n\n"))
        #expect(signed.signature == "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd")
    }

    @Test func queryStringsMatchAWSExamples() {
        let lifecycle = Self.signer.sign(
            method: "GET", host: Self.host, path: "/", query: [("lifecycle", "")], headers: [],
            payloadHash: SigV4Signer.emptyPayloadHash, date: Self.date)
        #expect(lifecycle.canonicalRequest.hasPrefix("GET\n/\nlifecycle=\n"))
        #expect(lifecycle.signature == "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543")
        // Given out of order: the canonical form sorts them.
        let listing = Self.signer.sign(
            method: "GET", host: Self.host, path: "/", query: [("prefix", "J"), ("max-keys", "2")], headers: [],
            payloadHash: SigV4Signer.emptyPayloadHash, date: Self.date)
        #expect(listing.signature == "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7")
    }

    @Test func derivedVectorsForUnsignedPayloadAndEncoding() {
        let unsigned = Self.signer.sign(
            method: "GET", host: Self.host, path: "/test.txt", query: [], headers: [("Range", "bytes=0-9")],
            payloadHash: SigV4Signer.unsignedPayload, date: Self.date)
        #expect(unsigned.signature == "edacce68e5445863e1f916719fac26d3be9c1581fccd7878ade0879597fc0dc1")
        let path = SigV4Signer.encodePath("dir/sub dir/a b+c\u{E9}.txt")
        #expect(path == "/dir/sub%20dir/a%20b%2Bc%C3%A9.txt")
        let encoded = Self.signer.sign(
            method: "GET", host: Self.host, path: path, query: [], headers: [],
            payloadHash: SigV4Signer.emptyPayloadHash, date: Self.date)
        #expect(encoded.signature == "6ea359ce4b31ae6703fe152101ca6dcb39f7bfb7b8b2f21602ed3671639b5de5")
        let query = [("list-type", "2"), ("prefix", "dir/sub dir/"), ("delimiter", "/"), ("encoding-type", "url")]
        #expect(
            SigV4Signer.canonicalQuery(query) == "delimiter=%2F&encoding-type=url&list-type=2&prefix=dir%2Fsub%20dir%2F"
        )
        let listed = Self.signer.sign(
            method: "GET", host: Self.host, path: "/", query: query, headers: [],
            payloadHash: SigV4Signer.emptyPayloadHash, date: Self.date)
        #expect(listed.signature == "88c60c0ba6c6f7cb985838b46793bbdf25b835633c427c70245058ab315666b2")
    }

    @Test func keysAreEncodedOnceAndNeverNormalised() {
        #expect(SigV4Signer.encodePath("unicod\u{E9}/ключ.bin") == "/unicod%C3%A9/%D0%BA%D0%BB%D1%8E%D1%87.bin")
        #expect(
            SigV4Signer.encodePath("we!rd'(chars)*~$&=;,@:.txt")
                == "/we%21rd%27%28chars%29%2A~%24%26%3D%3B%2C%40%3A.txt")
        #expect(SigV4Signer.encodePath("a%2Fb") == "/a%252Fb")
        #expect(SigV4Signer.encodePath("a/./b/../c") == "/a/./b/../c")
        let token = SigV4Signer(
            credentials: .init(accessKeyID: "AKID", secretAccessKey: "s", sessionToken: "tok"), region: "eu-west-1")
        let signed = token.sign(
            method: "GET", host: "h", path: "/", query: [], headers: [], payloadHash: SigV4Signer.emptyPayloadHash,
            date: Self.date)
        #expect(signed.canonicalRequest.contains("x-amz-security-token:tok\n"))
        #expect(signed.headers.contains { $0.0 == "x-amz-security-token" && $0.1 == "tok" })
    }

    @Test func xmlReaderHandlesS3Answers() throws {
        let text = """
            <?xml version="1.0" encoding="UTF-8"?>
            <ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>b</Name>
              <IsTruncated>true</IsTruncated><NextContinuationToken>a&amp;b==</NextContinuationToken>
              <Contents><Key>dir/a%20b.txt</Key><ETag>&quot;9b2cf535f27731c974343645a3985328&quot;</ETag><Size>3</Size></Contents>
              <Contents><Key>&#x41;&#66;<![CDATA[<raw>]]></Key><Size>0</Size><Owner/></Contents>
              <!-- a comment --><CommonPrefixes><Prefix>dir/sub/</Prefix></CommonPrefixes>
            </ListBucketResult>
            """
        let tree = try XMLTree.parse(Array(text.utf8))
        #expect(tree.localName == "ListBucketResult")
        #expect(tree.value("NextContinuationToken") == "a&b==")
        let contents = tree.all("Contents")
        #expect(contents.count == 2)
        #expect(contents[0].value("ETag") == "\"9b2cf535f27731c974343645a3985328\"")
        #expect(contents[1].value("Key") == "AB<raw>")
        #expect(tree.child("CommonPrefixes")?.value("Prefix") == "dir/sub/")
        #expect(throws: XMLTree.ParseError.self) { try XMLTree.parse(Array("<a><b></a>".utf8)) }
        #expect(throws: XMLTree.ParseError.self) { try XMLTree.parse(Array("<a>&bogus;</a>".utf8)) }
        #expect(throws: XMLTree.ParseError.self) { try XMLTree.parse(Array("not xml".utf8)) }
    }
}
