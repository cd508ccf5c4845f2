// Trace ids across nodes: a message sent under a trace carries it over the
// wire (Envelope.trace) to the handler on the other node, whose own tells
// carry it on, back to this node; an untraced message carries none.

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <troupe/actor/span_hook.hpp>
#include <troupe/actor/trace_context.hpp>
#include <troupe/actor/trace_scope.hpp>
#include <troupe/remote/node.hpp>

#include "nodes.hpp"
#include "test_actors.hpp"

namespace {

using namespace std::chrono_literals;
using remote_test::ChildNode;
using remote_test::Local;
using remote_test::TraceEcho;
using remote_test::TraceSink;
using troupe::TraceContext;
using troupe::TraceScope;

// What a TraceSink got: the child's traceparent, and the trace the sink's
// handler ran under here. Thread-safe.
class TraceInbox {
 public:
  struct Item {
    std::string remote;                // the child handler's traceparent ("" for none)
    std::optional<TraceContext> here;  // the sink's handler's trace
  };
  TraceSink::Seen sink() {
    return [this](const remote_test::TraceSeen& m, std::optional<TraceContext> here) {
      {
        std::lock_guard lock(mutex_);
        items_.push_back(Item{m.traceparent(), here});
      }
      changed_.notify_all();
    };
  }
  // The n-th item (from 0), waiting for it 60 s at most.
  std::optional<Item> wait(std::size_t n) {
    std::unique_lock lock(mutex_);
    changed_.wait_for(lock, 60s, [&] { return items_.size() > n; });
    if (items_.size() <= n) return std::nullopt;
    return items_[n];
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<Item> items_;
};

// The spans this process reports (the sink's).
class TraceSpans {
 public:
  TraceSpans() {
    troupe::set_span_hook([this](const troupe::SpanRecord& r) {
      {
        std::lock_guard lock(mutex_);
        spans_.push_back(r);
        spans_.back().actor_type = {};
        spans_.back().message_type = {};
      }
      changed_.notify_all();
    });
  }
  ~TraceSpans() { troupe::set_span_hook(nullptr); }
  std::vector<troupe::SpanRecord> wait(std::size_t n) {
    std::unique_lock lock(mutex_);
    changed_.wait_for(lock, 60s, [&] { return spans_.size() >= n; });
    return spans_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<troupe::SpanRecord> spans_;  // views cleared: only ids and times kept
};

TEST(RemoteTrace, ATraceIdCrossesToAnotherNodeAndBack) {
  TraceSpans spans;
  ChildNode child({});
  Local local;
  TraceInbox inbox;
  auto sink = local.system.spawn<TraceSink>(inbox.sink());
  ASSERT_TRUE(local.node->publish("sink", sink));
  auto echo = local.lookup<TraceEcho>(child.address(), "trace");
  remote_test::TraceProbe probe;
  probe.set_node(local.node->name());
  probe.set_incarnation(local.node->incarnation());
  probe.set_actor(sink.id());

  // Untraced: no trace there, none back here.
  EXPECT_EQ(echo.tell(probe), troupe::TellStatus::kQueued);
  auto untraced = inbox.wait(0);
  ASSERT_TRUE(untraced);
  EXPECT_EQ(untraced->remote, "");
  EXPECT_FALSE(untraced->here);

  // Traced: the child's handler runs in the same trace, under a span of
  // its own, and its tell brings the trace back, one hop further.
  const TraceContext root = TraceContext::start();
  {
    TraceScope scope(root);
    EXPECT_EQ(echo.tell(probe), troupe::TellStatus::kQueued);
  }
  auto traced = inbox.wait(1);
  ASSERT_TRUE(traced);
  auto there = troupe::parse_traceparent(traced->remote);
  ASSERT_TRUE(there) << "\"" << traced->remote << "\"";
  EXPECT_EQ(there->trace_id(), root.trace_id()) << traced->remote;
  EXPECT_NE(there->span_id(), root.span_id()) << "a new span on the other node";
  EXPECT_TRUE(there->sampled());
  ASSERT_TRUE(traced->here);
  EXPECT_EQ(traced->here->trace_id(), root.trace_id());
  EXPECT_NE(traced->here->span_id(), there->span_id());
  // The sink's span here: a child of the other node's span.
  const auto reported = spans.wait(1);
  ASSERT_EQ(reported.size(), 1u) << "only the traced handler here has a span";
  EXPECT_EQ(reported[0].trace_id, root.trace_id());
  EXPECT_EQ(reported[0].span_id, traced->here->span_id());
  EXPECT_EQ(reported[0].parent_span_id, there->span_id());
  EXPECT_EQ(reported[0].actor, sink.id());

  // An ask crosses with its trace too (its reply says what the handler saw).
  const TraceContext asked = TraceContext::start();
  remote_test::TraceProbe no_sink;
  std::optional<troupe::AskFuture<remote_test::TraceSeen>> reply;
  {
    TraceScope scope(asked);
    reply.emplace(echo.ask(no_sink, 10s));
  }
  auto seen = local.run([](troupe::AskFuture<remote_test::TraceSeen> f)
                            -> troupe::Task<troupe::AskResult<remote_test::TraceSeen>> {
    co_return co_await std::move(f);
  }(std::move(*reply)));
  ASSERT_TRUE(seen) << troupe::to_string(seen.error());
  auto asked_there = troupe::parse_traceparent(seen->traceparent());
  ASSERT_TRUE(asked_there) << "\"" << seen->traceparent() << "\"";
  EXPECT_EQ(asked_there->trace_id(), asked.trace_id());
  EXPECT_NE(asked_there->span_id(), asked.span_id());
}

}  // namespace
