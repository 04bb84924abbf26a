import CSyncConnector
import Testing

/// Pins the v1 ABI: the offset and size of every field of every struct. A failure here means a
/// change would break every connector already built; append fields at the end and bump the minor
/// version instead. (Sources/CSyncConnector/abi_layout.c pins the totals for C compilers too.)
@Suite struct AbiLayoutTests {
    func field<T, V>(_ path: KeyPath<T, V>, _ type: V.Type) -> (offset: Int?, size: Int) {
        (MemoryLayout<T>.offset(of: path), MemoryLayout<V>.size)
    }

    @Test func scError() {
        #expect(MemoryLayout<sc_error>.size == 528)
        #expect(MemoryLayout<sc_error>.alignment == 8)
        #expect(MemoryLayout<sc_error>.offset(of: \.code) == 0)
        #expect(MemoryLayout.size(ofValue: sc_error().code) == 4)
        #expect(MemoryLayout<sc_error>.offset(of: \.http_status) == 4)
        #expect(MemoryLayout.size(ofValue: sc_error().http_status) == 4)
        #expect(MemoryLayout<sc_error>.offset(of: \.retry_after_ms) == 8)
        #expect(MemoryLayout.size(ofValue: sc_error().retry_after_ms) == 8)
        #expect(MemoryLayout<sc_error>.offset(of: \.message) == 16)
        #expect(MemoryLayout.size(ofValue: sc_error().message) == 512)
    }

    @Test func scHash() {
        #expect(MemoryLayout<sc_hash>.size == 16)
        #expect(MemoryLayout<sc_hash>.alignment == 8)
        #expect(MemoryLayout<sc_hash>.offset(of: \.kind) == 0)
        #expect(MemoryLayout.size(ofValue: sc_hash().kind) == 4)
        #expect(MemoryLayout<sc_hash>.offset(of: \.reserved) == 4)
        #expect(MemoryLayout.size(ofValue: sc_hash().reserved) == 4)
        #expect(MemoryLayout<sc_hash>.offset(of: \.value) == 8)
        #expect(MemoryLayout.size(ofValue: sc_hash().value) == 8)
    }

    @Test func scEntry() {
        #expect(MemoryLayout<sc_entry>.size == 56)
        #expect(MemoryLayout<sc_entry>.alignment == 8)
        #expect(MemoryLayout<sc_entry>.offset(of: \.struct_size) == 0)
        #expect(MemoryLayout.size(ofValue: sc_entry().struct_size) == 4)
        #expect(MemoryLayout<sc_entry>.offset(of: \.kind) == 4)
        #expect(MemoryLayout.size(ofValue: sc_entry().kind) == 4)
        #expect(MemoryLayout<sc_entry>.offset(of: \.path) == 8)
        #expect(MemoryLayout.size(ofValue: sc_entry().path) == 8)
        #expect(MemoryLayout<sc_entry>.offset(of: \.size) == 16)
        #expect(MemoryLayout.size(ofValue: sc_entry().size) == 8)
        #expect(MemoryLayout<sc_entry>.offset(of: \.mtime_ns) == 24)
        #expect(MemoryLayout.size(ofValue: sc_entry().mtime_ns) == 8)
        #expect(MemoryLayout<sc_entry>.offset(of: \.id) == 32)
        #expect(MemoryLayout.size(ofValue: sc_entry().id) == 8)
        #expect(MemoryLayout<sc_entry>.offset(of: \.hashes) == 40)
        #expect(MemoryLayout.size(ofValue: sc_entry().hashes) == 8)
        #expect(MemoryLayout<sc_entry>.offset(of: \.hash_count) == 48)
        #expect(MemoryLayout.size(ofValue: sc_entry().hash_count) == 4)
        #expect(MemoryLayout<sc_entry>.offset(of: \.reserved) == 52)
        #expect(MemoryLayout.size(ofValue: sc_entry().reserved) == 4)
    }

