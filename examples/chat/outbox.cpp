#include "chat/outbox.hpp"

#include <span>
#include <utility>
#include <vector>

#include <troupe/channels/stream/ready_chunks.hpp>
#include <troupe/runtime/select.hpp>
#include <troupe/runtime/sleep.hpp>
#include <troupe/runtime/spawn.hpp>

#include "chat/irc_message.hpp"

namespace chat {

namespace {

// Up to this many queued lines go out in one write: fewer system calls
// when a busy room fans out to this client.
constexpr std::size_t kLinesPerWrite = 64;

troupe::Task<void> write_loop(std::shared_ptr<ClientLink> link,
                              troupe::MpscReceiver<std::string> rx) {
  auto batches = troupe::stream::ready_chunks(std::move(rx), kLinesPerWrite);
  std::string bytes;
  while (auto batch = co_await batches.next()) {
    bytes.clear();
    for (const std::string& line : *batch) bytes += line;
    const auto written = co_await link->write_all(std::as_bytes(std::span(bytes)));
    if (!written) {
      // The peer is gone: make the reader see the end as well.
      link->shutdown();
      co_return;
    }
  }
}

}  // namespace

Outbox::Outbox(std::shared_ptr<ClientLink> link, std::size_t max_backlog) : link_(std::move(link)) {
  auto [tx, rx] = troupe::channel::mpsc::bounded<std::string>(max_backlog);
  tx_ = std::move(tx);
  writer_ = troupe::spawn(write_loop(link_, std::move(rx)));
}

Outbox::~Outbox() {
  if (!writer_done_) writer_.cancel();
}

Outbox::Push Outbox::push(std::string_view line) {
  std::string framed;
  line = line.substr(0, irc::kMaxLineLength);
  framed.reserve(line.size() + 2);
  framed += line;
  framed += "\r\n";
  return push_wire(std::move(framed));
}

Outbox::Push Outbox::push_wire(std::string text) {
  auto sent = tx_.try_send(std::move(text));
  if (sent) return Push::kQueued;
  return sent.is_full() ? Push::kFull : Push::kClosed;
}

troupe::Task<void> Outbox::stop_writer() {
  writer_.cancel();
  try {
    co_await writer_;
  } catch (const troupe::TaskCancelled&) {
    // What we asked for.
  }
  writer_done_ = true;
}

troupe::Task<void> Outbox::close(troupe::Duration grace) {
  if (writer_done_) co_return;
  tx_.close();  // the writer ends once it has written what is queued
  auto flushed = co_await troupe::select(writer_, troupe::sleep_for(grace));
  if (flushed.index() == 0) {
    writer_done_ = true;
  } else {
    co_await stop_writer();
  }
  link_->shutdown();
}

troupe::Task<void> Outbox::abort(std::string last_line, troupe::Duration grace) {
  if (!writer_done_) co_await stop_writer();
  // The writer may have been cut off inside a line: end it first, so the
  // ERROR line reads as one.
  const std::string bytes = "\r\n" + last_line + "\r\n";
  auto write = link_->write_all(std::as_bytes(std::span(bytes)));
  (void)co_await troupe::select(std::move(write), troupe::sleep_for(grace));
  link_->shutdown();
}

}  // namespace chat
