#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include <troupe/channels/mpsc.hpp>
#include <troupe/runtime/clock.hpp>
#include <troupe/runtime/join_handle.hpp>
#include <troupe/runtime/task.hpp>

#include "chat/client_link.hpp"

namespace chat {

/// The outgoing side of one client connection: a bounded queue of lines and
/// a writer task that drains it into the socket, several lines per write.
///
/// The bound is the slow-client policy's threshold: a client that does not
/// read fills the kernel's buffers, then this queue, and push() reports
/// kFull instead of letting lines pile up; the session then drops the
/// connection (abort). Nobody else ever waits on a slow client: producers
/// only try_send.
///
/// Owned by the session. push is thread-safe (the queue is an MPSC
/// channel); close and abort are for the owner's task only, once. Must be
/// created inside a task (it spawns the writer on the current runtime).
class Outbox {
 public:
  enum class Push { kQueued, kFull, kClosed };

  Outbox(std::shared_ptr<ClientLink> link, std::size_t max_backlog);
  Outbox(const Outbox&) = delete;
  Outbox& operator=(const Outbox&) = delete;
  /// Cancels the writer if close or abort did not end it.
  ~Outbox();

  /// Queues `line` (CR LF is added; it is cut to 510 bytes first). kFull:
  /// the backlog is at its limit and nothing was queued. kClosed: the
  /// writer has stopped (the connection failed); the line is dropped.
  Push push(std::string_view line);
  /// Queues `text` as it is: one or more lines, each already ending in
  /// CR LF (and within the length limit). One item of the backlog.
  Push push_wire(std::string text);
  /// Lines queued and not yet taken by the writer.
  std::size_t backlog() const noexcept { return tx_.size(); }

  /// Lets the writer send what is queued, for at most `grace`, then shuts
  /// the socket down (the reader then sees the end too).
  troupe::Task<void> close(troupe::Duration grace);
  /// Drops the backlog, tries to send `last_line` within `grace` (a slow
  /// client may never read it), then shuts the socket down.
  troupe::Task<void> abort(std::string last_line, troupe::Duration grace);

 private:
  troupe::Task<void> stop_writer();

  std::shared_ptr<ClientLink> link_;
  troupe::MpscSender<std::string> tx_;
  troupe::JoinHandle<void> writer_;
  bool writer_done_ = false;
};

}  // namespace chat
