#include "pipeline/word_table.hpp"

#include <algorithm>
#include <cstring>
#include <limits>
#include <stdexcept>

#include "pipeline/tokenizer.hpp"

namespace wordfreq {

std::string_view KeyArena::store(std::string_view word) {
  if (word.size() > left_) {
    if (word.size() > kBlockSize / 4) {
      // A long word gets a block of its own: the current block's free
      // space stays in use for the short words after it.
      auto block = std::make_unique_for_overwrite<char[]>(word.size());
      std::memcpy(block.get(), word.data(), word.size());
      std::string_view stored(block.get(), word.size());
      reserved_ += word.size();
      blocks_.push_back(std::move(block));
      return stored;
    }
    blocks_.push_back(std::make_unique_for_overwrite<char[]>(kBlockSize));
    next_ = blocks_.back().get();
    left_ = kBlockSize;
    reserved_ += kBlockSize;
  }
  std::memcpy(next_, word.data(), word.size());
  std::string_view stored(next_, word.size());
  next_ += word.size();
  left_ -= word.size();
  return stored;
}

void KeyArena::clear() noexcept {
  blocks_.clear();
  next_ = nullptr;
  left_ = 0;
  reserved_ = 0;
}

namespace {

// Equality of two words of the same size. Most words are short, and an
// inline loop beats a call to memcmp for them.
bool same_bytes(const char* a, const char* b, std::size_t size) noexcept {
  if (size > 16) return std::memcmp(a, b, size) == 0;
  for (std::size_t i = 0; i < size; ++i) {
    if (a[i] != b[i]) return false;
  }
  return true;
}

}  // namespace

const WordTable::Slot& WordTable::find(std::string_view word, std::uint64_t hash) const noexcept {
  const std::size_t mask = slots_.size() - 1;
  for (std::size_t i = hash & mask;; i = (i + 1) & mask) {
    const Slot& s = slots_[i];
    if (s.key == nullptr) return s;
    if (s.hash == hash && s.size == word.size() && same_bytes(s.key, word.data(), word.size())) {
      return s;
    }
  }
}

void WordTable::add(std::string_view word, std::uint64_t hash, std::uint64_t count) {
  if ((order_.size() + 1) * 2 > slots_.size()) grow();
  Slot& s = const_cast<Slot&>(find(word, hash));
  if (s.key != nullptr) {
    s.count += count;
    return;
  }
  if (order_.size() >= std::numeric_limits<std::uint32_t>::max()) {
    throw std::length_error("wordfreq::WordTable: too many distinct words");
  }
  if (keys_ == Keys::kOwned) word = arena_.store(word);
  s = Slot{hash, word.data(), word.size(), count};
  order_.push_back(static_cast<std::uint32_t>(&s - slots_.data()));
}

std::uint64_t WordTable::count(std::string_view word) const noexcept {
  if (slots_.empty() || word.empty()) return 0;
  return find(word, hash_word(word)).count;
}

void WordTable::clear() noexcept {
  for (const std::uint32_t i : order_) slots_[i] = Slot{};
  order_.clear();
  arena_.clear();
}

void WordTable::grow() {
  std::vector<Slot> old = std::move(slots_);
  slots_.assign(old.empty() ? 64 : old.size() * 2, Slot{});
  const std::size_t mask = slots_.size() - 1;
  for (std::uint32_t& position : order_) {
    const Slot& s = old[position];
    std::size_t i = s.hash & mask;
    while (slots_[i].key != nullptr) i = (i + 1) & mask;
    slots_[i] = s;
    position = static_cast<std::uint32_t>(i);
  }
}

}  // namespace wordfreq
