// The live dump (ActorSystem::dump, system_dump.hpp): every actor with its
// class, name, parent, mailbox depth and state; the pending asks between
// actors; and the cycles among them, reported as probable deadlocks.
// Conditions are waited for by signals (channels, latches) or by polling
// dump() until a deadline, never by sleeping.

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <functional>
#include <latch>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include <troupe/actor/actor.hpp>
#include <troupe/actor/actor_system.hpp>
#include <troupe/actor/detail/cell_inspector.hpp>
#include <troupe/actor/system_dump.hpp>
#include <troupe/channels/channel.hpp>
#include <troupe/runtime/task.hpp>

namespace {

using namespace std::chrono_literals;
using troupe::ActorId;
using troupe::ActorRef;
using troupe::ActorState;
using troupe::ActorSystem;
using troupe::Receiver;
using troupe::Sender;
using troupe::SystemDump;
using troupe::Task;

// Dumps `system` until `ok(dump)` holds (or 20 s pass: a failure).
SystemDump dump_until(const ActorSystem& system, const std::function<bool(const SystemDump&)>& ok) {
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  SystemDump d = system.dump();
  while (!ok(d)) {
    if (std::chrono::steady_clock::now() > deadline) {
      ADD_FAILURE() << "the dump never showed what was expected; last:\n" << to_text(d);
      return d;
    }
    std::this_thread::yield();
    d = system.dump();
  }
  return d;
}

bool ends_with(const std::string& s, std::string_view tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

// --- Actors -----------------------------------------------------------------------

struct DumpNoop {};
struct DumpSpawnChild {};

struct DumpChild : troupe::Actor<DumpChild> {
  void handle(DumpNoop) {}
};

struct DumpParent : troupe::Actor<DumpParent> {
  ActorId handle(DumpSpawnChild) { return spawn<DumpChild>().id(); }
};

struct DumpLine {
  std::string text;
};

// Holds its mailbox in a coroutine handler until `gate` gets a value
// (saying so on `entered` first); counts what it is told.
struct DumpHold {
  Sender<int> entered;
  Receiver<int> gate;
};
struct DumpCount {};
struct DumpHolder : troupe::Actor<DumpHolder> {
  int counted = 0;
  Task<void> handle(DumpHold m) {
    (void)m.entered.try_send(1);
    auto v = co_await m.gate.recv();
    (void)v;
  }
  void handle(DumpCount) { ++counted; }
  int handle(DumpNoop) { return counted; }
};

// Blocks its worker thread in a plain handler until released.
struct DumpSpin {
  std::shared_ptr<std::latch> entered;
  std::shared_ptr<std::latch> release;
};
struct DumpSpinner : troupe::Actor<DumpSpinner> {
  void handle(const DumpSpin& m) {
    m.entered->count_down();
    m.release->wait();
  }
};

// A deliberate ask cycle: Alice's handler asks Bob, whose handler asks
// Alice back; Alice is busy waiting for Bob, so neither ever answers.
struct DumpAlice;
struct DumpPing {
  ActorRef<DumpAlice> alice;
};
struct DumpPong {};
struct DumpBob : troupe::Actor<DumpBob> {
  Task<int> handle(DumpPing p);
};
struct DumpKick {
  ActorRef<DumpBob> bob;
};
struct DumpAlice : troupe::Actor<DumpAlice> {
  Task<int> handle(DumpKick k) {
    DumpPing ping{self()};  // named: see README, Compilers (g++ 12)
    auto r = co_await k.bob.ask(std::move(ping), 30s);
    co_return r ? *r : -1;
  }
  int handle(DumpPong) { return 2; }
};
Task<int> DumpBob::handle(DumpPing p) {
  DumpPong pong;
  auto r = co_await p.alice.ask(pong, 30s);
  co_return r ? *r : -1;
}

// Asks a DumpHolder from its coroutine handler: an ask edge while the
// holder holds.
struct DumpAskVia {
  ActorRef<DumpHolder> holder;
};
struct DumpAsker : troupe::Actor<DumpAsker> {
  Task<int> handle(DumpAskVia m) {
    DumpNoop noop;
    auto r = co_await m.holder.ask(noop, 30s);
    co_return r ? *r : -1;
  }
};

// Dumps its own system from a handler.
struct DumpSelf {};
struct DumpInspector : troupe::Actor<DumpInspector> {
  explicit DumpInspector(const ActorSystem* s) : system(s) {}
  const ActorSystem* system;
  std::string handle(DumpSelf) { return to_text(system->dump()); }
};

// --- Tests ------------------------------------------------------------------------

TEST(SystemDump, ListsEveryActorWithItsClassRegisteredNameAndParent) {
  ActorSystem system({.workers = 2});
  auto parent = system.spawn<DumpParent>();
  ASSERT_TRUE(system.register_name("boss", parent));
  auto lines = system.spawn_loop<DumpLine>([](troupe::Mailbox<DumpLine>& mailbox) -> Task<void> {
    for (;;) {
      auto line = co_await mailbox.next();
      if (!line) co_return;
    }
  });
  const ActorId child = system.block_on([](ActorRef<DumpParent> p) -> Task<ActorId> {
    DumpSpawnChild spawn_child;
    auto r = co_await p.ask(spawn_child);
    co_return r.value();
  }(parent));

  const SystemDump d = dump_until(system, [&](const SystemDump& x) {
    return x.actors.size() == 3 && x.find(child) != nullptr;
  });
  ASSERT_EQ(d.actors.size(), 3u) << to_text(d);
  const troupe::ActorInfo* p = d.find(parent.id());
  const troupe::ActorInfo* c = d.find(child);
  const troupe::ActorInfo* l = d.find(lines.handle().id());
  ASSERT_TRUE(p && c && l) << to_text(d);
  EXPECT_TRUE(ends_with(p->class_name, "DumpParent")) << p->class_name;
  EXPECT_EQ(p->name, "boss");
  EXPECT_EQ(p->parent, 0u);
  EXPECT_TRUE(ends_with(c->class_name, "DumpChild")) << c->class_name;
  EXPECT_EQ(c->name, "");
  EXPECT_EQ(c->parent, parent.id());
  EXPECT_EQ(l->class_name.rfind("loop<", 0), 0u) << l->class_name;
  EXPECT_TRUE(ends_with(l->class_name, "DumpLine>")) << l->class_name;
  EXPECT_EQ(l->parent, 0u);
  // Parents come before their children.
  EXPECT_LT(p - d.actors.data(), c - d.actors.data());

  // Once nothing happens, every one is idle with an empty mailbox (the
  // loop actor too, though its loop is a handler waiting on the mailbox).
  const SystemDump idle = dump_until(system, [](const SystemDump& x) {
    for (const auto& a : x.actors) {
      if (a.state != ActorState::kIdle || a.mailbox_depth != 0u) return false;
    }
    return x.actors.size() == 3;
  });
  EXPECT_TRUE(idle.asks.empty());
  EXPECT_TRUE(idle.cycles.empty());
}

TEST(SystemDump, TheMailboxDepthOfAnActorWaitingInAHandlerIsWhatIsQueued) {
  ActorSystem system({.workers = 2});
  auto holder = system.spawn<DumpHolder>();
  auto [entered_tx, entered_rx] = troupe::channel::unbounded<int>();
  auto [gate_tx, gate_rx] = troupe::channel::unbounded<int>();
  holder.tell(DumpHold{entered_tx, gate_rx});
  ASSERT_TRUE(entered_rx.recv_blocking().has_value());
  constexpr std::size_t kQueued = 5;
  for (std::size_t i = 0; i < kQueued; ++i) holder.tell(DumpCount{});

  const SystemDump d = dump_until(system, [&](const SystemDump& x) {
    const auto* a = x.find(holder.id());
    return a && a->state == ActorState::kWaiting;
  });
  const troupe::ActorInfo* a = d.find(holder.id());
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->state, ActorState::kWaiting);
  EXPECT_EQ(a->mailbox_depth, kQueued);

  (void)gate_tx.try_send(1);
  const int counted = system.block_on([](ActorRef<DumpHolder> h) -> Task<int> {
    DumpNoop noop;
    auto r = co_await h.ask(noop);
    co_return r.value();
  }(holder));
  EXPECT_EQ(counted, static_cast<int>(kQueued));
  const SystemDump after = dump_until(system, [&](const SystemDump& x) {
    const auto* b = x.find(holder.id());
    return b && b->state == ActorState::kIdle;
  });
  EXPECT_EQ(after.find(holder.id())->mailbox_depth, 0u);
}

TEST(SystemDump, AnActorInAPlainHandlerIsRunningAndItsMailboxUnread) {
  ActorSystem system({.workers = 2});
  auto spinner = system.spawn<DumpSpinner>();
  auto entered = std::make_shared<std::latch>(1);
  auto release = std::make_shared<std::latch>(1);
  spinner.tell(DumpSpin{entered, release});
  entered->wait();

  const SystemDump d = system.dump();
  const troupe::ActorInfo* a = d.find(spinner.id());
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->state, ActorState::kRunning);
  EXPECT_FALSE(a->mailbox_depth.has_value());  // its worker owns the mailbox
  EXPECT_NE(to_text(d).find("state=running mailbox=?"), std::string::npos) << to_text(d);

