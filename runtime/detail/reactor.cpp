#include <cerrno>
#include <chrono>
#include <cstdint>
#include <system_error>

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <troupe/runtime/detail/reactor.hpp>

namespace troupe::detail {

Reactor::Reactor() {
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
}

Reactor::~Reactor() {
  ::close(event_fd_);
  ::close(epoll_fd_);
}

std::error_code Reactor::add(int fd, IoHandler& handler) noexcept {
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
  ev.data.ptr = &handler;
  if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev) != 0) {
    return {errno, std::system_category()};
  }
  return {};
}

void Reactor::remove(int fd) noexcept { ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr); }

void Reactor::interrupt() noexcept {
  const std::uint64_t one = 1;
  // A full counter (EAGAIN) already means "interrupted": nothing to do.
  [[maybe_unused]] auto n = ::write(event_fd_, &one, sizeof one);
}

void Reactor::poll(std::optional<Instant> deadline, Instant now) {
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
  for (int i = 0; i < n; ++i) {
    if (events[i].data.ptr == nullptr) {
      std::uint64_t drained;
      [[maybe_unused]] auto r = ::read(event_fd_, &drained, sizeof drained);
      continue;
    }
    static_cast<IoHandler*>(events[i].data.ptr)->on_io_event(events[i].events);
  }
}

}  // namespace troupe::detail
