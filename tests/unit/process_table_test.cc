// ProcessTable::Find() over bucketed owners: the same answers as a plain
// binary search, for every inode held and for inodes nobody holds, however
// the inodes are spread (dense, sparse, clustered, a single one).
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <set>
#include <vector>

#include "collectors/proc_scanner.h"

namespace sockwatch {
namespace {

ProcessTable TableOf(const std::set<uint32_t>& inodes) {
  ProcessTable t;
  int fd = 3;
  for (uint32_t inode : inodes)
    t.owners.push_back(SocketOwner::Of(inode, 0, fd++));
  return t;
}

// Every inode in [lo, hi] and a sample around, indexed and not.
void ExpectSameAnswers(const std::set<uint32_t>& inodes) {
  ProcessTable plain = TableOf(inodes);
  ProcessTable indexed = TableOf(inodes);
  indexed.IndexOwners();
  std::vector<uint32_t> probes(inodes.begin(), inodes.end());
  for (uint32_t inode : inodes) {
    probes.push_back(inode - 1);
    probes.push_back(inode + 1);
  }
  probes.push_back(0);
  probes.push_back(UINT32_MAX);
  std::mt19937 rng(7);
  for (int i = 0; i < 1000; ++i) probes.push_back(static_cast<uint32_t>(rng()));
  for (uint32_t inode : probes) {
    const SocketOwner* a = plain.Find(inode);
    const SocketOwner* b = indexed.Find(inode);
    ASSERT_EQ(a == nullptr, b == nullptr) << "inode " << inode;
    if (a != nullptr) {
      EXPECT_EQ(b->inode, inode);
      EXPECT_EQ(a->fd, b->fd);
    }
    EXPECT_EQ(b != nullptr, inode != 0 && inodes.count(inode) == 1) << inode;
  }
}

TEST(ProcessTable, BucketedFindAnswersLikeABinarySearch) {
  std::mt19937 rng(20261201);
  std::set<uint32_t> dense, sparse, clustered, edges;
  for (uint32_t i = 0; i < 100000; ++i) dense.insert(50000 + i);
  while (sparse.size() < 100000) sparse.insert(1 + rng() % 0xfffffffe);
  for (uint32_t i = 0; i < 50000; ++i) clustered.insert(1000 + i);
  for (uint32_t i = 0; i < 50000; ++i) clustered.insert(4000000000u + i * 7);
  edges = {1, 0xfffffffeu};
  ExpectSameAnswers(dense);
  ExpectSameAnswers(sparse);
  ExpectSameAnswers(clustered);
  ExpectSameAnswers(edges);
  ExpectSameAnswers({12345});
  ExpectSameAnswers({});
}

}  // namespace
}  // namespace sockwatch