  release->count_down();
  dump_until(system, [&](const SystemDump& x) {
    const auto* b = x.find(spinner.id());
    return b && b->state == ActorState::kIdle && b->mailbox_depth == 0u;
  });
}

TEST(SystemDump, ADeliberateAskCycleIsReportedAsAProbableDeadlock) {
  ActorSystem system({.workers = 2});
  auto alice = system.spawn<DumpAlice>();
  auto bob = system.spawn<DumpBob>();
  auto outcome =
      system.runtime().spawn([](ActorRef<DumpAlice> a, ActorRef<DumpBob> b) -> Task<int> {
        DumpKick kick{b};
        auto r = co_await a.ask(std::move(kick), 60s);
        co_return r ? *r : -1;
      }(alice, bob));
  // The checks below are EXPECTs: the test goes on to break the cycle
  // whatever they find.

  // Each actor is read at its own instant: Alice may be read before Bob's
  // ask reached her, so wait for a dump that saw it queued too.
  const SystemDump d = dump_until(system, [&](const SystemDump& x) {
    const auto* a = x.find(alice.id());
    return !x.cycles.empty() && a && a->mailbox_depth == 1u;
  });
  EXPECT_EQ(d.cycles.size(), 1u) << to_text(d);
  const ActorId lo = std::min(alice.id(), bob.id());
  const ActorId hi = std::max(alice.id(), bob.id());
  if (!d.cycles.empty()) {
    EXPECT_EQ(d.cycles[0], (std::vector<ActorId>{lo, hi}));
  }
  EXPECT_EQ(d.asks.size(), 2u) << to_text(d);
  for (const troupe::AskEdge& e : d.asks) {
    EXPECT_TRUE(e.to_node.empty());
    EXPECT_FALSE(e.at_least);  // both have a timeout: their start is exact
    if (e.from == alice.id()) {
      EXPECT_EQ(e.to, bob.id());
      EXPECT_TRUE(ends_with(e.message_type, "DumpPing")) << e.message_type;
    } else {
      EXPECT_EQ(e.from, bob.id());
      EXPECT_EQ(e.to, alice.id());
      EXPECT_TRUE(ends_with(e.message_type, "DumpPong")) << e.message_type;
    }
  }
  const troupe::ActorInfo* a = d.find(alice.id());
  const troupe::ActorInfo* b = d.find(bob.id());
  EXPECT_TRUE(a && a->state == ActorState::kWaiting) << to_text(d);
  EXPECT_TRUE(b && b->state == ActorState::kWaiting) << to_text(d);
  EXPECT_TRUE(a && a->mailbox_depth == 1u) << to_text(d);  // Bob's Pong, behind Alice's wait
  const std::string text = to_text(d);
  EXPECT_NE(text.find("probable deadlock: " + std::to_string(lo) + " -> " + std::to_string(hi) +
                      " -> " + std::to_string(lo)),
            std::string::npos)
      << text;
  EXPECT_NE(to_json(d).find("\"cycles\":[[" + std::to_string(lo) + "," + std::to_string(hi) + "]]"),
            std::string::npos)
      << to_json(d);

  // Breaking the cycle (Bob stops: Alice's ask fails) leaves no edge.
  bob.stop();
  EXPECT_EQ(outcome.wait(), -1);
  const SystemDump after = dump_until(system, [&](const SystemDump& x) {
    const auto* a = x.find(alice.id());
    return x.asks.empty() && a && a->state == ActorState::kIdle;
  });
  EXPECT_TRUE(after.cycles.empty());
}