    @Test func scHost() {
        #expect(MemoryLayout<sc_host>.size == 64)
        #expect(MemoryLayout<sc_host>.alignment == 8)
        #expect(MemoryLayout<sc_host>.offset(of: \.struct_size) == 0)
        #expect(MemoryLayout.size(ofValue: sc_host().struct_size) == 4)
        #expect(MemoryLayout<sc_host>.offset(of: \.abi_minor) == 4)
        #expect(MemoryLayout.size(ofValue: sc_host().abi_minor) == 4)
        #expect(MemoryLayout<sc_host>.offset(of: \.ctx) == 8)
        #expect(MemoryLayout.size(ofValue: sc_host().ctx) == 8)
        #expect(MemoryLayout<sc_host>.offset(of: \.log) == 16)
        #expect(MemoryLayout.size(ofValue: sc_host().log) == 8)
        #expect(MemoryLayout<sc_host>.offset(of: \.is_cancelled) == 24)
        #expect(MemoryLayout.size(ofValue: sc_host().is_cancelled) == 8)
        #expect(MemoryLayout<sc_host>.offset(of: \.progress) == 32)
        #expect(MemoryLayout.size(ofValue: sc_host().progress) == 8)
        #expect(MemoryLayout<sc_host>.offset(of: \.credentials_changed) == 40)
        #expect(MemoryLayout.size(ofValue: sc_host().credentials_changed) == 8)
        // 1.1
        #expect(MemoryLayout<sc_host>.offset(of: \.tell_user) == 48)
        #expect(MemoryLayout.size(ofValue: sc_host().tell_user) == 8)
        #expect(MemoryLayout<sc_host>.offset(of: \.ask_user) == 56)
        #expect(MemoryLayout.size(ofValue: sc_host().ask_user) == 8)
    }

    @Test func scWriteOptions() {
        #expect(MemoryLayout<sc_write_options>.size == 72)
        #expect(MemoryLayout<sc_write_options>.alignment == 8)
        #expect(MemoryLayout<sc_write_options>.offset(of: \.struct_size) == 0)
        #expect(MemoryLayout.size(ofValue: sc_write_options().struct_size) == 4)
        #expect(MemoryLayout<sc_write_options>.offset(of: \.flags) == 4)
        #expect(MemoryLayout.size(ofValue: sc_write_options().flags) == 4)
        #expect(MemoryLayout<sc_write_options>.offset(of: \.size) == 8)
        #expect(MemoryLayout.size(ofValue: sc_write_options().size) == 8)
        #expect(MemoryLayout<sc_write_options>.offset(of: \.mtime_ns) == 16)
        #expect(MemoryLayout.size(ofValue: sc_write_options().mtime_ns) == 8)
        #expect(MemoryLayout<sc_write_options>.offset(of: \.want_hashes) == 24)
        #expect(MemoryLayout.size(ofValue: sc_write_options().want_hashes) == 8)
        #expect(MemoryLayout<sc_write_options>.offset(of: \.resume_token) == 32)
        #expect(MemoryLayout.size(ofValue: sc_write_options().resume_token) == 8)
        #expect(MemoryLayout<sc_write_options>.offset(of: \.on_resume) == 40)
        #expect(MemoryLayout.size(ofValue: sc_write_options().on_resume) == 8)
        #expect(MemoryLayout<sc_write_options>.offset(of: \.resume_ctx) == 48)
        #expect(MemoryLayout.size(ofValue: sc_write_options().resume_ctx) == 8)
        // 1.3
        #expect(MemoryLayout<sc_write_options>.offset(of: \.hashes) == 56)
        #expect(MemoryLayout.size(ofValue: sc_write_options().hashes) == 8)
        #expect(MemoryLayout<sc_write_options>.offset(of: \.hash_count) == 64)
        #expect(MemoryLayout.size(ofValue: sc_write_options().hash_count) == 4)
        #expect(MemoryLayout<sc_write_options>.offset(of: \.reserved) == 68)
    }

    @Test func scAbout() {
        #expect(MemoryLayout<sc_about>.size == 40)
        #expect(MemoryLayout<sc_about>.alignment == 8)
        #expect(MemoryLayout<sc_about>.offset(of: \.struct_size) == 0)
        #expect(MemoryLayout.size(ofValue: sc_about().struct_size) == 4)
        #expect(MemoryLayout<sc_about>.offset(of: \.reserved) == 4)
        #expect(MemoryLayout.size(ofValue: sc_about().reserved) == 4)
        #expect(MemoryLayout<sc_about>.offset(of: \.total_bytes) == 8)
        #expect(MemoryLayout.size(ofValue: sc_about().total_bytes) == 8)
        #expect(MemoryLayout<sc_about>.offset(of: \.used_bytes) == 16)
        #expect(MemoryLayout.size(ofValue: sc_about().used_bytes) == 8)
        #expect(MemoryLayout<sc_about>.offset(of: \.free_bytes) == 24)
        #expect(MemoryLayout.size(ofValue: sc_about().free_bytes) == 8)
        #expect(MemoryLayout<sc_about>.offset(of: \.trashed_bytes) == 32)
        #expect(MemoryLayout.size(ofValue: sc_about().trashed_bytes) == 8)
    }

