#pragma once

#include <cstddef>
#include <cstring>
#include <memory>
#include <span>
#include <string_view>

namespace wordfreq {

/// A block of input bytes that ends where no word can continue: after a
/// line end, or (inside a line longer than a chunk) after some other
/// separator, or at the end of a file. So the words of a chunk are whole,
/// and chunks can be counted independently, in any order, by any worker.
///
/// The unit of work between the reader and the tokenizer workers: one
/// allocation of about 256 KiB, moved (never copied) from the reader thread
/// through the channel into one worker, which lowercases it in place.
/// Move-only; owned by one thread or task at a time.
class Chunk {
 public:
  Chunk() noexcept = default;
  /// An empty chunk with room for `capacity` bytes (left uninitialized).
  explicit Chunk(std::size_t capacity)
      : bytes_(std::make_unique_for_overwrite<char[]>(capacity)), capacity_(capacity) {}
  /// A chunk holding a copy of `text` (for tests and small inputs).
  static Chunk copy_of(std::string_view text) {
    Chunk c(text.size());
    std::memcpy(c.data(), text.data(), text.size());
    c.resize(text.size());
    return c;
  }

  char* data() noexcept { return bytes_.get(); }
  const char* data() const noexcept { return bytes_.get(); }
  std::size_t size() const noexcept { return size_; }
  std::size_t capacity() const noexcept { return capacity_; }
  /// Sets how many of the first bytes are content (at most capacity()).
  void resize(std::size_t size) noexcept { size_ = size; }

  std::span<char> bytes() noexcept { return {bytes_.get(), size_}; }
  std::string_view text() const noexcept { return {bytes_.get(), size_}; }

 private:
  std::unique_ptr<char[]> bytes_;
  std::size_t size_ = 0;
  std::size_t capacity_ = 0;
};

}  // namespace wordfreq