TEST(SystemDump, AnAskIsAnEdgeWhileItWaitsAndAnAnsweredAskLeavesNone) {
  ActorSystem system({.workers = 2});
  auto holder = system.spawn<DumpHolder>();
  auto asker = system.spawn<DumpAsker>();
  auto [entered_tx, entered_rx] = troupe::channel::unbounded<int>();
  auto [gate_tx, gate_rx] = troupe::channel::unbounded<int>();
  holder.tell(DumpHold{entered_tx, gate_rx});
  ASSERT_TRUE(entered_rx.recv_blocking().has_value());
  auto answer =
      system.runtime().spawn([](ActorRef<DumpAsker> a, ActorRef<DumpHolder> h) -> Task<int> {
        DumpAskVia via{h};
        auto r = co_await a.ask(std::move(via), 60s);
        co_return r ? *r : -1;
      }(asker, holder));

  // Each actor is read at its own instant: the holder may be read before
  // the ask reached it, the asker before it asked.
  const SystemDump d = dump_until(system, [&](const SystemDump& x) {
    const auto* h = x.find(holder.id());
    return !x.asks.empty() && h && h->mailbox_depth == 1u;
  });
  ASSERT_EQ(d.asks.size(), 1u) << to_text(d);
  EXPECT_EQ(d.asks[0].from, asker.id());
  EXPECT_EQ(d.asks[0].to, holder.id());
  EXPECT_TRUE(ends_with(d.asks[0].message_type, "DumpNoop")) << d.asks[0].message_type;
  EXPECT_GE(d.asks[0].waiting_for.count(), 0);
  EXPECT_TRUE(d.cycles.empty());
  EXPECT_EQ(d.find(holder.id())->mailbox_depth, 1u);  // the ask, behind the hold

  (void)gate_tx.try_send(1);
  EXPECT_EQ(answer.wait(), 0);
  // The asker's future unlinked its edge when the reply came, before the
  // asker answered: nothing is left, at once.
  const SystemDump after = system.dump();
  EXPECT_TRUE(after.asks.empty()) << to_text(after);
}

