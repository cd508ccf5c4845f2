// Trace ids through actors: a message sent under a trace carries it to the
// handler, which runs under a child span of the sender's, across a
// coroutine handler's suspensions (on whichever worker resumes it) and on
// through the handler's own tells and asks; the span hook hears of each
// traced handler; untraced messages stay untraced.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <future>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include <troupe/actor/actor.hpp>
#include <troupe/actor/actor_system.hpp>
#include <troupe/actor/span_hook.hpp>
#include <troupe/actor/trace_context.hpp>
#include <troupe/actor/trace_scope.hpp>
#include <troupe/runtime/sleep.hpp>
#include <troupe/runtime/spawn.hpp>
#include <troupe/runtime/yield.hpp>

namespace {

using namespace std::chrono_literals;
using troupe::ActorRef;
using troupe::ActorSystem;
using troupe::SpanId;
using troupe::Task;
using troupe::TraceContext;
using troupe::TraceScope;

// A span as the hook saw it, with its names copied out.
struct SeenSpan {
  troupe::TraceId trace_id;
  SpanId span_id;
  SpanId parent_span_id;
  troupe::ActorId actor;
  std::string actor_type;
  std::string message_type;
  std::chrono::system_clock::time_point start;
  std::chrono::system_clock::time_point end;
  bool threw;
};

// Installs a span hook that keeps every span; removes it when destroyed.
class SpanLog {
 public:
  SpanLog() {
    troupe::set_span_hook([this](const troupe::SpanRecord& r) {
      {
        std::lock_guard lock(mutex_);
        spans_.push_back(SeenSpan{r.trace_id, r.span_id, r.parent_span_id, r.actor,
                                  std::string(r.actor_type), std::string(r.message_type), r.start,
                                  r.end, r.threw});
      }
      changed_.notify_all();
    });
  }
  ~SpanLog() { troupe::set_span_hook(nullptr); }
  std::vector<SeenSpan> spans() const {
    std::lock_guard lock(mutex_);
    return spans_;
  }
  // Waits (60 s at most) until `n` spans have been reported.
  std::vector<SeenSpan> wait_for(std::size_t n) const {
    std::unique_lock lock(mutex_);
    changed_.wait_for(lock, 60s, [&] { return spans_.size() >= n; });
    return spans_;
  }
  // The span of the handler of `actor`, which must be there once.
  SeenSpan of(troupe::ActorId actor) const {
    std::lock_guard lock(mutex_);
    std::optional<SeenSpan> found;
    for (const auto& s : spans_) {
      if (s.actor != actor) continue;
      EXPECT_FALSE(found) << "two spans of actor " << actor;
      found = s;
    }
    if (!found) throw std::runtime_error("no span of actor " + std::to_string(actor));
    return *found;
  }

