#pragma once

#include <cstddef>
#include <stdexcept>
#include <utility>

#include <troupe/channels/detail/channel_core.hpp>
#include <troupe/channels/detail/channel_state.hpp>
#include <troupe/channels/receiver.hpp>
#include <troupe/channels/sender.hpp>

/// Multi-producer multi-consumer channels: a queue shared by any number of
/// Senders and Receivers, on tasks or plain threads.
///
///   auto [tx, rx] = troupe::channel::bounded<Job>(64);
///   co_await tx.send(job);                     // waits while 64 are queued
///   while (auto job = co_await rx.recv()) ...  // until closed and drained
///
///   operation            item / room   empty / full           closed
///   co_await tx.send(v)  sent          waits (backpressure)   closed, v handed back
///   tx.try_send(v)       sent          full, v handed back    closed, v handed back
///   tx.send_blocking(v)  sent          blocks the thread      closed, v handed back
///   co_await rx.recv()   the value     waits                  the values left, then nullopt
///   rx.try_recv()        received      empty                  the values left, then closed
///   rx.recv_blocking()   the value     blocks the thread      the values left, then nullopt
///
/// Closing: `close()` on any handle, or the last Sender destroyed, or the
/// last Receiver destroyed (which also destroys the queued items). A close
/// wakes every parked sender and receiver. Items sent before the close are
/// all still received.
///
/// Cancellation: a pending send destroyed (its task cancelled) drops its
/// value with it, never half-sent; a pending recv destroyed takes nothing
/// out of the channel, and passes on any wake it was handed.
///
/// Order: items are not globally ordered, but each Sender's are: two sends
/// through one Sender object, the first finished before the second began,
/// are received in that order by any one receiver, whatever threads the
/// sending task ran on (each Sender, copies included, owns a sub-queue of
/// the lock-free queue). Sends through different Senders are not ordered.
namespace troupe::channel {

/// The largest capacity of a channel; an unbounded channel holds at most
/// this many items (about two billion) and applies backpressure beyond.
inline constexpr std::size_t kMaxCapacity = detail::ChannelState::kMaxCapacity;

/// A channel that holds at most `capacity` items: sends wait (or try_send
/// reports full) while it is full. Throws std::invalid_argument unless
/// 1 <= capacity <= kMaxCapacity.
template <class T>
std::pair<Sender<T>, Receiver<T>> bounded(std::size_t capacity) {
  if (capacity == 0 || capacity > kMaxCapacity) {
    throw std::invalid_argument("troupe::channel::bounded: capacity must be in [1, kMaxCapacity]");
  }
  auto* core = detail::ChannelCore<T>::make(capacity);
  return {Sender<T>(core), Receiver<T>(core)};
}

/// A channel whose sends never wait (up to kMaxCapacity queued items).
template <class T>
std::pair<Sender<T>, Receiver<T>> unbounded() {
  auto* core = detail::ChannelCore<T>::make(kMaxCapacity);
  return {Sender<T>(core), Receiver<T>(core)};
}

}  // namespace troupe::channel
