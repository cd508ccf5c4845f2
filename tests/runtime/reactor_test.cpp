#include <atomic>
#include <chrono>
#include <cstdint>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <troupe/runtime/clock.hpp>
#include <troupe/runtime/detail/reactor.hpp>

#include "test_support.hpp"

namespace {

using troupe::Clock;
using troupe::detail::IoHandler;
using troupe::detail::Reactor;
using troupe::detail::ReactorCore;

// Records what the reactor does to it; stays alive for the whole test (its
// storage is the test's), so that a late dispatch is counted, not a crash.
class RecordingHandler final : public IoHandler {
 public:
  void on_io_event(std::uint32_t events) noexcept override {
    if (released.load()) dispatched_after_release.fetch_add(1);
    this->events.fetch_or(events);
    dispatches.fetch_add(1);
  }
  void on_reactor_closed() noexcept override { closed.store(true); }
  void on_released() noexcept override {
    released.store(true);
    if (counter) {
      counter->fetch_add(1);
      counter->notify_all();
    }
  }

  std::atomic<std::uint32_t> events{0};
  std::atomic<int> dispatches{0};
  std::atomic<int> dispatched_after_release{0};
  std::atomic<bool> closed{false};
  std::atomic<bool> released{false};
  std::atomic<int>* counter = nullptr;  // bumped on release, if set
};

// A connected pair of non-blocking Unix stream sockets, closed on scope exit.
struct SocketPair {
  SocketPair() {
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fd) != 0) {
      throw std::system_error(errno, std::system_category(), "socketpair");
    }
  }
  SocketPair(const SocketPair&) = delete;
  SocketPair& operator=(const SocketPair&) = delete;
  ~SocketPair() {
    ::close(fd[0]);
    ::close(fd[1]);
  }
  void send_byte() const {
    const char c = 'x';
    ASSERT_EQ(::write(fd[1], &c, 1), 1);
  }
  int fd[2];
};

// One non-blocking round: dispatch whatever is ready now.
void poll_now(Reactor& r) {
  const auto now = Clock::now();
  r.poll(now, now);
}

TEST(Reactor, PollWithoutDeadlineReturnsWhenInterrupted) {
  Reactor r;
  r.interrupt();
  // Would block forever if the interrupt that came before the poll were
  // lost: a second one, after the fail-fast deadline, rescues it.
  EXPECT_TRUE(troupe::test::returns_within(
      troupe::test::kFailFast, [&] { r.poll(std::nullopt, Clock::now()); }, [&] { r.interrupt(); }))
      << "the interrupt that came before poll() was lost";
}

// The kernel's view of thread `tid` of this process: true while it is
// blocked in epoll_wait (its /proc syscall file names the call it waits in,
// or says "running").
bool rt_blocked_in_epoll_wait(pid_t tid) {
  std::ifstream f("/proc/self/task/" + std::to_string(tid) + "/syscall");
  long nr = -1;
  f >> nr;
  return f && (nr == SYS_epoll_wait || nr == SYS_epoll_pwait);
}

TEST(Reactor, InterruptFromAnotherThreadWakesABlockedPoll) {
  SocketPair p;  // registered only to rescue a poll the interrupt fails to end
  RecordingHandler h;
  Reactor r;  // after its handler: closing it still reaches the registration
  ASSERT_FALSE(r.add(p.fd[0], h));
  poll_now(r);  // consumes the add's event (writable): the next poll blocks
  std::atomic<pid_t> tid{0};
  troupe::test::Countdown returned(1);
  std::thread driver([&] {
    tid.store(::gettid());
    r.poll(std::nullopt, Clock::now());
    returned.count_down();
  });
  // The interrupt must land while the poll is blocked in the kernel, not
  // before it started: wait until the kernel says so.
  const auto deadline = std::chrono::steady_clock::now() + troupe::test::kFailFast;
  bool blocked = false;
  while (!blocked && std::chrono::steady_clock::now() < deadline) {
    blocked = tid.load() != 0 && rt_blocked_in_epoll_wait(tid.load());
    if (!blocked) std::this_thread::yield();
  }
  r.interrupt();
  const bool woke = returned.wait_for();
  if (!woke) p.send_byte();  // rescue: a readable socket ends the poll
  driver.join();
  EXPECT_TRUE(blocked) << "the poll never blocked in epoll_wait";
  EXPECT_TRUE(woke) << "the interrupt did not wake the blocked poll";
  EXPECT_EQ(h.dispatches.load(), 1) << "woken by the socket, not by the interrupt";
}

TEST(Reactor, PollWithoutEventsReturnsAtItsDeadline) {
  Reactor r;
  const auto start = Clock::now();
  r.poll(start + std::chrono::milliseconds(20), start);
  EXPECT_GE(Clock::now() - start, std::chrono::milliseconds(20));
}