 private:
  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;
  std::vector<SeenSpan> spans_;
};

// The id of the calling thread, opaque to the optimizer (see the same
// helper in mailbox_test.cpp): a coroutine that moved is seen to.
[[gnu::noinline]] std::thread::id trace_test_thread_id() {
  asm volatile("" ::: "memory");
  return std::this_thread::get_id();
}

// What each hop saw, reported back to the test.
struct ChainReport {
  std::optional<TraceContext> a;          // A's handler
  std::optional<TraceContext> b_before;   // B's, before it suspended
  std::optional<TraceContext> b_after;    // B's, after it resumed on another worker
  std::optional<TraceContext> c;          // C's, as its reply said
  bool b_moved = false;                   // B resumed on another thread
  bool spawned_task_saw_a_trace = false;  // a task B spawned saw B's trace: a leak
  troupe::ActorId a_id = 0, b_id = 0, c_id = 0;
};

struct TraceAsk {};
struct TraceTell {
  std::promise<std::optional<TraceContext>>* seen;
};

// C: answers with the trace its handler runs under.
struct TraceHopC : troupe::Actor<TraceHopC> {
  std::optional<TraceContext> handle(const TraceAsk&) { return troupe::current_trace(); }
  void handle(const TraceTell& m) { m.seen->set_value(troupe::current_trace()); }
};

struct TraceHop {
  ChainReport report;
};

// B: a coroutine handler that suspends until it resumes on another worker
// (a spinning task keeps the first one busy), then asks C.
struct TraceHopB : troupe::Actor<TraceHopB> {
  TraceHopB(ActorRef<TraceHopC> c, std::promise<ChainReport>* done) : c(c), done(done) {}
  Task<void> handle(TraceHop hop) {
    ChainReport r = std::move(hop.report);
    r.b_id = self().id();
    r.c_id = c.id();
    r.b_before = troupe::current_trace();
    const auto first = trace_test_thread_id();
    std::atomic<bool> moved{false};
    std::atomic<bool> leaked{false};
    for (int i = 0; i < 200 && !r.b_moved; ++i) {
      // Runs on this worker after the handler suspends (or is stolen by
      // the other: then the next round tries again); never under B's trace.
      auto spinner =
          troupe::spawn([](std::atomic<bool>& moved, std::atomic<bool>& leaked) -> Task<void> {
            if (troupe::current_trace()) leaked = true;
            const auto until = std::chrono::steady_clock::now() + 50ms;
            while (!moved.load() && std::chrono::steady_clock::now() < until) {
            }
            co_return;
          }(moved, leaked));
      co_await troupe::sleep_for(1ms);
      if (troupe::current_trace() != r.b_before) r.b_after = troupe::current_trace();
      r.b_moved = trace_test_thread_id() != first;
      if (r.b_moved) moved = true;
      co_await spinner;
    }
    if (!r.b_after) r.b_after = troupe::current_trace();  // unchanged at every resumption
    r.spawned_task_saw_a_trace = leaked.load();
    auto reply = co_await c.ask(TraceAsk{}, 10s);
    if (reply) r.c = *reply;
    done->set_value(std::move(r));
  }
  // Answered only once the coroutine handler before it has finished.
  int handle(int x) { return x; }
  ActorRef<TraceHopC> c;
  std::promise<ChainReport>* done;
};

struct TraceStart {};

// Waits for an ask made on this thread (under whatever scope it has).
template <class R>
troupe::AskResult<R> trace_test_ask(ActorSystem& system, troupe::AskFuture<R> f) {
  return system.block_on([](troupe::AskFuture<R> f) -> Task<troupe::AskResult<R>> {
    co_return co_await std::move(f);
  }(std::move(f)));
}

// A: a plain handler that tells B.
struct TraceHopA : troupe::Actor<TraceHopA> {
  explicit TraceHopA(ActorRef<TraceHopB> b) : b(b) {}
  void handle(const TraceStart&) {
    ChainReport r;
    r.a = troupe::current_trace();
    r.a_id = self().id();
    b.tell(TraceHop{std::move(r)});
  }
  ActorRef<TraceHopB> b;
};

struct TraceFail {};
struct TraceThrows : troupe::Actor<TraceThrows> {
  void handle(const TraceFail&) { throw std::runtime_error("traced failure"); }
};

TEST(TracePropagation, ATraceCrossesAPlainACoroutineThatMovesAndAnAskedHandler) {
  SpanLog log;
  ActorSystem system({.workers = 2});
  std::promise<ChainReport> done;
  auto report = done.get_future();
  auto c = system.spawn<TraceHopC>();
  auto b = system.spawn<TraceHopB>(c, &done);
  auto a = system.spawn<TraceHopA>(b);
  const TraceContext root = TraceContext::start();
  {
    TraceScope scope(root);
    a.tell(TraceStart{});
  }
  EXPECT_FALSE(troupe::current_trace()) << "the scope is gone";
  ASSERT_EQ(report.wait_for(60s), std::future_status::ready);
  const ChainReport r = report.get();

  // Every hop is in the root's trace, under a span of its own.
  ASSERT_TRUE(r.a && r.b_before && r.b_after && r.c);
  EXPECT_EQ(r.a->trace_id(), root.trace_id());
  EXPECT_EQ(r.b_before->trace_id(), root.trace_id());
  EXPECT_EQ(r.c->trace_id(), root.trace_id());
  EXPECT_NE(r.a->span_id(), root.span_id());
  EXPECT_NE(r.b_before->span_id(), r.a->span_id());
  EXPECT_NE(r.c->span_id(), r.b_before->span_id());
  // B's trace is the same after it resumed on another worker.
  EXPECT_TRUE(r.b_moved) << "B never resumed on another worker in 200 rounds";
  EXPECT_EQ(*r.b_after, *r.b_before);
  EXPECT_FALSE(r.spawned_task_saw_a_trace) << "a handler's trace leaked into another task";

  // Each handler's span is a child of its sender's: root -> A -> B -> C.
  // A span is reported just after its handler returns (B's: before B
  // takes its next message, which this ask is).
  ASSERT_EQ(trace_test_ask(system, b.ask(7, 10s)).value(), 7);
  ASSERT_EQ(log.wait_for(3).size(), 3u);
  const auto a_span = log.of(r.a_id);
  const auto c_span = log.of(r.c_id);
  EXPECT_EQ(a_span.parent_span_id, root.span_id());
  EXPECT_EQ(a_span.span_id, r.a->span_id());
  EXPECT_EQ(c_span.span_id, r.c->span_id());
  EXPECT_EQ(c_span.parent_span_id, r.b_before->span_id()) << "C's parent is B's span";
  EXPECT_EQ(c_span.trace_id, root.trace_id());
  EXPECT_NE(a_span.actor_type.find("TraceHopA"), std::string::npos) << a_span.actor_type;
  EXPECT_NE(c_span.message_type.find("TraceAsk"), std::string::npos) << c_span.message_type;
  EXPECT_LE(c_span.start, c_span.end);
  EXPECT_FALSE(a_span.threw);
  std::optional<SeenSpan> b_span = log.of(r.b_id);
  ASSERT_TRUE(b_span) << "B's span was never reported";
  EXPECT_EQ(b_span->span_id, r.b_before->span_id());
  EXPECT_EQ(b_span->parent_span_id, r.a->span_id());
  EXPECT_NE(b_span->message_type.find("TraceHop"), std::string::npos);
  EXPECT_LE(b_span->start, c_span.start) << "B's span holds the ask it waited on";
  EXPECT_LE(c_span.start, b_span->end);
  EXPECT_EQ(log.spans().size(), 3u) << "three traced handlers, no untraced one";
}

TEST(TracePropagation, UntracedMessagesHaveNoTraceAndUnsampledOnesNoSpan) {
  SpanLog log;
  ActorSystem system({.workers = 2});
  auto c = system.spawn<TraceHopC>();
  auto untraced = trace_test_ask(system, c.ask(TraceAsk{}, 10s));
  ASSERT_TRUE(untraced);
  EXPECT_FALSE(*untraced) << "an untraced ask's handler has no trace";

  const TraceContext root = TraceContext::start();
  std::optional<troupe::AskFuture<std::optional<TraceContext>>> traced;
  {
    TraceScope scope(root);
    traced.emplace(c.ask(TraceAsk{}, 10s));  // the message is made here, under the scope
  }
  auto seen = trace_test_ask(system, std::move(*traced));
  ASSERT_TRUE(seen && *seen);
  EXPECT_EQ((*seen)->trace_id(), root.trace_id());
  EXPECT_EQ(log.wait_for(1).size(), 1u);

  // An unsampled trace still travels (log lines can name it), but no span
  // is reported for it.
  const TraceContext quiet = TraceContext::start(/*sampled=*/false);
  traced.reset();
  {
    TraceScope scope(quiet);
    traced.emplace(c.ask(TraceAsk{}, 10s));
  }
  seen = trace_test_ask(system, std::move(*traced));
  ASSERT_TRUE(seen && *seen);
  EXPECT_EQ((*seen)->trace_id(), quiet.trace_id());
  EXPECT_FALSE((*seen)->sampled());

  // After traced messages, an untraced tell and ask: nothing carried over.
  std::promise<std::optional<TraceContext>> told;
  auto told_seen = told.get_future();
  EXPECT_EQ(c.tell(TraceTell{&told}), troupe::TellStatus::kQueued);
  ASSERT_EQ(told_seen.wait_for(60s), std::future_status::ready);
  EXPECT_FALSE(told_seen.get()) << "an untraced tell's handler has no trace";
  EXPECT_FALSE(*trace_test_ask(system, c.ask(TraceAsk{}, 10s))) << "no trace carried over";
  EXPECT_EQ(log.spans().size(), 1u) << "only the sampled traced handler has a span";
}

TEST(TracePropagation, AHandlerThatThrowsEndsItsSpanMarkedSo) {
  SpanLog log;
  ActorSystem system({.workers = 2});
  auto t = system.spawn<TraceThrows>();
  const TraceContext root = TraceContext::start();
  {
    TraceScope scope(root);
    t.tell(TraceFail{});
  }
  const auto spans = log.wait_for(1);
  ASSERT_EQ(spans.size(), 1u);
  EXPECT_TRUE(spans[0].threw);
  EXPECT_EQ(spans[0].trace_id, root.trace_id());
  EXPECT_EQ(spans[0].parent_span_id, root.span_id());
  EXPECT_NE(spans[0].message_type.find("TraceFail"), std::string::npos);
}

}  // namespace
