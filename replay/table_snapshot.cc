#include "replay/table_snapshot.h"

#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <utility>

namespace rlfleet {
namespace {

constexpr char kMagic[8] = {'R', 'L', 'F', 'T', 'A', 'B', 'L', 'E'};
constexpr uint32_t kVersion = 1;
constexpr size_t kBufferSize = 1 << 20;

const std::array<uint32_t, 256>& CrcTable() {
  static const std::array<uint32_t, 256> table = [] {
    std::array<uint32_t, 256> t{};
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
      t[i] = c;
    }
    return t;
  }();
  return table;
}

uint64_t DoubleBits(double value) {
  uint64_t bits;
  std::memcpy(&bits, &value, sizeof(bits));
  return bits;
}

double BitsDouble(uint64_t bits) {
  double value;
  std::memcpy(&value, &bits, sizeof(value));
  return value;
}

std::string OsError(const std::string& path, const std::string& what) {
  return "table snapshot " + path + ": " + what + ": " + std::strerror(errno);
}

// Buffered little-endian writer with a running CRC.
class Writer {
 public:
  Writer(std::FILE* file, const std::string& path) : file_(file), path_(path) {
    buffer_.reserve(kBufferSize);
  }

  void Bytes(const void* data, size_t size) {
    if (size >= kBufferSize) {
      Flush();
      Emit(data, size);
      return;
    }
    if (buffer_.size() + size > kBufferSize) Flush();
    buffer_.append(static_cast<const char*>(data), size);
  }
  void U32(uint32_t v) {
    char b[4];
    for (int i = 0; i < 4; ++i) b[i] = static_cast<char>(v >> (8 * i));
    Bytes(b, 4);
  }
  void U64(uint64_t v) {
    char b[8];
    for (int i = 0; i < 8; ++i) b[i] = static_cast<char>(v >> (8 * i));
    Bytes(b, 8);
  }
  void I64(int64_t v) { U64(static_cast<uint64_t>(v)); }
  void F64(double v) { U64(DoubleBits(v)); }

  // Writes the CRC of everything so far (not itself covered) and flushes.
  void Finish() {
    Flush();
    const uint32_t crc = crc_;
    U32(crc);
    Flush();
  }

 private:
  void Flush() {
    Emit(buffer_.data(), buffer_.size());
    buffer_.clear();
  }
  void Emit(const void* data, size_t size) {
    if (size == 0) return;
    crc_ = Crc32(data, size, crc_);
    if (std::fwrite(data, 1, size, file_) != size)
      throw std::runtime_error(OsError(path_, "write"));
  }

  std::FILE* file_;
  const std::string& path_;
  std::string buffer_;
  uint32_t crc_ = 0;
};

// Buffered reader with a running CRC; every shortfall is a "truncated" error.
class Reader {
 public:
  Reader(std::FILE* file, const std::string& path, uint64_t file_size)
      : file_(file), path_(path), file_size_(file_size) {}

  void Bytes(void* data, size_t size, const char* what) {
    if (size > remaining()) {
      Fail("truncated: " + std::string(what) + " needs " + std::to_string(size) +
           " bytes at offset " + std::to_string(offset_) + " but the file has " +
           std::to_string(remaining()) + " left");
    }
    if (std::fread(data, 1, size, file_) != size)
      Fail("read error at offset " + std::to_string(offset_));
    crc_ = Crc32(data, size, crc_);
    offset_ += size;
  }
  uint32_t U32(const char* what) {
    unsigned char b[4];
    Bytes(b, 4, what);
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v |= static_cast<uint32_t>(b[i]) << (8 * i);
    return v;
  }
  uint64_t U64(const char* what) {
    unsigned char b[8];
    Bytes(b, 8, what);
    uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v |= static_cast<uint64_t>(b[i]) << (8 * i);
    return v;
  }
  int64_t I64(const char* what) { return static_cast<int64_t>(U64(what)); }
  double F64(const char* what) { return BitsDouble(U64(what)); }

  uint64_t remaining() const { return file_size_ - offset_; }
  uint64_t offset() const { return offset_; }
  uint32_t crc() const { return crc_; }

