#pragma once

#include <cstddef>
#include <stdexcept>
#include <utility>

#include <troupe/channels/detail/mpsc_core.hpp>
#include <troupe/channels/mpsc_receiver.hpp>
#include <troupe/channels/sender.hpp>

namespace troupe {

/// The sending side of an ordered channel: the same Sender as for MPMC
/// channels (send, try_send, send_blocking, close; clonable, thread-safe),
/// over the ordered core.
template <class T>
using MpscSender = Sender<T, detail::MpscCore<T>>;

}  // namespace troupe

/// Ordered multi-producer single-consumer channels: what actor mailboxes
/// are made of.
///
///   auto [tx, rx] = troupe::channel::mpsc::unbounded<Msg>();
///   tx.try_send(m1); tx.try_send(m2);          // from any threads and tasks
///   while (auto m = co_await rx.recv()) ...    // m1 before m2, always
///
/// Per-sender FIFO: two sends where the first finished before the second
/// began (one task sending twice, even if it moved to another worker thread
/// in between) are received in that order. The MPMC channels do not promise
/// this (their queue is FIFO per thread only).
///
/// Cost: a few words while idle, one allocation per item (its node). The
/// sender side has the MPMC channels' interface and semantics (closing,
/// backpressure on a bounded channel, values handed back when refused,
/// cancellation); the receiver is one MpscReceiver, which is also a stream.
namespace troupe::channel::mpsc {

/// An ordered channel that holds at most `capacity` items: sends wait (or
/// try_send reports full) while it is full. Throws std::invalid_argument if
/// capacity is 0.
template <class T>
std::pair<MpscSender<T>, MpscReceiver<T>> bounded(std::size_t capacity) {
  if (capacity == 0 || capacity == detail::MpscCore<T>::kUnbounded) {
    throw std::invalid_argument("troupe::channel::mpsc::bounded: capacity must be at least 1");
  }
  auto* core = detail::MpscCore<T>::make(capacity);
  return {MpscSender<T>(core), MpscReceiver<T>(core)};
}

/// An ordered channel whose sends never wait.
template <class T>
std::pair<MpscSender<T>, MpscReceiver<T>> unbounded() {
  auto* core = detail::MpscCore<T>::make(detail::MpscCore<T>::kUnbounded);
  return {MpscSender<T>(core), MpscReceiver<T>(core)};
}

}  // namespace troupe::channel::mpsc
