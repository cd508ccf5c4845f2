#include <cstdint>
#include <memory>
#include <optional>
#include <system_error>
#include <utility>

#include <gtest/gtest.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <troupe/runtime/context.hpp>
#include <troupe/runtime/detail/io_registration.hpp>
#include <troupe/runtime/detail/reactor.hpp>
#include <troupe/runtime/runtime.hpp>
#include <troupe/runtime/test_executor.hpp>

#include "test_support.hpp"

namespace {

using troupe::Context;
using troupe::IoResult;
using troupe::Runtime;
using troupe::Task;
using troupe::detail::Direction;
using troupe::detail::IoRegistration;
using troupe::detail::IoSource;
using troupe::detail::Reactor;
using troupe::detail::Readiness;
using troupe::detail::ReadyEvent;
using troupe::detail::WakeTarget;
using troupe::test::ProbeTask;

// A registration driven by hand: the test plays the driver thread by
// calling on_io_event, and the probes play the waiting tasks.
class IoRegistrationTest : public ::testing::Test {
 protected:
  ~IoRegistrationTest() override { reg->deregister(); }  // never added: freed at once

  Readiness poll(ProbeTask& task, Direction dir, ReadyEvent& ev) {
    Context cx(task);
    const WakeTarget* waiter = nullptr;
    return reg->poll_ready(dir, cx, ev, waiter);
  }
  Readiness poll(ProbeTask& task, Direction dir) {
    ReadyEvent ev;
    return poll(task, dir, ev);
  }

  ProbeTask reader;  // declared first: outlive the wakers the registration holds
  ProbeTask writer;
  Reactor reactor;
  IoRegistration* reg = new IoRegistration(reactor.core(), -1);
};

TEST_F(IoRegistrationTest, PollIsPendingUntilAnEventWhichWakesTheWaiter) {
  EXPECT_EQ(poll(reader, Direction::kRead), Readiness::kPending);
  EXPECT_EQ(reader.wakes(), 0);
  reg->on_io_event(EPOLLIN);
  EXPECT_EQ(reader.wakes(), 1);
  ReadyEvent ev;
  ASSERT_EQ(poll(reader, Direction::kRead, ev), Readiness::kReady);
  EXPECT_TRUE(ev.ready & IoRegistration::kReadable);
}

TEST_F(IoRegistrationTest, AnEventWakesOnlyTheWaiterOfItsDirection) {
  EXPECT_EQ(poll(reader, Direction::kRead), Readiness::kPending);
  EXPECT_EQ(poll(writer, Direction::kWrite), Readiness::kPending);
  reg->on_io_event(EPOLLOUT);
  EXPECT_EQ(writer.wakes(), 1);
  EXPECT_EQ(reader.wakes(), 0);
  EXPECT_EQ(poll(reader, Direction::kRead), Readiness::kPending);
  EXPECT_EQ(poll(writer, Direction::kWrite), Readiness::kReady);
}

TEST_F(IoRegistrationTest, ClearingWithAStaleTickKeepsTheEventThatArrivedMeanwhile) {
  reg->on_io_event(EPOLLIN);
  ReadyEvent seen;
  ASSERT_EQ(poll(reader, Direction::kRead, seen), Readiness::kReady);
  reg->on_io_event(EPOLLIN);   // new data after the read saw readiness...
  reg->clear_readiness(seen);  // ...and before its EAGAIN is reported
  ReadyEvent now;
  ASSERT_EQ(poll(reader, Direction::kRead, now), Readiness::kReady);
  EXPECT_NE(now.tick, seen.tick);
  reg->clear_readiness(now);
  EXPECT_EQ(poll(reader, Direction::kRead), Readiness::kPending);
}

TEST_F(IoRegistrationTest, ClearingOneDirectionLeavesTheOtherReady) {
  reg->on_io_event(EPOLLIN | EPOLLOUT);
  ReadyEvent read;
  ASSERT_EQ(poll(reader, Direction::kRead, read), Readiness::kReady);
  reg->clear_readiness(read);
  EXPECT_EQ(poll(reader, Direction::kRead), Readiness::kPending);
  EXPECT_EQ(poll(writer, Direction::kWrite), Readiness::kReady);
}

TEST_F(IoRegistrationTest, ThePeerClosingStaysReadableEvenAfterClearing) {
  reg->on_io_event(EPOLLIN | EPOLLRDHUP);
  ReadyEvent ev;
  ASSERT_EQ(poll(reader, Direction::kRead, ev), Readiness::kReady);
  reg->clear_readiness(ev);
  ASSERT_EQ(poll(reader, Direction::kRead, ev), Readiness::kReady);
  EXPECT_EQ(ev.ready, IoRegistration::kReadClosed);
}

TEST_F(IoRegistrationTest, AnErrorMakesBothDirectionsReady) {
  EXPECT_EQ(poll(reader, Direction::kRead), Readiness::kPending);
  EXPECT_EQ(poll(writer, Direction::kWrite), Readiness::kPending);
  reg->on_io_event(EPOLLERR);
  EXPECT_EQ(reader.wakes(), 1);
  EXPECT_EQ(writer.wakes(), 1);
  EXPECT_EQ(poll(reader, Direction::kRead), Readiness::kReady);
  EXPECT_EQ(poll(writer, Direction::kWrite), Readiness::kReady);
}

TEST_F(IoRegistrationTest, ForgetWakerDropsTheWakerOfThatTaskOnly) {
  EXPECT_EQ(poll(reader, Direction::kRead), Readiness::kPending);
  const auto refs_waiting = reader.refs();
  reg->forget_waker(Direction::kRead, &writer);  // not its waker: kept
  EXPECT_EQ(reader.refs(), refs_waiting);
  reg->forget_waker(Direction::kRead, &reader);
  EXPECT_EQ(reader.refs(), refs_waiting - 1);
  reg->on_io_event(EPOLLIN);
  EXPECT_EQ(reader.wakes(), 0);
}

TEST_F(IoRegistrationTest, ASecondPollByTheSameTaskKeepsOneWaker) {
  EXPECT_EQ(poll(reader, Direction::kRead), Readiness::kPending);
  const auto refs_waiting = reader.refs();
  EXPECT_EQ(poll(reader, Direction::kRead), Readiness::kPending);
  EXPECT_EQ(reader.refs(), refs_waiting);
}

TEST_F(IoRegistrationTest, AFailedAddClosesItWithTheError) {
  EXPECT_EQ(poll(reader, Direction::kRead), Readiness::kPending);
  EXPECT_EQ(reg->add(), std::errc::bad_file_descriptor);  // fd -1
  EXPECT_EQ(reader.wakes(), 1);
  EXPECT_EQ(poll(reader, Direction::kRead), Readiness::kClosed);
  EXPECT_EQ(reg->closed_error(), std::errc::bad_file_descriptor);
}

TEST(IoRegistration, DestroyingTheReactorWakesWaitersWithOperationCanceled) {
  ProbeTask reader;
  int fds[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds), 0);
  IoRegistration* reg;
  {
    Reactor reactor;
    reg = new IoRegistration(reactor.core(), fds[0]);
    ASSERT_FALSE(reg->add());
    Context cx(reader);
    ReadyEvent ev;
    const WakeTarget* waiter = nullptr;
    EXPECT_EQ(reg->poll_ready(Direction::kRead, cx, ev, waiter), Readiness::kPending);
  }
  EXPECT_EQ(reader.wakes(), 1);
  Context cx(reader);
  ReadyEvent ev;
  const WakeTarget* waiter = nullptr;
  EXPECT_EQ(reg->poll_ready(Direction::kRead, cx, ev, waiter), Readiness::kClosed);
  EXPECT_EQ(reg->closed_error(), std::errc::operation_canceled);
  reg->deregister();
  ::close(fds[0]);
  ::close(fds[1]);
}