  [[noreturn]] void Fail(const std::string& what) const {
    throw std::runtime_error("table snapshot " + path_ + ": " + what);
  }

 private:
  std::FILE* file_;
  const std::string& path_;
  uint64_t file_size_;
  uint64_t offset_ = 0;
  uint32_t crc_ = 0;
};

void HashBytes(uint64_t* h, const void* data, size_t size) {
  const unsigned char* p = static_cast<const unsigned char*>(data);
  for (size_t i = 0; i < size; ++i) {
    *h ^= p[i];
    *h *= 0x100000001B3ULL;
  }
}

void HashString(uint64_t* h, const std::string& s) {
  const uint64_t n = s.size();
  HashBytes(h, &n, sizeof(n));
  HashBytes(h, s.data(), s.size());
}

void HashU64(uint64_t* h, uint64_t v) {
  unsigned char b[8];
  for (int i = 0; i < 8; ++i) b[i] = static_cast<unsigned char>(v >> (8 * i));
  HashBytes(h, b, 8);
}

}  // namespace

uint32_t Crc32(const void* data, size_t size, uint32_t crc) {
  const auto& table = CrcTable();
  const unsigned char* p = static_cast<const unsigned char*>(data);
  crc = ~crc;
  for (size_t i = 0; i < size; ++i) crc = table[(crc ^ p[i]) & 0xFF] ^ (crc >> 8);
  return ~crc;
}

uint64_t TableOptionsHash(const TableOptions& options) {
  uint64_t h = 0xCBF29CE484222325ULL;  // FNV-1a
  HashString(&h, options.name);
  HashString(&h, options.sampler);
  HashString(&h, options.remover);
  HashU64(&h, DoubleBits(options.priority_exponent));
  HashU64(&h, static_cast<uint64_t>(options.max_size));
  HashU64(&h, static_cast<uint64_t>(static_cast<int64_t>(options.max_times_sampled)));
  const RateLimiterOptions& r = options.rate_limiter;
  HashU64(&h, static_cast<uint64_t>(r.min_size_to_sample));
  HashU64(&h, DoubleBits(r.samples_per_insert));
  HashU64(&h, DoubleBits(r.min_diff));
  HashU64(&h, DoubleBits(r.max_diff));
  return h;
}

void WriteSnapshot(const TableSnapshot& snapshot, const std::string& path) {
  const std::string tmp = path + ".tmp";
  std::FILE* file = std::fopen(tmp.c_str(), "wb");
  if (file == nullptr) throw std::runtime_error(OsError(tmp, "cannot create"));
  try {
    Writer w(file, tmp);
    w.Bytes(kMagic, sizeof(kMagic));
    w.U32(kVersion);
    w.U32(0);
    w.U64(TableOptionsHash(snapshot.options));
    w.U64(snapshot.next_key);
    const TableCounters& c = snapshot.counters;
    for (int64_t v :
         {c.inserts, c.samples, c.evictions, c.exhausted, c.deletes, c.unknown_key_updates}) {
      w.I64(v);
    }
    const RateLimiterState& r = snapshot.rate_limiter;
    w.I64(r.inserts);
    w.I64(r.samples);
    w.I64(r.deletes);
    w.F64(r.insert_blocked_seconds);
    w.F64(r.sample_blocked_seconds);
    w.U64(snapshot.items.size());
    for (const TableItem& item : snapshot.items) {
      w.U64(item.key);
      w.F64(item.priority);
      w.U32(static_cast<uint32_t>(item.times_sampled));
      w.U64(item.bytes->size());
      w.Bytes(item.bytes->data(), item.bytes->size());
    }
    w.Finish();
    if (std::fflush(file) != 0) throw std::runtime_error(OsError(tmp, "flush"));
    if (::fsync(fileno(file)) != 0) throw std::runtime_error(OsError(tmp, "fsync"));
    const int closed = std::fclose(file);
    file = nullptr;
    if (closed != 0) throw std::runtime_error(OsError(tmp, "close"));
    if (std::rename(tmp.c_str(), path.c_str()) != 0) {
      throw std::runtime_error(OsError(path, "rename from " + tmp));
    }
  } catch (...) {
    if (file != nullptr) std::fclose(file);
    std::remove(tmp.c_str());
    throw;
  }
}