    @Test func scJob() {
        #expect(MemoryLayout<sc_job>.size == 64)
        #expect(MemoryLayout<sc_job>.alignment == 8)
        #expect(MemoryLayout<sc_job>.offset(of: \.struct_size) == 0)
        #expect(MemoryLayout.size(ofValue: sc_job().struct_size) == 4)
        #expect(MemoryLayout<sc_job>.offset(of: \.state) == 4)
        #expect(MemoryLayout.size(ofValue: sc_job().state) == 4)
        #expect(MemoryLayout<sc_job>.offset(of: \.id) == 8)
        #expect(MemoryLayout.size(ofValue: sc_job().id) == 8)
        #expect(MemoryLayout<sc_job>.offset(of: \.name) == 16)
        #expect(MemoryLayout.size(ofValue: sc_job().name) == 8)
        #expect(MemoryLayout<sc_job>.offset(of: \.source) == 24)
        #expect(MemoryLayout.size(ofValue: sc_job().source) == 8)
        #expect(MemoryLayout<sc_job>.offset(of: \.path) == 32)
        #expect(MemoryLayout.size(ofValue: sc_job().path) == 8)
        #expect(MemoryLayout<sc_job>.offset(of: \.done_bytes) == 40)
        #expect(MemoryLayout.size(ofValue: sc_job().done_bytes) == 8)
        #expect(MemoryLayout<sc_job>.offset(of: \.total_bytes) == 48)
        #expect(MemoryLayout.size(ofValue: sc_job().total_bytes) == 8)
        #expect(MemoryLayout<sc_job>.offset(of: \.message) == 56)
        #expect(MemoryLayout.size(ofValue: sc_job().message) == 8)
    }

