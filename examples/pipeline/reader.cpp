#include "pipeline/reader.hpp"

#include <cerrno>
#include <cstring>
#include <utility>

#include <fcntl.h>
#include <unistd.h>

#include "pipeline/tokenizer.hpp"

namespace wordfreq {

std::size_t cut_point(std::string_view bytes) noexcept {
  if (bytes.empty()) return 0;
  if (const void* nl = ::memrchr(bytes.data(), '\n', bytes.size())) {
    return static_cast<std::size_t>(static_cast<const char*>(nl) - bytes.data()) + 1;
  }
  for (std::size_t i = bytes.size(); i > 0; --i) {
    if (fold_letter(bytes[i - 1]) == 0) return i;
  }
  return 0;
}

std::error_code read_chunks(int fd, std::size_t chunk_size, const ChunkSink& sink,
                            std::atomic<std::uint64_t>* bytes_read) {
  Chunk buffer(chunk_size);
  std::size_t filled = 0;
  for (;;) {
    // Fill the buffer whole: a pipe hands out a few KiB per read, and
    // small chunks would cost a channel round trip each.
    std::error_code error;
    bool end = false;
    while (filled < buffer.capacity()) {
      const ssize_t n = ::read(fd, buffer.data() + filled, buffer.capacity() - filled);
      if (n < 0) {
        if (errno == EINTR) continue;
        error = std::error_code(errno, std::generic_category());
        break;
      }
      if (n == 0) {
        end = true;
        break;
      }
      filled += static_cast<std::size_t>(n);
      if (bytes_read)
        bytes_read->fetch_add(static_cast<std::uint64_t>(n), std::memory_order_relaxed);
    }
    if (end || error) {
      if (filled > 0) {
        buffer.resize(filled);
        if (!sink(std::move(buffer))) return {};
      }
      return error;
    }

    const std::size_t cut = cut_point({buffer.data(), filled});
    if (cut == 0) {
      // All letters: one word longer than the buffer. It stays whole, so
      // the buffer grows (memory follows the longest word, not the input).
      Chunk larger(buffer.capacity() * 2);
      std::memcpy(larger.data(), buffer.data(), filled);
      buffer = std::move(larger);
      continue;
    }
    // The bytes after the cut (a line, or a word, not yet finished) start
    // the next chunk, which has room for a full chunk of new bytes too.
    const std::size_t rest = filled - cut;
    Chunk next(rest + chunk_size);
    std::memcpy(next.data(), buffer.data() + cut, rest);
    buffer.resize(cut);
    if (!sink(std::move(buffer))) return {};
    buffer = std::move(next);
    filled = rest;
  }
}

namespace {

// Closes a descriptor it opened (never standard input).
struct Input {
  int fd = -1;
  bool owned = false;
  ~Input() {
    if (owned) ::close(fd);
  }
};

}  // namespace

std::size_t read_inputs(std::span<const std::string> inputs, const troupe::Sender<Chunk>& out,
                        std::size_t chunk_size, PipelineStats& stats,
                        const InputErrorHandler& on_error) {
  bool closed = false;
  const ChunkSink sink = [&](Chunk chunk) {
    if (!out.send_blocking(std::move(chunk)).is_sent()) {
      closed = true;
      return false;
    }
    stats.chunks_sent.fetch_add(1, std::memory_order_relaxed);
    return true;
  };
  std::size_t failed = 0;
  for (const std::string& name : inputs) {
    Input input;
    if (name == "-") {
      input.fd = STDIN_FILENO;
    } else {
      input.fd = ::open(name.c_str(), O_RDONLY | O_CLOEXEC);
      if (input.fd < 0) {
        ++failed;
        on_error(name, std::error_code(errno, std::generic_category()));
        continue;
      }
      input.owned = true;
      (void)::posix_fadvise(input.fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    }
    if (const std::error_code error = read_chunks(input.fd, chunk_size, sink, &stats.bytes_read)) {
      ++failed;
      on_error(name, error);
    }
    if (closed) break;
  }
  return failed;
}

}  // namespace wordfreq
