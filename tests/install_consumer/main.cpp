#include <troupe/runtime/runtime.hpp>

troupe::Task<int> answer() { co_return 42; }

int main() {
  troupe::Runtime rt({.workers = 1});
  return rt.block_on(answer()) == 42 ? 0 : 1;
}
