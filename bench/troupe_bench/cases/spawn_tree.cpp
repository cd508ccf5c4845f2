// spawn_tree (skynet): a Node covering leaves [base, base+size) spawns up
// to 10 children, as its own child actors (Actor::spawn from on_start), over
// equal slices of its range; a leaf tells its parent its index, an inner
// node sums its children's replies and tells its parent the sum, and each
// stops itself once it has replied (a parent then waits for its children
// to be gone, which supervision asks of it). The root (a top-level actor)
// sends its sum to the driver. For n = 1,000,000 that is 6 levels and
// 1,111,111 actors, all spawned inside the clock, as in the peers.
// check = the sum of the leaf indices = n*(n-1)/2.
#include <chrono>
#include <cstdint>

#include <troupe/actor/actor.hpp>
#include <troupe/actor/actor_system.hpp>

#include "cases/actor_support.hpp"
#include "cases/cases.hpp"

namespace troupe::bench {

namespace {

struct Sum {
  std::uint64_t value;
};

// Where the root replies; null for every other node.
using RootDone = const Sender<std::uint64_t>*;

class Node : public Actor<Node> {
 public:
  // `parent` is empty for the root, which replies on `root_done` instead.
  Node(ActorRef<Node> parent, RootDone root_done, std::int64_t base, std::int64_t size)
      : parent_(std::move(parent)), root_done_(root_done), base_(base), size_(size) {}

  void on_start() {
    // size 0 only for a root with n = 0: it has no leaves, so it answers 0.
    if (size_ <= 1) {
      reply(size_ == 1 ? static_cast<std::uint64_t>(base_) : 0);
      return;
    }
    for (std::int64_t i = 0; i < 10; ++i) {
      const std::int64_t lo = base_ + size_ * i / 10;
      const std::int64_t hi = base_ + size_ * (i + 1) / 10;
      if (hi > lo) {
        spawn<Node>(self(), RootDone{}, lo, hi - lo);
        ++pending_;
      }
    }
  }
  void handle(const Sum& s) {
    sum_ += s.value;
    if (--pending_ == 0) reply(sum_);
  }

 private:
  void reply(std::uint64_t v) {
    if (parent_) {
      tell_or_throw(parent_, Sum{v});
    } else {
      complete(*root_done_, v);
    }
    stop();
  }

  ActorRef<Node> parent_;
  RootDone root_done_;
  std::int64_t base_;
  std::int64_t size_;
  std::int64_t pending_ = 0;
  std::uint64_t sum_ = 0;
};

}  // namespace

Outcome run_spawn_tree(const Params& p) {
  const std::int64_t n = p.get("n");
  ActorSystem system(actor_system_options(p));
  Completion<std::uint64_t> done;

  const auto t0 = std::chrono::steady_clock::now();
  system.spawn<Node>(ActorRef<Node>(), &done.sender(), std::int64_t{0}, n);
  const std::uint64_t sum = done.wait();
  const std::chrono::duration<double> secs = std::chrono::steady_clock::now() - t0;

  Outcome o;
  o.n = n;
  o.secs = secs.count();
  o.check = sum;
  o.expected = sum_below(n);
  return o;
}

}  // namespace troupe::bench
