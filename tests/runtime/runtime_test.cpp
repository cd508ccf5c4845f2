#include <gtest/gtest.h>

#include <troupe/runtime/runtime.hpp>

namespace {

troupe::Task<int> leaf(int x) { co_return x + 1; }

troupe::Task<int> sum(int n) {
  int total = 0;
  for (int i = 0; i < n; ++i) total += co_await leaf(i);
  co_return total;
}

TEST(Runtime, BlockOnReturnsTheResultOfNestedTasks) {
  troupe::Runtime rt({.workers = 2});
  EXPECT_EQ(rt.block_on(sum(10)), 55);
}

}  // namespace
