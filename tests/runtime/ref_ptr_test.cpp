// RefPtr: every copy is one more reference, every destruction or reset one
// less; adopt and leak hand a reference over without counting it twice.

#include <utility>

#include <gtest/gtest.h>

#include <troupe/runtime/detail/ref_ptr.hpp>

namespace {

using troupe::detail::RefPtr;

/// A counted object that records its count and whether it was freed.
struct RefPtrCounted {
  int refs = 1;  // the maker's
  bool freed = false;
  void retain() noexcept { ++refs; }
  void release() noexcept {
    if (--refs == 0) freed = true;
  }
};

TEST(RefPtr, SharingTakesAReferenceAndDestructionDropsIt) {
  RefPtrCounted c;
  {
    RefPtr<RefPtrCounted> p(c);
    EXPECT_EQ(c.refs, 2);
    EXPECT_EQ(p.get(), &c);
    EXPECT_TRUE(p);
  }
  EXPECT_EQ(c.refs, 1);
  EXPECT_FALSE(c.freed);
}

TEST(RefPtr, CopiesCountAndMovesDoNot) {
  RefPtrCounted c;
  RefPtr<RefPtrCounted> a(c);
  RefPtr<RefPtrCounted> b = a;
  EXPECT_EQ(c.refs, 3);
  RefPtr<RefPtrCounted> moved = std::move(b);
  EXPECT_EQ(c.refs, 3);
  EXPECT_FALSE(b);  // a moved-from RefPtr is empty
  EXPECT_TRUE(moved == a);
  moved.reset();
  EXPECT_EQ(c.refs, 2);
  a = nullptr;
  EXPECT_EQ(c.refs, 1);
}

TEST(RefPtr, AssignmentReleasesTheOldObjectAndRetainsTheNew) {
  RefPtrCounted x;
  RefPtrCounted y;
  RefPtr<RefPtrCounted> p(x);
  RefPtr<RefPtrCounted> q(y);
  p = q;
  EXPECT_EQ(x.refs, 1);
  EXPECT_EQ(y.refs, 3);
  RefPtr<RefPtrCounted>& same = p;
  p = same;  // assigning itself keeps the count
  EXPECT_EQ(y.refs, 3);
}

TEST(RefPtr, AdoptTakesOverAReferenceAndLeakGivesItBack) {
  auto* c = new RefPtrCounted;  // refs 1: the maker's, handed over below
  RefPtr<RefPtrCounted> p = RefPtr<RefPtrCounted>::adopt(c);
  EXPECT_EQ(c->refs, 1);
  RefPtrCounted* raw = p.leak();
  EXPECT_FALSE(p);
  EXPECT_EQ(raw->refs, 1);
  RefPtr<RefPtrCounted>::adopt(raw).reset();  // the last reference
  EXPECT_TRUE(c->freed);
  delete c;
}

TEST(RefPtr, ComparesWithRawPointers) {
  RefPtrCounted c;
  RefPtr<RefPtrCounted> p(c);
  EXPECT_TRUE(p == &c);
  EXPECT_FALSE(RefPtr<RefPtrCounted>() == &c);
  EXPECT_TRUE(RefPtr<RefPtrCounted>() == nullptr);
}

}  // namespace