    @Test func scOps() {
        #expect(MemoryLayout<sc_ops>.size == 232)
        #expect(MemoryLayout<sc_ops>.alignment == 8)
        #expect(MemoryLayout<sc_ops>.offset(of: \.struct_size) == 0)
        #expect(MemoryLayout.size(ofValue: sc_ops().struct_size) == 4)
        #expect(MemoryLayout<sc_ops>.offset(of: \.reserved) == 4)
        #expect(MemoryLayout.size(ofValue: sc_ops().reserved) == 4)
        #expect(MemoryLayout<sc_ops>.offset(of: \.open) == 8)
        #expect(MemoryLayout.size(ofValue: sc_ops().open) == 8)
        #expect(MemoryLayout<sc_ops>.offset(of: \.close) == 16)
        #expect(MemoryLayout.size(ofValue: sc_ops().close) == 8)
        #expect(MemoryLayout<sc_ops>.offset(of: \.list) == 24)
        #expect(MemoryLayout.size(ofValue: sc_ops().list) == 8)
        #expect(MemoryLayout<sc_ops>.offset(of: \.list_recursive) == 32)
        #expect(MemoryLayout.size(ofValue: sc_ops().list_recursive) == 8)
        #expect(MemoryLayout<sc_ops>.offset(of: \.stat) == 40)
        #expect(MemoryLayout.size(ofValue: sc_ops().stat) == 8)
        #expect(MemoryLayout<sc_ops>.offset(of: \.mkdir) == 48)
        #expect(MemoryLayout.size(ofValue: sc_ops().mkdir) == 8)
        #expect(MemoryLayout<sc_ops>.offset(of: \.remove) == 56)
        #expect(MemoryLayout.size(ofValue: sc_ops().remove) == 8)
        #expect(MemoryLayout<sc_ops>.offset(of: \.rmdir) == 64)
        #expect(MemoryLayout.size(ofValue: sc_ops().rmdir) == 8)
        #expect(MemoryLayout<sc_ops>.offset(of: \.move) == 72)
        #expect(MemoryLayout.size(ofValue: sc_ops().move) == 8)
        #expect(MemoryLayout<sc_ops>.offset(of: \.copy) == 80)
        #expect(MemoryLayout.size(ofValue: sc_ops().copy) == 8)
        #expect(MemoryLayout<sc_ops>.offset(of: \.open_reader) == 88)
        #expect(MemoryLayout.size(ofValue: sc_ops().open_reader) == 8)
        #expect(MemoryLayout<sc_ops>.offset(of: \.read) == 96)
        #expect(MemoryLayout.size(ofValue: sc_ops().read) == 8)
        #expect(MemoryLayout<sc_ops>.offset(of: \.close_reader) == 104)
        #expect(MemoryLayout.size(ofValue: sc_ops().close_reader) == 8)
        #expect(MemoryLayout<sc_ops>.offset(of: \.open_writer) == 112)
        #expect(MemoryLayout.size(ofValue: sc_ops().open_writer) == 8)
        #expect(MemoryLayout<sc_ops>.offset(of: \.write) == 120)
        #expect(MemoryLayout.size(ofValue: sc_ops().write) == 8)
        #expect(MemoryLayout<sc_ops>.offset(of: \.finish) == 128)
        #expect(MemoryLayout.size(ofValue: sc_ops().finish) == 8)
        #expect(MemoryLayout<sc_ops>.offset(of: \.abort) == 136)
        #expect(MemoryLayout.size(ofValue: sc_ops().abort) == 8)
        #expect(MemoryLayout<sc_ops>.offset(of: \.about) == 144)
        #expect(MemoryLayout.size(ofValue: sc_ops().about) == 8)
        #expect(MemoryLayout<sc_ops>.offset(of: \.hash) == 152)
        #expect(MemoryLayout.size(ofValue: sc_ops().hash) == 8)
        #expect(MemoryLayout<sc_ops>.offset(of: \.job_add) == 160)
        #expect(MemoryLayout.size(ofValue: sc_ops().job_add) == 8)
        #expect(MemoryLayout<sc_ops>.offset(of: \.job_status) == 168)
        #expect(MemoryLayout.size(ofValue: sc_ops().job_status) == 8)
        #expect(MemoryLayout<sc_ops>.offset(of: \.job_list) == 176)
        #expect(MemoryLayout.size(ofValue: sc_ops().job_list) == 8)
        #expect(MemoryLayout<sc_ops>.offset(of: \.job_cancel) == 184)
        #expect(MemoryLayout.size(ofValue: sc_ops().job_cancel) == 8)
        #expect(MemoryLayout<sc_ops>.offset(of: \.suspend) == 192)
        #expect(MemoryLayout.size(ofValue: sc_ops().suspend) == 8)
        // 1.1
        #expect(MemoryLayout<sc_ops>.offset(of: \.authorize) == 200)
        #expect(MemoryLayout.size(ofValue: sc_ops().authorize) == 8)
        #expect(MemoryLayout<sc_ops>.offset(of: \.open_reader_id) == 208)
        #expect(MemoryLayout.size(ofValue: sc_ops().open_reader_id) == 8)
        // 1.2
        #expect(MemoryLayout<sc_ops>.offset(of: \.reader_entry) == 216)
        #expect(MemoryLayout.size(ofValue: sc_ops().reader_entry) == 8)
        // 1.4
        #expect(MemoryLayout<sc_ops>.offset(of: \.remove_many) == 224)
        #expect(MemoryLayout.size(ofValue: sc_ops().remove_many) == 8)
    }

