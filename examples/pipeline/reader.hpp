#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>

#include <troupe/channels/sender.hpp>

#include "pipeline/chunk.hpp"
#include "pipeline/stats.hpp"

namespace wordfreq {

/// Where a chunk may end within `bytes`: just after the last '\n' (a batch
/// of whole lines), or, in a line longer than that, just after the last
/// other separator. 0 if `bytes` is all letters (one word, or a part of
/// one), where no cut is allowed.
std::size_t cut_point(std::string_view bytes) noexcept;

/// Where a chunk goes: returns false to stop reading (the pipeline is
/// shutting down).
using ChunkSink = std::function<bool(Chunk)>;

/// Reads `fd` to its end and hands its bytes to `sink` as chunks of about
/// `chunk_size` bytes (see Chunk for where they are cut). A word longer
/// than the chunk size is kept whole in a larger chunk; so memory is
/// bounded by the chunk size and the longest word, never by the input.
/// The end of the input ends a chunk, and so a word. `bytes_read` (if
/// given) counts the bytes as they are read. Returns the error of a failed
/// read; the chunks before it were handed out.
std::error_code read_chunks(int fd, std::size_t chunk_size, const ChunkSink& sink,
                            std::atomic<std::uint64_t>* bytes_read = nullptr);

/// Called for an input that could not be opened or read.
using InputErrorHandler = std::function<void(const std::string& input, std::error_code error)>;

/// The reading stage of the pipeline: reads `inputs` one after the other
/// ("-" is standard input) and sends their chunks into `out`, waiting
/// while it is full. That wait is the backpressure that keeps memory flat:
/// the reader is never more than the channel's capacity of chunks ahead of
/// the slowest stage behind it.
///
/// Blocks in read(2) and in Sender::send_blocking, so it runs on a plain
/// thread of its own, never on a runtime worker (regular files cannot be
/// polled by epoll). An input that cannot be opened or read is reported to
/// `on_error` (on this thread) and skipped: the others are still read.
/// Stops early if the channel is closed. Returns how many inputs failed.
std::size_t read_inputs(std::span<const std::string> inputs, const troupe::Sender<Chunk>& out,
                        std::size_t chunk_size, PipelineStats& stats,
                        const InputErrorHandler& on_error);

}  // namespace wordfreq
