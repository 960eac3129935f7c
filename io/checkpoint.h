// io/checkpoint.h — a generic, versioned binary container for model state: string metadata
// (model, config, epoch, RNG counters, data fingerprint, anything) and named 2-D tensors.
// Written atomically (io/atomic_file.h: <path>.tmp, fsync, rename), verified on read: a
// checkpoint that is not ours, from a newer build, truncated, corrupted or internally
// inconsistent is refused with a message saying which.
//
// Layout (format version 1; all integers little-endian):
//   off  0  magic "LETHECKP"                        8 bytes
//        8  u32 format version (1)
//       12  u32 reserved (0)
//       16  u64 file size in bytes (everything, checksum included)
//       24  u64 metadata entry count
//       32  u64 tensor count
//       40  u64 data section offset (8-byte aligned)
//       48  u64 data section size
//       56  metadata: per entry  u64 key length, key bytes, u64 value length, value bytes
//           tensor table: per tensor  u64 name length, name bytes, u32 dtype, u32 reserved,
//                         i64 rows, i64 cols, u64 offset (from the data section start),
//                         u64 byte size (= rows·cols·dtype size)
//           zero padding to 8 bytes
//   data:   each tensor's bytes at its offset (8-byte aligned), zero padding between
//   last 8  u64 checksum: io/hash.h's hash64 (seed 0x4C455448) over every byte before it
#pragma once

#include <cstdint>
#include <cstring>
#include <map>
#include <string>
#include <type_traits>
#include <vector>

namespace lethe::io {

enum class CkptDType : uint32_t { F32 = 0, F64 = 1, I32 = 2, I64 = 3, U8 = 4 };
size_t ckpt_dtype_size(CkptDType t);
const char* ckpt_dtype_name(CkptDType t);
template <class T> constexpr CkptDType ckpt_dtype_of();
template <> constexpr CkptDType ckpt_dtype_of<float>() { return CkptDType::F32; }
template <> constexpr CkptDType ckpt_dtype_of<double>() { return CkptDType::F64; }
template <> constexpr CkptDType ckpt_dtype_of<int32_t>() { return CkptDType::I32; }
template <> constexpr CkptDType ckpt_dtype_of<int64_t>() { return CkptDType::I64; }
template <> constexpr CkptDType ckpt_dtype_of<uint8_t>() { return CkptDType::U8; }

constexpr uint32_t kCheckpointVersion = 1;

struct CkptTensor {
  std::string name;
  CkptDType dtype = CkptDType::F32;
  int64_t rows = 0, cols = 0;
  std::vector<uint8_t> bytes;  // rows · cols · dtype size
};

struct Checkpoint {
  std::map<std::string, std::string> meta;
  std::vector<CkptTensor> tensors;  // names unique; order kept

  // Adds (or replaces) a tensor copied from `data` (rows × cols elements).
  template <class T>
  void put(const std::string& name, int64_t rows, int64_t cols, const T* data) {
    CkptTensor t;
    t.name = name;
    t.dtype = ckpt_dtype_of<T>();
    t.rows = rows;
    t.cols = cols;
    t.bytes.resize(static_cast<size_t>(rows * cols) * sizeof(T));
    if (!t.bytes.empty()) std::memcpy(t.bytes.data(), data, t.bytes.size());
    put_tensor(std::move(t));
  }
  void put_tensor(CkptTensor t);
  const CkptTensor* find(const std::string& name) const;
  const CkptTensor& tensor(const std::string& name) const;  // throws naming the missing tensor
  // The tensor's elements; throws when the dtype is not T or (when given) the shape differs.
  template <class T>
  std::vector<T> get(const std::string& name, int64_t rows = -1, int64_t cols = -1) const {
    const CkptTensor& t = tensor(name);
    check_get(t, ckpt_dtype_of<T>(), rows, cols);
    std::vector<T> out(static_cast<size_t>(t.rows * t.cols));
    if (!out.empty()) std::memcpy(out.data(), t.bytes.data(), t.bytes.size());
    return out;
  }
  const std::string& meta_at(const std::string& key) const;  // throws naming the missing key

 private:
  static void check_get(const CkptTensor& t, CkptDType want, int64_t rows, int64_t cols);
};

// Writes through <path>.tmp + fsync + rename: an existing file at `path` is replaced only by a
// complete new one.
void write_checkpoint(const std::string& path, const Checkpoint& c);
// Reads and verifies (magic, version, size, checksum, then the structure). Throws lethe::Error:
// "not a Lethe checkpoint", "format version N ... newer", "truncated: expected X bytes, found
// Y", "corrupted (checksum mismatch)", "tensor table entry ... outside the data section", ...
Checkpoint read_checkpoint(const std::string& path);
Checkpoint parse_checkpoint(const void* bytes, size_t size, const std::string& path_for_errors);

}  // namespace lethe::io
