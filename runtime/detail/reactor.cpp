#include <cerrno>
#include <chrono>
#include <cstdint>
#include <system_error>
#include <utility>
#include <vector>

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <troupe/runtime/detail/reactor.hpp>

namespace troupe::detail {

namespace {
void signal_eventfd(int fd) noexcept {
  const std::uint64_t one = 1;
  // A full counter (EAGAIN) already means "interrupted": nothing to do.
  [[maybe_unused]] auto n = ::write(fd, &one, sizeof one);
}
}  // namespace

std::error_code ReactorCore::add(int fd, IoHandler& h) noexcept {
  std::lock_guard lock(mutex_);
  if (epoll_fd_ < 0) return std::make_error_code(std::errc::operation_canceled);
  h.armed_.store(true, std::memory_order_release);
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
  ev.data.ptr = &h;
  if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev) != 0) {
    const int err = errno;
    h.armed_.store(false, std::memory_order_relaxed);
    return {err, std::system_category()};
  }
  h.linked_ = true;
  h.prev_ = nullptr;
  h.next_ = live_;
  if (live_) live_->prev_ = &h;
  live_ = &h;
  ++live_count_;
  return {};
}

void ReactorCore::remove(int fd, IoHandler& h) noexcept {
  {
    std::lock_guard lock(mutex_);
    if (h.linked_) {
      h.linked_ = false;
      if (h.prev_) {
        h.prev_->next_ = h.next_;
      } else {
        live_ = h.next_;
      }
      if (h.next_) h.next_->prev_ = h.prev_;
      h.prev_ = h.next_ = nullptr;
      --live_count_;
      if (epoll_fd_ >= 0) {
        ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
        retired_.push_back(&h);
        // The driver may sleep for long without I/O; do not let a pile of
        // closed sockets wait for it.
        if (retired_.size() % kRetireBatch == 0) signal_eventfd(event_fd_);
        return;
      }
    }
  }
  // Never added, or the reactor is gone (and its driver with it): nobody
  // else can be looking at `h`. Nothing of `this` is touched from here on,
  // since releasing `h` may drop the last reference to this core.
  h.on_released();
}

std::size_t ReactorCore::registrations() const {
  std::lock_guard lock(mutex_);
  return live_count_;
}

std::vector<IoHandler*> ReactorCore::close() noexcept {
  std::lock_guard lock(mutex_);
  epoll_fd_ = -1;
  event_fd_ = -1;
  // Registrations that outlive the reactor learn that nothing will wake
  // them any more; their later remove() releases them at once.
  for (IoHandler* h = live_; h; h = h->next_) h->on_reactor_closed();
  return std::exchange(retired_, {});
}

std::vector<IoHandler*> ReactorCore::take_retired() noexcept {
  std::lock_guard lock(mutex_);
  return std::exchange(retired_, {});
}

bool ReactorCore::closed() const {
  std::lock_guard lock(mutex_);
  return epoll_fd_ < 0;
}

Reactor::Reactor() : core_(std::make_shared<ReactorCore>()) {
  epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
  if (epoll_fd_ < 0) throw std::system_error(errno, std::system_category(), "epoll_create1");
  event_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (event_fd_ < 0) {
    ::close(epoll_fd_);
    throw std::system_error(errno, std::system_category(), "eventfd");
  }
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.ptr = nullptr;  // the interrupt
  if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, event_fd_, &ev) != 0) {
    const int err = errno;
    ::close(event_fd_);
    ::close(epoll_fd_);
    throw std::system_error(err, std::system_category(), "epoll_ctl(eventfd)");
  }
  core_->epoll_fd_ = epoll_fd_;
  core_->event_fd_ = event_fd_;
}

Reactor::~Reactor() {
  // No driver polls any more (the Executor joined it before destroying us).
  for (IoHandler* h : core_->close()) h->on_released();
  ::close(event_fd_);
  ::close(epoll_fd_);
}

void Reactor::interrupt() noexcept { signal_eventfd(event_fd_); }

int Reactor::poll(std::optional<Instant> deadline, Instant now) {
  // The handlers retired before this point were deregistered before this
  // round's epoll_wait, and every event of the previous round has been
  // dispatched: nothing can reach them any more.
  for (IoHandler* h : core_->take_retired()) h->on_released();

  int timeout_ms = -1;
  if (deadline) {
    if (*deadline <= now) {
      timeout_ms = 0;
    } else {
      // Round up: waking before the deadline would only loop once more.
      auto ms = std::chrono::ceil<std::chrono::milliseconds>(*deadline - now).count();
      timeout_ms = ms > 1'000'000 ? 1'000'000 : static_cast<int>(ms);
    }
  }
  epoll_event events[128];
  const int n = ::epoll_wait(epoll_fd_, events, 128, timeout_ms);
  int dispatched = 0;
  for (int i = 0; i < n; ++i) {
    if (events[i].data.ptr == nullptr) {
      std::uint64_t drained;
      [[maybe_unused]] auto r = ::read(event_fd_, &drained, sizeof drained);
      continue;
    }
    static_cast<IoHandler*>(events[i].data.ptr)->dispatch(events[i].events);
    ++dispatched;
  }
  return dispatched;
}

}  // namespace troupe::detail
