#include <atomic>
#include <cstdint>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include <troupe/channels/detail/channel_state.hpp>

namespace channel_state_test {

using troupe::detail::ChannelState;
using Reserve = ChannelState::Reserve;
using Word = ChannelState::Word;

TEST(ChannelState, ANewChannelIsOpenAndEmpty) {
  ChannelState s;
  const Word w = s.load();
  EXPECT_FALSE(ChannelState::closed(w));
  EXPECT_EQ(ChannelState::items(w), 0u);
  EXPECT_FALSE(ChannelState::drained(w));
}

TEST(ChannelState, ReserveTakesSlotsUpToTheCapacityThenReportsFull) {
  ChannelState s;
  EXPECT_EQ(s.reserve(2), Reserve::kReserved);
  EXPECT_EQ(s.reserve(2), Reserve::kReserved);
  EXPECT_EQ(s.reserve(2), Reserve::kFull);
  EXPECT_EQ(ChannelState::items(s.load()), 2u);
}

TEST(ChannelState, AReleaseFreesTheSlotForTheNextReserve) {
  ChannelState s;
  ASSERT_EQ(s.reserve(1), Reserve::kReserved);
  EXPECT_EQ(s.reserve(1), Reserve::kFull);
  EXPECT_EQ(ChannelState::items(s.release()), 0u);
  EXPECT_EQ(s.reserve(1), Reserve::kReserved);
}

TEST(ChannelState, CloseRefusesReservesAndReportsWhetherThisCallClosed) {
  ChannelState s;
  EXPECT_TRUE(s.close());
  EXPECT_FALSE(s.close());
  EXPECT_TRUE(ChannelState::closed(s.load()));
  EXPECT_EQ(s.reserve(8), Reserve::kClosed);
}

// A send reserved before the close (its item may still be on its way into
// the queue) keeps the channel from counting as drained until it is taken.
TEST(ChannelState, AClosedChannelIsDrainedOnlyOnceEveryAcceptedItemIsReleased) {
  ChannelState s;
  ASSERT_EQ(s.reserve(8), Reserve::kReserved);
  ASSERT_EQ(s.reserve(8), Reserve::kReserved);
  s.close();
  EXPECT_FALSE(ChannelState::drained(s.load()));
  EXPECT_FALSE(ChannelState::drained(s.release()));
  const Word last = s.release();
  EXPECT_TRUE(ChannelState::drained(last));
  EXPECT_TRUE(ChannelState::closed(last));
}

TEST(ChannelState, TheMaximumCapacityFitsTheItemField) {
  ChannelState s;
  EXPECT_EQ(ChannelState::items(ChannelState::kMaxCapacity), ChannelState::kMaxCapacity);
  EXPECT_FALSE(ChannelState::closed(ChannelState::kMaxCapacity));
  EXPECT_EQ(s.reserve(ChannelState::kMaxCapacity), Reserve::kReserved);
  EXPECT_FALSE(ChannelState::closed(s.load()));
}

// Many threads reserve and release at once against a capacity of 3 (with
// the waits of lost races in between): the count never exceeds it, and
// every reserve is matched by one release.
TEST(ChannelState, ConcurrentReservesAndReleasesNeverExceedTheCapacity) {
  constexpr Word kCapacity = 3;
  constexpr int kPerThread = 10'000;
  ChannelState s;
  std::atomic<int> reserved{0};  // reserves not yet matched by a release
  std::atomic<bool> over{false};
  std::vector<std::thread> threads;
  for (int t = 0; t < 2; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kPerThread;) {
        if (s.reserve(kCapacity) != Reserve::kReserved) {
          std::this_thread::yield();  // full: let a releaser run
          continue;
        }
        if (ChannelState::items(s.load()) > kCapacity) over = true;
        reserved.fetch_add(1);
        ++i;
      }
    });
    threads.emplace_back([&] {
      for (int i = 0; i < kPerThread;) {
        int r = reserved.load();
        if (r == 0 || !reserved.compare_exchange_weak(r, r - 1)) {
          std::this_thread::yield();  // nothing to release yet
          continue;
        }
        s.release();
        ++i;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_FALSE(over.load());
  EXPECT_EQ(ChannelState::items(s.load()), 0u);
}

}  // namespace channel_state_test