    @Test func scDescriptor() {
        #expect(MemoryLayout<sc_descriptor>.size == 104)
        #expect(MemoryLayout<sc_descriptor>.alignment == 8)
        #expect(MemoryLayout<sc_descriptor>.offset(of: \.magic) == 0)
        #expect(MemoryLayout.size(ofValue: sc_descriptor().magic) == 4)
        #expect(MemoryLayout<sc_descriptor>.offset(of: \.abi_major) == 4)
        #expect(MemoryLayout.size(ofValue: sc_descriptor().abi_major) == 2)
        #expect(MemoryLayout<sc_descriptor>.offset(of: \.abi_minor) == 6)
        #expect(MemoryLayout.size(ofValue: sc_descriptor().abi_minor) == 2)
        #expect(MemoryLayout<sc_descriptor>.offset(of: \.struct_size) == 8)
        #expect(MemoryLayout.size(ofValue: sc_descriptor().struct_size) == 4)
        #expect(MemoryLayout<sc_descriptor>.offset(of: \.pointer_size) == 12)
        #expect(MemoryLayout.size(ofValue: sc_descriptor().pointer_size) == 4)
        #expect(MemoryLayout<sc_descriptor>.offset(of: \.name) == 16)
        #expect(MemoryLayout.size(ofValue: sc_descriptor().name) == 8)
        #expect(MemoryLayout<sc_descriptor>.offset(of: \.version) == 24)
        #expect(MemoryLayout.size(ofValue: sc_descriptor().version) == 8)
        #expect(MemoryLayout<sc_descriptor>.offset(of: \.description) == 32)
        #expect(MemoryLayout.size(ofValue: sc_descriptor().description) == 8)
        #expect(MemoryLayout<sc_descriptor>.offset(of: \.capabilities) == 40)
        #expect(MemoryLayout.size(ofValue: sc_descriptor().capabilities) == 8)
        #expect(MemoryLayout<sc_descriptor>.offset(of: \.hash_kinds) == 48)
        #expect(MemoryLayout.size(ofValue: sc_descriptor().hash_kinds) == 8)
        #expect(MemoryLayout<sc_descriptor>.offset(of: \.mtime_precision_ns) == 56)
        #expect(MemoryLayout.size(ofValue: sc_descriptor().mtime_precision_ns) == 8)
        #expect(MemoryLayout<sc_descriptor>.offset(of: \.forbidden_chars) == 64)
        #expect(MemoryLayout.size(ofValue: sc_descriptor().forbidden_chars) == 8)
        #expect(MemoryLayout<sc_descriptor>.offset(of: \.max_name_bytes) == 72)
        #expect(MemoryLayout.size(ofValue: sc_descriptor().max_name_bytes) == 4)
        #expect(MemoryLayout<sc_descriptor>.offset(of: \.name_flags) == 76)
        #expect(MemoryLayout.size(ofValue: sc_descriptor().name_flags) == 4)
        #expect(MemoryLayout<sc_descriptor>.offset(of: \.max_path_bytes) == 80)
        #expect(MemoryLayout.size(ofValue: sc_descriptor().max_path_bytes) == 4)
        #expect(MemoryLayout<sc_descriptor>.offset(of: \.reserved) == 84)
        #expect(MemoryLayout.size(ofValue: sc_descriptor().reserved) == 4)
        #expect(MemoryLayout<sc_descriptor>.offset(of: \.options_schema_json) == 88)
        #expect(MemoryLayout.size(ofValue: sc_descriptor().options_schema_json) == 8)
        #expect(MemoryLayout<sc_descriptor>.offset(of: \.ops) == 96)
        #expect(MemoryLayout.size(ofValue: sc_descriptor().ops) == 8)
    }

    @Test func constants() {
        #expect(SC_ABI_MAJOR == 1)
        #expect(SC_ABI_MINOR == 4)
        #expect(SC_MAGIC == 0x4E4F_4353)
        #expect(SC_ERROR_MESSAGE_SIZE == 512)
        #expect(SC_HASH_VALUE_MAX == 129)
        let codes: [Int32] = [
            SC_OK, SC_ERR_NOT_FOUND, SC_ERR_EXISTS, SC_ERR_AUTH, SC_ERR_RATE_LIMITED, SC_ERR_TRANSIENT, SC_ERR_QUOTA,
            SC_ERR_INVALID_ARGUMENT, SC_ERR_UNSUPPORTED, SC_ERR_CANCELLED, SC_ERR_CORRUPT, SC_ERR_INTERNAL,
            SC_ERR_NOT_EMPTY, SC_ERR_NOT_A_DIRECTORY, SC_ERR_IS_A_DIRECTORY, SC_ERR_PERMISSION,
        ]
        #expect(codes == Array(0...15))
        let hashes: [Int32] = [
            SC_HASH_CRC32, SC_HASH_MD5, SC_HASH_SHA1, SC_HASH_SHA256, SC_HASH_DROPBOX, SC_HASH_QUICKXOR, SC_HASH_GCID,
        ]
        #expect(hashes == Array(1...7))
        let caps: [UInt64] = [
            SC_CAP_RANGED_READ, SC_CAP_SET_MTIME, SC_CAP_UNKNOWN_SIZE, SC_CAP_RESUMABLE_UPLOAD, SC_CAP_ATOMIC_WRITE,
            SC_CAP_EMPTY_DIRS, SC_CAP_SERVER_MOVE, SC_CAP_SERVER_COPY, SC_CAP_IDS, SC_CAP_HASH_ON_DEMAND,
            SC_CAP_HASH_FIRST,
        ]
        #expect(caps == (0..<11).map { UInt64(1) << $0 })
        #expect([SC_ENTRY_FILE, SC_ENTRY_DIR] == [1, 2])
        #expect([SC_JOB_QUEUED, SC_JOB_RUNNING, SC_JOB_COMPLETED, SC_JOB_FAILED, SC_JOB_CANCELLED] == [1, 2, 3, 4, 5])
        #expect(SC_WRITE_REPLACE == 1)
        // SC_MTIME_UNKNOWN is an expression macro Swift does not import; abi_layout.c pins it.
        #expect(SC_SIZE_UNKNOWN == -1)
    }
}