TableSnapshot ReadSnapshot(const std::string& path, uint64_t* options_hash) {
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (file == nullptr) throw std::runtime_error(OsError(path, "cannot open"));
  struct Closer {
    std::FILE* f;
    ~Closer() { std::fclose(f); }
  } closer{file};
  if (std::fseek(file, 0, SEEK_END) != 0) throw std::runtime_error(OsError(path, "seek"));
  const long size = std::ftell(file);
  if (size < 0) throw std::runtime_error(OsError(path, "tell"));
  std::rewind(file);
  std::setvbuf(file, nullptr, _IOFBF, kBufferSize);

  Reader r(file, path, static_cast<uint64_t>(size));
  char magic[8];
  r.Bytes(magic, sizeof(magic), "magic");
  if (std::memcmp(magic, kMagic, sizeof(magic)) != 0) r.Fail("bad magic: not a table snapshot");
  const uint32_t version = r.U32("version");
  if (version != kVersion) {
    r.Fail("unsupported version " + std::to_string(version) + " (this build reads " +
           std::to_string(kVersion) + ")");
  }
  r.U32("flags");
  const uint64_t hash = r.U64("options hash");
  TableSnapshot snapshot;
  snapshot.next_key = r.U64("next_key");
  TableCounters& c = snapshot.counters;
  for (int64_t* v :
       {&c.inserts, &c.samples, &c.evictions, &c.exhausted, &c.deletes, &c.unknown_key_updates}) {
    *v = r.I64("counters");
  }
  RateLimiterState& l = snapshot.rate_limiter;
  l.inserts = r.I64("rate limiter");
  l.samples = r.I64("rate limiter");
  l.deletes = r.I64("rate limiter");
  l.insert_blocked_seconds = r.F64("rate limiter");
  l.sample_blocked_seconds = r.F64("rate limiter");
  const uint64_t count = r.U64("item count");
  // Each item takes at least 28 bytes: a corrupt count cannot make us reserve absurd memory.
  if (count > r.remaining() / 28) {
    r.Fail("item count " + std::to_string(count) + " does not fit in the file (truncated?)");
  }
  snapshot.items.reserve(count);
  for (uint64_t i = 0; i < count; ++i) {
    TableItem item;
    item.key = r.U64("item key");
    item.priority = r.F64("item priority");
    item.times_sampled = static_cast<int32_t>(r.U32("item times_sampled"));
    const uint64_t length = r.U64("item length");
    if (length > r.remaining()) {
      r.Fail("item " + std::to_string(i) + " claims " + std::to_string(length) +
             " bytes at offset " + std::to_string(r.offset()) + " but only " +
             std::to_string(r.remaining()) + " remain (truncated or corrupt)");
    }
    std::string bytes(length, '\0');
    r.Bytes(bytes.data(), length, "item bytes");
    item.bytes = std::make_shared<const std::string>(std::move(bytes));
    snapshot.items.push_back(std::move(item));
  }
  const uint32_t computed = r.crc();
  const uint32_t stored = r.U32("checksum");
  if (stored != computed) {
    r.Fail("checksum mismatch (stored " + std::to_string(stored) + ", computed " +
           std::to_string(computed) + "): the file is corrupt");
  }
  if (r.remaining() != 0) {
    r.Fail(std::to_string(r.remaining()) + " unexpected bytes after the checksum");
  }
  if (options_hash != nullptr) *options_hash = hash;
  return snapshot;
}

Table LoadSnapshot(const std::string& path, const TableOptions& options) {
  options.Validate();
  uint64_t hash = 0;
  TableSnapshot snapshot = ReadSnapshot(path, &hash);
  if (hash != TableOptionsHash(options)) {
    throw std::runtime_error("table snapshot " + path +
                             ": written with other table options "
                             "than those of table '" +
                             options.name + "' (options hash differs)");
  }
  snapshot.options = options;
  try {
    return Table::FromSnapshot(snapshot, options);
  } catch (const std::invalid_argument& e) {
    throw std::runtime_error("table snapshot " + path + ": inconsistent contents: " + e.what());
  }
}

}  // namespace rlfleet