TEST(SystemDump, AHandlerCanDumpItsOwnSystemAndSeesItselfRunning) {
  ActorSystem system({.workers = 2});
  auto inspector = system.spawn<DumpInspector>(&system);
  const std::string text = system.block_on([](ActorRef<DumpInspector> i) -> Task<std::string> {
    DumpSelf dump_self;
    auto r = co_await i.ask(dump_self);
    co_return r.value();
  }(inspector));
  EXPECT_NE(text.find("actor " + std::to_string(inspector.id())), std::string::npos) << text;
  EXPECT_NE(text.find("state=running"), std::string::npos) << text;
}

TEST(SystemDump, FindCyclesGivesEachCycleOnceFromItsSmallestId) {
  using Edges = std::vector<std::pair<ActorId, ActorId>>;
  // 3 -> 1 -> 2 -> 3 (and a chord 2 -> 1), a self-ask 7, a chain 4 -> 5 -> 6.
  const Edges edges{{3, 1}, {1, 2}, {2, 3}, {2, 1}, {7, 7}, {4, 5}, {5, 6}};
  const auto cycles = troupe::detail::find_cycles(edges);
  ASSERT_EQ(cycles.size(), 2u);
  EXPECT_EQ(cycles[0], (std::vector<ActorId>{1, 2}));  // the shortest way back to 1
  EXPECT_EQ(cycles[1], (std::vector<ActorId>{7}));
  EXPECT_TRUE(troupe::detail::find_cycles(Edges{{1, 2}, {2, 3}}).empty());
}

}  // namespace
