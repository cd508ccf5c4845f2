// Supervision, monitors and links, step by step on the TestExecutor (one
// thread, virtual clock): every sequence below is deterministic.

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include <troupe/actor/actor.hpp>
#include <troupe/actor/actor_system.hpp>
#include <troupe/runtime/log.hpp>
#include <troupe/runtime/task.hpp>
#include <troupe/runtime/test_executor.hpp>

namespace {

using namespace std::chrono_literals;
using troupe::ActorRef;
using troupe::ActorSystem;
using troupe::AskError;
using troupe::Directive;
using troupe::ExitReason;
using troupe::SupervisorStrategy;
using troupe::Task;
using troupe::TestExecutor;

/// What the actors below report, in order.
struct Journal {
  std::vector<std::string> events;
  void add(std::string e) { events.push_back(std::move(e)); }
};

struct Fail {};
struct Bump {};
struct Count {};

// A worker with state that a restart must reset.
struct Worker : troupe::Actor<Worker> {
  Worker(Journal* j, std::string name) : journal(j), name(std::move(name)) {}
  void on_start() { journal->add(name + " start"); }
  void on_stop(const ExitReason& r) { journal->add(name + " stop " + r.describe()); }
  void handle(Bump) { ++count; }
  int handle(Count) { return count; }
  void handle(Fail) { throw std::runtime_error(name + " failed"); }
  Journal* journal;
  std::string name;
  int count = 0;
};

template <class Strategy>
struct Supervisor : troupe::Actor<Supervisor<Strategy>> {
  explicit Supervisor(Journal* j) : journal(j) {}
  static SupervisorStrategy supervisor_strategy() { return Strategy::make(); }
  void on_start() {
    a = this->template spawn<Worker>(journal, std::string("a"));
    b = this->template spawn<Worker>(journal, std::string("b"));
  }
  void on_stop(const ExitReason& r) { journal->add("supervisor stop " + r.describe()); }
  ActorRef<Worker> handle(int which) { return which == 0 ? a : b; }
  Journal* journal;
  ActorRef<Worker> a;
  ActorRef<Worker> b;
};

struct RestartTwice {
  static SupervisorStrategy make() { return SupervisorStrategy::one_for_one(2, 10s); }
};
struct AllForOne {
  static SupervisorStrategy make() { return SupervisorStrategy::all_for_one(5, 10s); }
};
struct StopIt {
  static SupervisorStrategy make() {
    return SupervisorStrategy::one_for_one().with_decider(
        [](const std::exception_ptr&) { return Directive::kStop; });
  }
};

template <class S>
ActorRef<Worker> child(TestExecutor& ex, const ActorRef<Supervisor<S>>& sup, int which) {
  return ex.block_on([](ActorRef<Supervisor<S>> s, int w) -> Task<ActorRef<Worker>> {
    auto r = co_await s.ask(w);
    co_return r.value();
  }(sup, which));
}

int count_of(TestExecutor& ex, const ActorRef<Worker>& w) {
  return ex.block_on([](ActorRef<Worker> w) -> Task<int> {
    auto r = co_await w.ask(Count{});
    co_return r ? *r : -1;
  }(w));
}

TEST(Supervision, AFailedChildIsRestartedWithFreshStateBehindTheSameRef) {
  TestExecutor ex;
  Journal j;
  ActorSystem system(ex);
  auto sup = system.spawn<Supervisor<RestartTwice>>(&j);
  ex.run_until_idle();
  auto a = child(ex, sup, 0);
  a.tell(Bump{});
  a.tell(Bump{});
  EXPECT_EQ(count_of(ex, a), 2);
  a.tell(Fail{});
  a.tell(Bump{});  // queued behind the failure: handled by the new instance
  ex.run_until_idle();
  EXPECT_EQ(count_of(ex, a), 1);
  EXPECT_EQ(j.events,
            (std::vector<std::string>{"a start", "b start", "a stop failed: a failed", "a start"}));
  EXPECT_EQ(system.live_actors(), 3u);
}

TEST(Supervision, PassingTheRestartIntensityEscalatesToTheSupervisor) {
  TestExecutor ex;
  Journal j;
  ActorSystem system(ex);  // top level: a failed supervisor stops
  auto sup = system.spawn<Supervisor<RestartTwice>>(&j);
  ex.run_until_idle();
  auto a = child(ex, sup, 0);
  for (int i = 0; i < 2; ++i) {
    a.tell(Fail{});
    ex.run_until_idle();
    ex.advance(1s);
  }
  EXPECT_EQ(system.live_actors(), 3u) << "two restarts are within the limit";
  a.tell(Fail{});  // the third within 10 s
  ex.run_until_idle();
  EXPECT_EQ(system.live_actors(), 0u) << "the supervisor failed, stopping its children first";
  ASSERT_GE(j.events.size(), 3u);
  EXPECT_EQ(j.events.back(), "supervisor stop failed: a failed");
}

std::size_t count_events(const Journal& j, const std::string& event) {
  return static_cast<std::size_t>(std::count(j.events.begin(), j.events.end(), event));
}

TEST(Supervision, RestartsOutsideTheWindowDoNotCount) {
  TestExecutor ex;
  Journal j;
  ActorSystem system(ex);
  auto sup = system.spawn<Supervisor<RestartTwice>>(&j);
  ex.run_until_idle();
  auto a = child(ex, sup, 0);
  for (int i = 0; i < 6; ++i) {
    a.tell(Bump{});
    ASSERT_EQ(count_of(ex, a), 1) << "failure " << i << ": not a fresh instance";
    a.tell(Fail{});
    ex.run_until_idle();
    ex.advance(6s);  // two failures never fall in one 10 s window... but three could
  }
  // Each of the six failures was followed by a restart (a stop with the
  // error, a start), and none escalated.
  EXPECT_EQ(count_events(j, "a stop failed: a failed"), 6u);
  EXPECT_EQ(count_events(j, "a start"), 7u);
  EXPECT_EQ(count_events(j, "b start"), 1u) << "one-for-one: b is never restarted";
  EXPECT_EQ(count_of(ex, a), 0) << "the last restart gave a fresh instance";
  EXPECT_EQ(system.live_actors(), 3u);
}

// The window includes its end: a restart exactly `within` ago still counts.
// RestartTwice allows 2 restarts in 10 s; failures at 0 s and 5 s restart.
// A third at 10 s (the first is exactly 10 s old) is one too many; at 10 s
// and 1 tick, the first has left the window and it restarts.
bool third_failure_restarts(troupe::Duration third_at) {
  TestExecutor ex;
  Journal j;
  ActorSystem system(ex);
  auto sup = system.spawn<Supervisor<RestartTwice>>(&j);
  ex.run_until_idle();
  auto a = child(ex, sup, 0);
  const troupe::Instant t0 = ex.now();
  a.tell(Fail{});
  ex.run_until_idle();
  ex.advance_to(t0 + 5s);
  a.tell(Fail{});
  ex.run_until_idle();
  EXPECT_EQ(count_events(j, "a start"), 3u) << "two restarts are within the limit";
  ex.advance_to(t0 + third_at);
  a.tell(Fail{});
  ex.run_until_idle();
  const bool restarted = count_events(j, "a start") == 4u && system.live_actors() == 3u;
  const bool escalated = !j.events.empty() &&
                         j.events.back() == "supervisor stop failed: a failed" &&
                         system.live_actors() == 0u;
  EXPECT_NE(restarted, escalated) << "neither a restart nor an escalation";
  return restarted;
}

TEST(Supervision, ARestartExactlyOneWindowOldStillCountsAndOneTickOlderDoesNot) {
  EXPECT_FALSE(third_failure_restarts(10s)) << "the restart at 0 s still counts at 10 s";
  EXPECT_TRUE(third_failure_restarts(10s + troupe::Duration(1)))
      << "the restart at 0 s has left the window";
}

struct AllForOneTwice {
  static SupervisorStrategy make() { return SupervisorStrategy::all_for_one(2, 10s); }
};

// All-for-one counts the restarts of the whole group against one limit: a
// fails, then b, then a again, all within the window: the third restart is
// one too many, though neither child failed three times.
TEST(Supervision, AllForOneIntensityCountsTheFailuresOfEveryChildTogether) {
  TestExecutor ex;
  Journal j;
  ActorSystem system(ex);  // top level: a failed supervisor stops
  auto sup = system.spawn<Supervisor<AllForOneTwice>>(&j);
  ex.run_until_idle();
  auto a = child(ex, sup, 0);
  auto b = child(ex, sup, 1);
  a.tell(Fail{});
  ex.run_until_idle();
  ex.advance(1s);
  b.tell(Fail{});
  ex.run_until_idle();
  ex.advance(1s);
  EXPECT_EQ(count_events(j, "a start"), 3u);
  EXPECT_EQ(count_events(j, "b start"), 3u) << "each failure restarted both";
  EXPECT_EQ(system.live_actors(), 3u) << "two restarts are within the limit";
  a.tell(Fail{});
  ex.run_until_idle();
  EXPECT_EQ(system.live_actors(), 0u) << "the third restart in 10 s escalated";
  EXPECT_EQ(count_events(j, "a start"), 3u);
  ASSERT_FALSE(j.events.empty());
  EXPECT_EQ(j.events.back(), "supervisor stop failed: a failed");
}

struct AllForOneOnce {
  static SupervisorStrategy make() { return SupervisorStrategy::all_for_one(1, 10s); }
};

// Both children fail before their supervisor has run: the restart that a's
// failure orders replaces the failed instance of b too, so b's failure is
// answered by it and is not a second restart (nor an escalation, with a
// limit of one), as in Erlang's one_for_all. Each child starts once more,
// and each can fail again afterwards, which then counts.
TEST(Supervision, AllForOneCountsFailuresThatOneRestartAnswersOnce) {
  TestExecutor ex;
  Journal j;
  ActorSystem system(ex);
  auto sup = system.spawn<Supervisor<AllForOneOnce>>(&j);
  ex.run_until_idle();
  auto a = child(ex, sup, 0);
  auto b = child(ex, sup, 1);
  a.tell(Fail{});
  b.tell(Fail{});
  ex.run_until_idle();
  EXPECT_EQ(system.live_actors(), 3u) << "one restart answered both failures";
  EXPECT_EQ(count_events(j, "a start"), 2u);
  EXPECT_EQ(count_events(j, "b start"), 2u);
  b.tell(Bump{});
  EXPECT_EQ(count_of(ex, b), 1) << "b runs again, not left suspended";
  a.tell(Fail{});  // the second restart within 10 s: past the limit of one
  ex.run_until_idle();
  EXPECT_EQ(system.live_actors(), 0u);
  ASSERT_FALSE(j.events.empty());
  EXPECT_EQ(j.events.back(), "supervisor stop failed: a failed");
}

TEST(Supervision, AllForOneRestartsTheSiblingsToo) {
  TestExecutor ex;
  Journal j;
  ActorSystem system(ex);
  auto sup = system.spawn<Supervisor<AllForOne>>(&j);
  ex.run_until_idle();
  auto a = child(ex, sup, 0);
  auto b = child(ex, sup, 1);
  b.tell(Bump{});
  a.tell(Fail{});
  ex.run_until_idle();
  EXPECT_EQ(count_of(ex, b), 0) << "b was restarted with a";
  EXPECT_EQ(count_of(ex, a), 0);
  EXPECT_EQ(system.live_actors(), 3u);
}

TEST(Supervision, AStopDirectiveStopsTheChildWithItsError) {
  TestExecutor ex;
  Journal j;
  ActorSystem system(ex);
  auto sup = system.spawn<Supervisor<StopIt>>(&j);
  ex.run_until_idle();
  auto a = child(ex, sup, 0);
  a.tell(Fail{});
  ex.run_until_idle();
  EXPECT_EQ(system.live_actors(), 2u);
  EXPECT_EQ(j.events.back(), "a stop failed: a failed");
  EXPECT_EQ(ex.block_on([](ActorRef<Worker> w) -> Task<AskError> {
    co_return (co_await w.ask(Count{})).error();
  }(a)),
            AskError::kDeadActor);
}

TEST(Supervision, StoppingASupervisorStopsItsChildrenFirst) {
  TestExecutor ex;
  Journal j;
  ActorSystem system(ex);
  auto sup = system.spawn<Supervisor<RestartTwice>>(&j);
  ex.run_until_idle();
  sup.stop();
  ex.run_until_idle();
  ASSERT_EQ(j.events.size(), 5u);
  EXPECT_EQ(j.events[4], "supervisor stop stopped");
  EXPECT_EQ(system.live_actors(), 0u);
}

TEST(Supervision, ATopLevelActorRestartsUnderARestartingSystemStrategy) {
  TestExecutor ex;
  Journal j;
  ActorSystem system(ex, {.top_level = SupervisorStrategy::one_for_one(1, 10s)});
  auto w = system.spawn<Worker>(&j, std::string("w"));
  w.tell(Bump{});
  w.tell(Fail{});
  ex.run_until_idle();
  EXPECT_EQ(count_of(ex, w), 0);
  w.tell(Fail{});  // the second within the window: stops
  ex.run_until_idle();
  EXPECT_EQ(system.live_actors(), 0u);
}

// An actor whose constructor argument ends up holding a ref to the actor
// itself: the cell keeps the arguments for restarts, which would make a
// cycle if it kept them after the actor is gone.
struct SelfHolder : troupe::Actor<SelfHolder> {
  using Box = std::shared_ptr<ActorRef<SelfHolder>>;
  explicit SelfHolder(Box box) : box(std::move(box)) {}
  void handle(Bump) { ++bumps; }
  int handle(Count) { return bumps; }
  void handle(Fail) { throw std::runtime_error("fail"); }
  Box box;
  int bumps = 0;
};

TEST(Supervision, ConstructorArgumentsOutliveRestartsButNotTheActor) {
  TestExecutor ex;
  ActorSystem system(ex, {.top_level = SupervisorStrategy::one_for_one(1, 10s)});
  auto box = std::make_shared<ActorRef<SelfHolder>>();
  std::weak_ptr<ActorRef<SelfHolder>> watch = box;
  *box = system.spawn<SelfHolder>(box);
  auto ref = *box;
  box.reset();
  ref.tell(Bump{});
  ref.tell(Fail{});
  ex.run_until_idle();
  EXPECT_FALSE(watch.expired()) << "a restart makes the instance from the same arguments";
  EXPECT_EQ(ex.block_on([](ActorRef<SelfHolder> r) -> Task<int> {
    auto n = co_await r.ask(Count{});
    co_return n.value();
  }(ref)),
            0);
  ref.stop();
  ex.run_until_idle();
  EXPECT_TRUE(watch.expired()) << "the arguments (and the cycle through them) go with the actor";
  EXPECT_EQ(ref.tell(Bump{}), troupe::TellStatus::kDeadActor);
}

// --- Monitors and links -----------------------------------------------------------

struct Watcher : troupe::Actor<Watcher> {
  explicit Watcher(Journal* j) : journal(j) {}
  void handle(const ActorRef<Worker>& target) { this->monitor(target); }
  void handle(const troupe::Down& d) { journal->add("down " + d.reason.describe()); }
  Journal* journal;
};

TEST(Monitor, DownArrivesWhenTheTargetStopsWithItsReason) {
  TestExecutor ex;
  Journal j;
  ActorSystem system(ex);
  auto w = system.spawn<Worker>(&j, std::string("w"));
  auto watcher = system.spawn<Watcher>(&j);
  watcher.tell(w);
  ex.run_until_idle();
  w.tell(Fail{});  // top level, default system strategy: stops
  ex.run_until_idle();
  EXPECT_EQ(j.events.back(), "down failed: w failed");
}

TEST(Monitor, MonitoringAnActorThatIsGoneGivesDownAtOnce) {
  TestExecutor ex;
  Journal j;
  ActorSystem system(ex);
  auto w = system.spawn<Worker>(&j, std::string("w"));
  w.stop();
  ex.run_until_idle();
  auto watcher = system.spawn<Watcher>(&j);
  watcher.tell(w);
  ex.run_until_idle();
  EXPECT_EQ(j.events.back(), "down stopped");
}

struct Linker : troupe::Actor<Linker> {
  explicit Linker(Journal* j) : journal(j) {}
  void on_stop(const ExitReason& r) { journal->add("linker stop " + r.describe()); }
  void handle(const ActorRef<Worker>& other) { this->link(other); }
  Journal* journal;
};

struct TrappingLinker : troupe::Actor<TrappingLinker> {
  explicit TrappingLinker(Journal* j) : journal(j) {}
  void handle(const ActorRef<Worker>& other) { this->link(other); }
  void handle(const troupe::Exit& x) { journal->add("trapped " + x.reason.describe()); }
  Journal* journal;
};

TEST(Link, AnAbnormalExitStopsTheLinkedActor) {
  TestExecutor ex;
  Journal j;
  ActorSystem system(ex);
  auto w = system.spawn<Worker>(&j, std::string("w"));
  auto l = system.spawn<Linker>(&j);
  l.tell(w);
  ex.run_until_idle();
  w.tell(Fail{});
  ex.run_until_idle();
  EXPECT_EQ(j.events.back(), "linker stop linked: w failed");
  EXPECT_EQ(system.live_actors(), 0u);
}

TEST(Link, ANormalExitDoesNotPropagate) {
  TestExecutor ex;
  Journal j;
  ActorSystem system(ex);
  auto w = system.spawn<Worker>(&j, std::string("w"));
  auto l = system.spawn<Linker>(&j);
  l.tell(w);
  ex.run_until_idle();
  w.stop();
  ex.run_until_idle();
  EXPECT_EQ(system.live_actors(), 1u);
}

TEST(Link, AnActorThatHandlesExitTrapsIt) {
  TestExecutor ex;
  Journal j;
  ActorSystem system(ex);
  auto w = system.spawn<Worker>(&j, std::string("w"));
  auto l = system.spawn<TrappingLinker>(&j);
  l.tell(w);
  ex.run_until_idle();
  w.tell(Fail{});
  ex.run_until_idle();
  EXPECT_EQ(j.events.back(), "trapped failed: w failed");
  EXPECT_EQ(system.live_actors(), 1u);
}

}  // namespace

namespace supervision_log_test {

struct Fails : troupe::Actor<Fails> {
  void handle(int) { throw std::runtime_error("boom"); }
};

TEST(SupervisionLog, ASystemWithoutItsOwnHookReportsAFailedTopLevelActorInTheFrameworksLog) {
  std::mutex mutex;
  std::vector<std::pair<troupe::LogLevel, std::string>> got;
  troupe::set_log_hook([&](const troupe::LogRecord& r) {
    std::lock_guard lock(mutex);
    got.emplace_back(r.level, std::string(r.component) + ": " + std::string(r.message));
  });
  {
    troupe::TestExecutor ex;
    troupe::ActorSystem system(ex);
    auto a = system.spawn<Fails>();
    a.tell(1);
    ex.run_until_idle();
  }
  troupe::set_log_hook({});
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].first, troupe::LogLevel::kError);
  EXPECT_TRUE(got[0].second.starts_with("actor: ")) << got[0].second;
  EXPECT_NE(got[0].second.find("boom"), std::string::npos) << got[0].second;
}

}  // namespace supervision_log_test