// --- IoSource and the readiness futures, on a real runtime -----------------

struct Pair {
  Pair() {
    int fds[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds) != 0) {
      throw std::system_error(errno, std::system_category(), "socketpair");
    }
    a = IoSource(fds[0]);
    b = IoSource(fds[1]);
  }
  IoSource a;
  IoSource b;
};

Task<IoResult<ReadyEvent>> wait_readable(IoSource& io) {
  co_return co_await troupe::detail::readable(io);
}
Task<IoResult<ReadyEvent>> wait_writable(IoSource& io) {
  co_return co_await troupe::detail::writable(io);
}

TEST(IoSource, ReadableCompletesOnceThePeerWrites) {
  Runtime rt({.workers = 2});
  Pair p;
  auto waiting = rt.spawn(wait_readable(p.a));
  const char c = 'x';
  ASSERT_EQ(::write(p.b.fd(), &c, 1), 1);
  IoResult<ReadyEvent> ev = waiting.wait();
  ASSERT_TRUE(ev.has_value()) << ev.error().message();
  EXPECT_TRUE(ev->ready & IoRegistration::kReadable);
  EXPECT_TRUE(p.a.registered());
}

TEST(IoSource, TasksOfBothDirectionsShareOneLazyRegistration) {
  Runtime rt({.workers = 2});
  Pair p;
  auto reading = rt.spawn(wait_readable(p.a));
  auto writing = rt.spawn(wait_writable(p.a));
  EXPECT_TRUE(writing.wait().has_value());
  const char c = 'x';
  ASSERT_EQ(::write(p.b.fd(), &c, 1), 1);
  EXPECT_TRUE(reading.wait().has_value());
  EXPECT_EQ(rt.scheduler().reactor()->registrations(), 1u);
  p.a.reset();
  EXPECT_EQ(rt.scheduler().reactor()->registrations(), 0u);
}

// Registers a fresh source, makes the driver dispatch an event to it, and
// destroys it at once, over and over: the deregistration races with the
// dispatch, which must never touch a freed registration (ASan/TSan check).
Task<int> churn(int rounds) {
  int registered = 0;
  for (int i = 0; i < rounds; ++i) {
    Pair p;
    // Bound first: g++ 12.2 miscompiles a co_await in an if condition.
    const bool writable = (co_await troupe::detail::writable(p.a)).has_value();
    if (writable && p.a.registered()) ++registered;
    const char c = 'x';
    if (::write(p.b.fd(), &c, 1) != 1) co_return -1;
  }
  co_return registered;
}

TEST(IoSource, DestroyingSourcesWhileTheDriverDispatchesTheirEventsIsSafe) {
  Runtime rt({.workers = 2});
  auto a = rt.spawn(churn(500));
  auto b = rt.spawn(churn(500));
  EXPECT_EQ(a.wait(), 500);
  EXPECT_EQ(b.wait(), 500);
  EXPECT_EQ(rt.scheduler().reactor()->registrations(), 0u);
}

TEST(IoSource, WaitingOnASchedulerWithoutReactorFailsWithOperationNotSupported) {
  troupe::TestExecutor ex;
  Pair p;
  EXPECT_EQ(ex.block_on(wait_readable(p.a)).error(), std::errc::operation_not_supported);
  EXPECT_FALSE(p.a.registered());
}

}  // namespace
