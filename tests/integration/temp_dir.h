// TempDir: a private scratch directory under $TMPDIR (or /tmp), named
// sockwatch-it-<pid>-XXXXXX and removed with everything in it when the object
// is destroyed. Directories of test processes that were killed (their pid is
// gone) are removed when the next process makes its first TempDir.
//
// Not copyable. Not thread-safe; one owner.
#ifndef SOCKWATCH_TESTS_INTEGRATION_TEMP_DIR_H_
#define SOCKWATCH_TESTS_INTEGRATION_TEMP_DIR_H_

#include <sys/types.h>

#include <string>

namespace sockwatch::it {

class TempDir {
 public:
  // Creates the directory; on failure path() is empty.
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  // Absolute path of `name` inside the directory (not created).
  std::string File(const std::string& name) const;
  // Writes `content` to `name`; returns its path, or "" on failure.
  std::string Write(const std::string& name, const std::string& content) const;

 private:
  std::string path_;
};

// Whether `pid` is gone: no such process, or only its zombie is left.
bool ProcessGone(pid_t pid);

// Whole content of `path`; "" when it cannot be read.
std::string ReadFile(const std::string& path);

}  // namespace sockwatch::it

#endif  // SOCKWATCH_TESTS_INTEGRATION_TEMP_DIR_H_
