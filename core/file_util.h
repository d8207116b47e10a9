#ifndef RLFLEET_CORE_FILE_UTIL_H_
#define RLFLEET_CORE_FILE_UTIL_H_

#include <cstddef>
#include <string>

namespace rlfleet {

// Writes `contents` to `path` atomically: to a temporary file in the same directory, flushed
// to disk, then renamed over `path`. Readers see the old file or the new one, never a part.
// Throws std::runtime_error naming the path and the OS error (e.g. "No space left on
// device"); the old file is then untouched and the temporary removed.
void WriteFileAtomic(const std::string& path, const std::string& contents);

// Reads a whole file; throws std::runtime_error naming the path when it cannot.
std::string ReadFile(const std::string& path);

// Appends text to a file, creating it; throws std::runtime_error naming the path on failure
// (a full disk included). Not atomic: used for CSV logs, one call per complete row.
void AppendToFile(const std::string& path, const std::string& text);

// The last `max_lines` lines of a text file, each indented by four spaces and ending in a
// newline ("" when the file cannot be read): a log's tail for an error message.
std::string TailOfFile(const std::string& path, size_t max_lines);

// A fresh private directory <tmp>/<prefix>-XXXXXX (mkdtemp, mode 0700), removed with everything
// in it when the object is destroyed; <tmp> is $TMPDIR, or /tmp when it is unset or so long that
// ipc socket paths in the directory would not fit in a sockaddr_un. Throws std::runtime_error
// when it cannot be created.
class TempDir {
 public:
  explicit TempDir(const std::string& prefix = "rlfleet");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace rlfleet

#endif  // RLFLEET_CORE_FILE_UTIL_H_