TEST(Reactor, AddedHandlerReceivesEdgeTriggeredEventsForItsFd) {
  Reactor r;
  SocketPair p;
  RecordingHandler h;
  ASSERT_FALSE(r.add(p.fd[0], h));
  EXPECT_EQ(r.registrations(), 1u);

  poll_now(r);  // the add reports the current state: writable
  EXPECT_TRUE(h.events.load() & EPOLLOUT);
  EXPECT_FALSE(h.events.load() & EPOLLIN);

  h.events.store(0);
  const int before = h.dispatches.load();
  poll_now(r);  // no new edge, no event
  EXPECT_EQ(h.dispatches.load(), before);

  p.send_byte();
  poll_now(r);
  EXPECT_TRUE(h.events.load() & EPOLLIN);

  h.events.store(0);
  ::close(p.fd[1]);
  p.fd[1] = -1;
  poll_now(r);
  EXPECT_TRUE(h.events.load() & EPOLLRDHUP);
  r.remove(p.fd[0], h);
  poll_now(r);
}

TEST(Reactor, AddingAnInvalidFdFailsWithItsErrno) {
  Reactor r;
  RecordingHandler h;
  EXPECT_EQ(r.add(-1, h), std::errc::bad_file_descriptor);
  EXPECT_EQ(r.registrations(), 0u);
}

TEST(Reactor, RemovedHandlerIsReleasedByTheNextPollNotBefore) {
  Reactor r;
  SocketPair p;
  RecordingHandler h;
  ASSERT_FALSE(r.add(p.fd[0], h));
  r.remove(p.fd[0], h);
  EXPECT_EQ(r.registrations(), 0u);
  EXPECT_FALSE(h.released.load());  // the driver might be dispatching to it
  p.send_byte();
  poll_now(r);
  EXPECT_TRUE(h.released.load());
  EXPECT_EQ(h.dispatches.load(), 0);  // removed before this round's epoll_wait
}

TEST(Reactor, AHandlerThatWasNeverAddedIsReleasedAtOnceByRemove) {
  Reactor r;
  RecordingHandler h;
  r.remove(-1, h);
  EXPECT_TRUE(h.released.load());
}

TEST(Reactor, DestructionReleasesRetiredHandlersAndClosesLiveOnes) {
  SocketPair p;
  RecordingHandler retired;
  RecordingHandler live;
  std::shared_ptr<ReactorCore> core;
  {
    Reactor r;
    core = r.core();
    ASSERT_FALSE(r.add(p.fd[0], retired));
    ASSERT_FALSE(r.add(p.fd[1], live));
    r.remove(p.fd[0], retired);
    EXPECT_FALSE(core->closed());
  }
  EXPECT_TRUE(core->closed());
  EXPECT_TRUE(retired.released.load());
  EXPECT_FALSE(retired.closed.load());
  EXPECT_TRUE(live.closed.load());
  EXPECT_FALSE(live.released.load());

  // A registration that outlives its reactor can still leave, at once.
  core->remove(p.fd[1], live);
  EXPECT_TRUE(live.released.load());
  EXPECT_EQ(core->registrations(), 0u);
}

TEST(Reactor, AddAfterTheReactorIsGoneFailsWithOperationCanceled) {
  SocketPair p;
  RecordingHandler h;
  std::shared_ptr<ReactorCore> core = Reactor().core();
  EXPECT_EQ(core->add(p.fd[0], h), std::errc::operation_canceled);
  EXPECT_EQ(core->registrations(), 0u);
}

TEST(Reactor, ABatchOfRemovalsInterruptsTheDriversWaitSoTheyAreReleased) {
  Reactor r;
  constexpr int kHandlers = 32;  // ReactorCore::kRetireBatch
  std::vector<std::unique_ptr<SocketPair>> pairs;
  std::vector<std::unique_ptr<RecordingHandler>> handlers;
  for (int i = 0; i < kHandlers; ++i) {
    pairs.push_back(std::make_unique<SocketPair>());
    handlers.push_back(std::make_unique<RecordingHandler>());
    ASSERT_FALSE(r.add(pairs.back()->fd[0], *handlers.back()));
  }
  poll_now(r);  // drain the "writable" events of the adds
  for (int i = 0; i < kHandlers; ++i) r.remove(pairs[i]->fd[0], *handlers[i]);
  // Nothing else is pending: without the batch's interrupt this would block.
  r.poll(std::nullopt, Clock::now());
  for (auto& h : handlers) EXPECT_TRUE(h->released.load());
}

TEST(Reactor, RemovingWhileTheDriverDispatchesNeverDispatchesToAReleasedHandler) {
  Reactor r;
  std::atomic<bool> stop{false};
  std::thread driver([&] {
    while (!stop.load()) r.poll(Clock::now() + std::chrono::milliseconds(1), Clock::now());
  });
  constexpr int kRounds = 2000;
  std::vector<std::unique_ptr<RecordingHandler>> handlers;
  std::atomic<int> released{0};
  for (int i = 0; i < kRounds; ++i) {
    SocketPair p;
    handlers.push_back(std::make_unique<RecordingHandler>());
    RecordingHandler& h = *handlers.back();
    h.counter = &released;
    ASSERT_FALSE(r.add(p.fd[0], h));
    p.send_byte();  // an event the driver may be dispatching right now
    r.remove(p.fd[0], h);
  }
  for (int n = released.load(); n < kRounds; n = released.load()) released.wait(n);
  stop.store(true);
  r.interrupt();
  driver.join();
  int late = 0;
  for (auto& h : handlers) late += h->dispatched_after_release.load();
  EXPECT_EQ(late, 0);
}

}  // namespace
