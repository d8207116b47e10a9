#ifndef RLFLEET_REPLAY_TABLE_SNAPSHOT_H_
#define RLFLEET_REPLAY_TABLE_SNAPSHOT_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "replay/table.h"

namespace rlfleet {

// Table checkpoint files.
//
// Format, version 1; every integer little-endian, doubles as their IEEE-754 bits:
//   magic        8 bytes  "RLFTABLE"
//   version      u32      1
//   flags        u32      0 (reserved)
//   options_hash u64      TableOptionsHash(options) of the table that was saved
//   next_key     u64
//   counters     6 × i64  inserts, samples, evictions, exhausted, deletes, unknown_key_updates
//   limiter      3 × i64  inserts, samples, deletes;  2 × f64  insert/sample blocked seconds
//   item_count   u64
//   items        item_count × { key u64, priority f64, times_sampled i32, length u64, bytes }
//   crc32        u32      CRC-32 (IEEE, as zlib) of every byte before it
// Nothing may follow the checksum. The limiter's external (cross-shard) counts are not saved:
// the learner's client sends them again with its next request.

// A hash of the options that give a snapshot's contents their meaning: name, sampler, remover,
// priority_exponent, max_size, max_times_sampled, rate limiter options. importance_exponent and
// remover_seed are left out, so they may change across a restart (e.g. β annealing).
uint64_t TableOptionsHash(const TableOptions& options);

// CRC-32 (polynomial 0xEDB88320, as zlib's crc32), continuing from `crc` (0 to start).
uint32_t Crc32(const void* data, size_t size, uint32_t crc = 0);

// Writes `snapshot` to `path` atomically: into "<path>.tmp", flushed and fsync'ed, then renamed
// over path. Safe to call from another thread than the table's (the snapshot shares only
// immutable bytes with it). Throws std::runtime_error naming the path and the OS error (the
// temporary is removed then). O(total bytes); streams, never holds a second copy of the items.
void WriteSnapshot(const TableSnapshot& snapshot, const std::string& path);

// Reads a snapshot file (snapshot.options is left default; the stored hash is checked by
// LoadSnapshot). Throws std::runtime_error naming the path and what is wrong: cannot open, bad
// magic, unsupported version, truncated, an item length beyond the end of the file, trailing
// bytes, checksum mismatch.
TableSnapshot ReadSnapshot(const std::string& path, uint64_t* options_hash = nullptr);

// ReadSnapshot, then Table::FromSnapshot under `options`. Throws std::runtime_error naming the
// path when reading fails, when the file was written with other options (hash mismatch) or when
// its contents are inconsistent.
Table LoadSnapshot(const std::string& path, const TableOptions& options);

}  // namespace rlfleet

#endif  // RLFLEET_REPLAY_TABLE_SNAPSHOT_H_
