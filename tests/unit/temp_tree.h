// TempTree: a scratch directory tree for fixture files (a fake /proc or
// cgroup hierarchy), removed when the test ends.
#ifndef SOCKWATCH_TESTS_UNIT_TEMP_TREE_H_
#define SOCKWATCH_TESTS_UNIT_TEMP_TREE_H_

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

namespace sockwatch::testing {

class TempTree {
 public:
  explicit TempTree(const std::string& name = "tree") {
    std::string templ = ::testing::TempDir() + "/" + name + ".XXXXXX";
    if (mkdtemp(templ.data()) != nullptr) root_ = templ;
  }
  ~TempTree() {
    std::error_code ec;
    if (!root_.empty()) std::filesystem::remove_all(root_, ec);
  }
  TempTree(const TempTree&) = delete;
  TempTree& operator=(const TempTree&) = delete;

  const std::string& root() const { return root_; }
  void Dir(const std::string& rel) {
    std::filesystem::create_directories(root_ + "/" + rel);
  }
  void File(const std::string& rel, const std::string& text) {
    std::ofstream(root_ + "/" + rel) << text;
  }
  void Link(const std::string& target, const std::string& rel) {
    ASSERT_EQ(symlink(target.c_str(), (root_ + "/" + rel).c_str()), 0) << rel;
  }

 private:
  std::string root_;
};

}  // namespace sockwatch::testing

#endif  // SOCKWATCH_TESTS_UNIT_TEMP_TREE_H_
