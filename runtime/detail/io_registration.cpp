#include <memory>
#include <new>
#include <system_error>
#include <utility>

#include <sys/epoll.h>
#include <unistd.h>

#include <troupe/runtime/detail/io_registration.hpp>

namespace troupe::detail {

namespace {
std::uint32_t to_bits(std::uint32_t events) noexcept {
  std::uint32_t bits = 0;
  if (events & EPOLLIN) bits |= IoRegistration::kReadable;
  if (events & EPOLLOUT) bits |= IoRegistration::kWritable;
  if (events & EPOLLRDHUP) bits |= IoRegistration::kReadClosed;
  if (events & EPOLLHUP) bits |= IoRegistration::kReadClosed | IoRegistration::kWriteClosed;
  if (events & EPOLLERR) bits |= IoRegistration::kError;
  return bits;
}
}  // namespace

std::error_code IoRegistration::add() noexcept {
  std::error_code ec = core_->add(fd_, *this);
  if (ec) close_with(ec);
  return ec;
}

void IoRegistration::deregister() noexcept {
  // `remove` may delete this (and with it core_) before it returns.
  std::shared_ptr<ReactorCore> core = core_;
  core->remove(fd_, *this);
}

Readiness IoRegistration::poll_ready(Direction dir, Context& cx, ReadyEvent& ev,
                                     const WakeTarget*& waiter) noexcept {
  const std::uint64_t mask = interest(dir);
  auto check = [&](std::uint64_t word) {
    if (word & kClosed) return Readiness::kClosed;
    if (!(word & mask)) return Readiness::kPending;
    ev.tick = word / kTickOne;
    ev.ready = static_cast<std::uint32_t>(word & mask);
    return Readiness::kReady;
  };
  Readiness r = check(state_.load(std::memory_order_acquire));
  if (r != Readiness::kPending) return r;
  Waker replaced;  // dropped outside the lock: releasing a task can run arbitrary code
  {
    std::lock_guard lock(mutex_);
    Waker& w = slot(dir);
    if (!cx.will_wake(w)) {
      replaced = std::exchange(w, cx.waker());
    }
    waiter = &cx.task();
    // Re-check under the lock: the driver publishes readiness before it
    // takes the wakers (under this lock), so either it sees our waker or we
    // see its readiness.
    r = check(state_.load(std::memory_order_acquire));
  }
  return r;
}

void IoRegistration::clear_readiness(const ReadyEvent& ev) noexcept {
  const std::uint64_t clear = ev.ready & ~(kReadClosed | kWriteClosed);
  std::uint64_t cur = state_.load(std::memory_order_acquire);
  while (cur / kTickOne == ev.tick) {
    if (state_.compare_exchange_weak(cur, cur & ~clear, std::memory_order_acq_rel,
                                     std::memory_order_acquire)) {
      return;
    }
  }
}

void IoRegistration::forget_waker(Direction dir, const WakeTarget* waiter) noexcept {
  Waker dropped;
  {
    std::lock_guard lock(mutex_);
    Waker& w = slot(dir);
    if (w.will_wake(waiter)) dropped.swap(w);
  }
}

void IoRegistration::on_io_event(std::uint32_t epoll_events) noexcept {
  const std::uint64_t bits = to_bits(epoll_events);
  std::uint64_t cur = state_.load(std::memory_order_relaxed);
  // The tick wraps around in the top 48 bits; the ready bits are kept.
  while (!state_.compare_exchange_weak(cur, (cur | bits) + kTickOne, std::memory_order_acq_rel,
                                       std::memory_order_relaxed)) {
  }
  Waker reader;
  Waker writer;
  {
    std::lock_guard lock(mutex_);
    if (bits & interest(Direction::kRead)) reader.swap(reader_);
    if (bits & interest(Direction::kWrite)) writer.swap(writer_);
  }
  reader.wake_and_reset();
  writer.wake_and_reset();
}

void IoRegistration::on_reactor_closed() noexcept {
  // Under the reactor's lock: wake, but keep the wakers (see IoHandler).
  closed_error_ = std::make_error_code(std::errc::operation_canceled);
  state_.fetch_or(kClosed, std::memory_order_acq_rel);
  std::lock_guard lock(mutex_);
  reader_.wake();
  writer_.wake();
}

void IoRegistration::close_with(std::error_code ec) noexcept {
  closed_error_ = ec;
  state_.fetch_or(kClosed, std::memory_order_acq_rel);
  Waker reader;
  Waker writer;
  {
    std::lock_guard lock(mutex_);
    reader.swap(reader_);
    writer.swap(writer_);
  }
  reader.wake_and_reset();
  writer.wake_and_reset();
}

IoSource::IoSource(IoSource&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)),
      reg_(other.reg_.exchange(nullptr, std::memory_order_acq_rel)) {}

IoSource& IoSource::operator=(IoSource&& other) noexcept {
  if (this != &other) {
    reset();
    fd_ = std::exchange(other.fd_, -1);
    reg_.store(other.reg_.exchange(nullptr, std::memory_order_acq_rel), std::memory_order_release);
  }
  return *this;
}

void IoSource::reset() noexcept {
  if (IoRegistration* r = reg_.exchange(nullptr, std::memory_order_acq_rel)) r->deregister();
  if (fd_ >= 0) ::close(std::exchange(fd_, -1));
}

std::error_code IoSource::register_with(Reactor& reactor) noexcept {
  if (registered()) return {};
  auto* fresh = new (std::nothrow) IoRegistration(reactor.core(), fd_);
  if (fresh == nullptr) return std::make_error_code(std::errc::not_enough_memory);
  IoRegistration* expected = nullptr;
  if (!reg_.compare_exchange_strong(expected, fresh, std::memory_order_acq_rel,
                                    std::memory_order_acquire)) {
    // Another direction's task registered first (never added: ours to free).
    fresh->on_released();
    return {};
  }
  // Published before it is added: a task of the other direction may already
  // wait on it; an event or a failed add wakes it.
  return fresh->add();
}

Readiness IoSource::poll_ready(Direction dir, Context& cx, ReadyEvent& ev,
                               const WakeTarget*& waiter, std::error_code& ec) noexcept {
  IoRegistration* r = reg_.load(std::memory_order_acquire);
  if (r == nullptr) {
    Reactor* reactor = cx.scheduler().reactor();
    if (reactor == nullptr) {
      ec = std::make_error_code(std::errc::operation_not_supported);
      return Readiness::kClosed;
    }
    if ((ec = register_with(*reactor))) return Readiness::kClosed;
    r = reg_.load(std::memory_order_acquire);
  }
  const Readiness res = r->poll_ready(dir, cx, ev, waiter);
  if (res == Readiness::kClosed) ec = r->closed_error();
  return res;
}

}  // namespace troupe::detail
