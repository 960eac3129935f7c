// io/checkpoint.cpp — see checkpoint.h for the layout.
#include "io/checkpoint.h"

#include <algorithm>
#include <cstdio>
#include <set>

#include "io/atomic_file.h"
#include "io/fs.h"
#include "io/hash.h"
#include "kernels/common.h"

namespace lethe::io {

namespace {
constexpr char kMagic[8] = {'L', 'E', 'T', 'H', 'E', 'C', 'K', 'P'};
constexpr uint64_t kSeed = 0x4C455448;  // "LETH"
constexpr size_t kHeader = 56;

size_t align8(size_t n) { return (n + 7) & ~static_cast<size_t>(7); }

void put_u32(std::string& s, uint32_t v) { s.append(reinterpret_cast<const char*>(&v), 4); }
void put_u64(std::string& s, uint64_t v) { s.append(reinterpret_cast<const char*>(&v), 8); }
void put_str(std::string& s, const std::string& v) {
  put_u64(s, v.size());
  s += v;
}
}  // namespace

size_t ckpt_dtype_size(CkptDType t) {
  switch (t) {
    case CkptDType::F32: return 4;
    case CkptDType::F64: return 8;
    case CkptDType::I32: return 4;
    case CkptDType::I64: return 8;
    case CkptDType::U8: return 1;
  }
  return 0;
}
const char* ckpt_dtype_name(CkptDType t) {
  switch (t) {
    case CkptDType::F32: return "f32";
    case CkptDType::F64: return "f64";
    case CkptDType::I32: return "i32";
    case CkptDType::I64: return "i64";
    case CkptDType::U8: return "u8";
  }
  return "?";
}

void Checkpoint::put_tensor(CkptTensor t) {
  for (auto& x : tensors)
    if (x.name == t.name) { x = std::move(t); return; }
  tensors.push_back(std::move(t));
}
const CkptTensor* Checkpoint::find(const std::string& name) const {
  for (const auto& t : tensors)
    if (t.name == name) return &t;
  return nullptr;
}
const CkptTensor& Checkpoint::tensor(const std::string& name) const {
  if (const CkptTensor* t = find(name)) return *t;
  throw Error("checkpoint has no tensor '" + name + "'");
}
const std::string& Checkpoint::meta_at(const std::string& key) const {
  auto it = meta.find(key);
  if (it == meta.end()) throw Error("checkpoint has no metadata key '" + key + "'");
  return it->second;
}
void Checkpoint::check_get(const CkptTensor& t, CkptDType want, int64_t rows, int64_t cols) {
  if (t.dtype != want)
    throw Error("checkpoint tensor '" + t.name + "' is " + ckpt_dtype_name(t.dtype) + ", not " + ckpt_dtype_name(want));
  if ((rows >= 0 && rows != t.rows) || (cols >= 0 && cols != t.cols))
    throw Error("checkpoint tensor '" + t.name + "' has shape " + shape_str(t.rows, t.cols) + ", expected " +
                shape_str(rows, cols));
}

void write_checkpoint(const std::string& path, const Checkpoint& c) {
  // Header + metadata + table in memory (small); the tensor data streams straight to the file,
  // through the hash.
  std::set<std::string> names;
  std::string table;
  uint64_t data_size = 0;
  std::vector<uint64_t> offsets;
  for (const auto& t : c.tensors) {
    if (!names.insert(t.name).second) throw Error("write_checkpoint(" + path + "): tensor '" + t.name + "' appears twice");
    if (t.rows < 0 || t.cols < 0 ||
        t.bytes.size() != static_cast<size_t>(t.rows) * static_cast<size_t>(t.cols) * ckpt_dtype_size(t.dtype))
      throw Error("write_checkpoint(" + path + "): tensor '" + t.name + "' holds " + std::to_string(t.bytes.size()) +
                  " bytes, not rows·cols·" + std::to_string(ckpt_dtype_size(t.dtype)));
    offsets.push_back(data_size);
    put_str(table, t.name);
    put_u32(table, static_cast<uint32_t>(t.dtype));
    put_u32(table, 0);
    put_u64(table, static_cast<uint64_t>(t.rows));
    put_u64(table, static_cast<uint64_t>(t.cols));
    put_u64(table, data_size);
    put_u64(table, t.bytes.size());
    data_size += align8(t.bytes.size());
  }
  std::string meta;
  for (const auto& kv : c.meta) {
    put_str(meta, kv.first);
    put_str(meta, kv.second);
  }
  const uint64_t data_off = align8(kHeader + meta.size() + table.size());
  const uint64_t file_size = data_off + data_size + 8;
  std::string head(kMagic, 8);
  put_u32(head, kCheckpointVersion);
  put_u32(head, 0);
  put_u64(head, file_size);
  put_u64(head, c.meta.size());
  put_u64(head, c.tensors.size());
  put_u64(head, data_off);
  put_u64(head, data_size);
  head += meta;
  head += table;
  head.resize(data_off, '\0');

  Hasher h(kSeed);
  AtomicWriter w(path);
  auto emit = [&](const void* p, size_t n) {
    h.update(p, n);
    w.write(p, n);
  };
  emit(head.data(), head.size());
  static const char zeros[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  for (const auto& t : c.tensors) {
    emit(t.bytes.data(), t.bytes.size());
    emit(zeros, align8(t.bytes.size()) - t.bytes.size());
  }
  const uint64_t sum = h.digest();
  w.write(&sum, 8);
  w.commit();
}

Checkpoint parse_checkpoint(const void* bytes, size_t size, const std::string& path) {
  const unsigned char* b = static_cast<const unsigned char*>(bytes);
  auto fail = [&](const std::string& what) -> void { throw Error(path + ": " + what); };
  if (size < 8 && (size == 0 || std::memcmp(b, kMagic, size) == 0))
    fail("truncated: expected at least " + std::to_string(kHeader + 8) + " bytes, found " + std::to_string(size));
  if (size < 8 || std::memcmp(b, kMagic, 8) != 0)
    fail("not a Lethe checkpoint (the file does not start with LETHECKP)");
  if (size < kHeader + 8)
    fail("truncated: expected at least " + std::to_string(kHeader + 8) + " bytes, found " + std::to_string(size));
  auto u32 = [&](size_t off) { uint32_t v; std::memcpy(&v, b + off, 4); return v; };
  auto u64 = [&](size_t off) { uint64_t v; std::memcpy(&v, b + off, 8); return v; };
  const uint32_t version = u32(8);
  if (version > kCheckpointVersion)
    fail("checkpoint format version " + std::to_string(version) + " is newer than this build reads (" +
         std::to_string(kCheckpointVersion) + "); use a newer lethe");
  if (version == 0) fail("unknown checkpoint format version 0");
  const uint64_t file_size = u64(16);
  if (file_size > size)
    fail("truncated: expected " + std::to_string(file_size) + " bytes, found " + std::to_string(size));
  if (file_size < size)
    fail("expected " + std::to_string(file_size) + " bytes, found " + std::to_string(size) +
         " (trailing bytes: not a complete checkpoint write, or the size field is corrupted)");
  uint64_t stored;
  std::memcpy(&stored, b + size - 8, 8);
  if (hash64(b, size - 8, kSeed) != stored) fail("corrupted (checksum mismatch): the file was damaged after it was written");

  // The checksum matched, so what follows only fails for a file this build did not write
  // (or a deliberate forgery); still, every offset is checked before use.
  const uint64_t n_meta = u64(24), n_tensors = u64(32), data_off = u64(40), data_size = u64(48);
  const uint64_t body_end = size - 8;
  if (data_off > body_end || data_size > body_end - data_off || data_off % 8 != 0 || data_off < kHeader)
    fail("malformed header: the data section [" + std::to_string(data_off) + ", +" + std::to_string(data_size) +
         ") does not fit the file");
  size_t p = kHeader;
  auto read_str = [&](const char* what) {
    if (p + 8 > data_off) fail(std::string("malformed ") + what + ": runs past the data section");
    const uint64_t n = u64(p);
    p += 8;
    if (n > data_off - p) fail(std::string("malformed ") + what + ": a string runs past the data section");
    std::string s(reinterpret_cast<const char*>(b + p), static_cast<size_t>(n));
    p += static_cast<size_t>(n);
    return s;
  };
  Checkpoint c;
  for (uint64_t k = 0; k < n_meta; ++k) {
    std::string key = read_str("metadata");
    std::string val = read_str("metadata");
    c.meta[std::move(key)] = std::move(val);
  }
  std::set<std::string> names;
  for (uint64_t k = 0; k < n_tensors; ++k) {
    CkptTensor t;
    t.name = read_str("tensor table");
    if (p + 40 > data_off) fail("malformed tensor table: entry '" + t.name + "' runs past the data section");
    const uint32_t dt = u32(p);
    if (dt > static_cast<uint32_t>(CkptDType::U8)) fail("tensor '" + t.name + "': unknown dtype code " + std::to_string(dt));
    t.dtype = static_cast<CkptDType>(dt);
    const int64_t rows = static_cast<int64_t>(u64(p + 8)), cols = static_cast<int64_t>(u64(p + 16));
    const uint64_t off = u64(p + 24), nbytes = u64(p + 32);
    p += 40;
    const size_t es = ckpt_dtype_size(t.dtype);
    if (rows < 0 || cols < 0 || (cols > 0 && static_cast<uint64_t>(rows) > (UINT64_MAX / es) / static_cast<uint64_t>(cols)) ||
        static_cast<uint64_t>(rows) * static_cast<uint64_t>(cols) * es != nbytes)
      fail("tensor table entry '" + t.name + "': shape " + shape_str(rows, cols) + " of " + ckpt_dtype_name(t.dtype) +
           " does not match its byte size " + std::to_string(nbytes));
    if (off > data_size || nbytes > data_size - off)
      fail("tensor table entry '" + t.name + "' points outside the data section (offset " + std::to_string(off) + ", " +
           std::to_string(nbytes) + " bytes, section " + std::to_string(data_size) + " bytes)");
    if (!names.insert(t.name).second) fail("tensor '" + t.name + "' appears twice in the table");
    t.rows = rows;
    t.cols = cols;
    t.bytes.assign(b + data_off + off, b + data_off + off + nbytes);
    c.tensors.push_back(std::move(t));
  }
  return c;
}

Checkpoint read_checkpoint(const std::string& path) {
  const std::string bytes = read_file(path);
  return parse_checkpoint(bytes.data(), bytes.size(), path);
}

}  // namespace lethe::io
