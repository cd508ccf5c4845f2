#include <atomic>
#include <cstdint>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include <troupe/channels/detail/channel_state.hpp>

namespace {

using troupe::detail::ChannelState;
using Claim = ChannelState::Claim;
using Reserve = ChannelState::Reserve;
using Word = ChannelState::Word;

TEST(ChannelState, ANewChannelIsOpenAndEmpty) {
  ChannelState s;
  const Word w = s.load();
  EXPECT_FALSE(ChannelState::closed(w));
  EXPECT_EQ(ChannelState::slots(w), 0u);
  EXPECT_EQ(ChannelState::ready(w), 0u);
  Word after;
  EXPECT_EQ(s.claim(after), Claim::kEmpty);
}

TEST(ChannelState, ReserveTakesSlotsUpToTheCapacityThenReportsFull) {
  ChannelState s;
  EXPECT_EQ(s.reserve(2), Reserve::kReserved);
  EXPECT_EQ(s.reserve(2), Reserve::kReserved);
  EXPECT_EQ(s.reserve(2), Reserve::kFull);
  EXPECT_EQ(ChannelState::slots(s.load()), 2u);
  EXPECT_EQ(ChannelState::ready(s.load()), 0u);
}

TEST(ChannelState, AReservedItemIsOnlyClaimableOncePublished) {
  ChannelState s;
  ASSERT_EQ(s.reserve(4), Reserve::kReserved);
  Word after;
  EXPECT_EQ(s.claim(after), Claim::kEmpty);
  s.publish();
  EXPECT_EQ(s.claim(after), Claim::kClaimed);
  EXPECT_EQ(ChannelState::slots(after), 0u);
  EXPECT_EQ(ChannelState::ready(after), 0u);
  EXPECT_EQ(s.claim(after), Claim::kEmpty);
}

TEST(ChannelState, AClaimFreesTheSlotForTheNextReserve) {
  ChannelState s;
  ASSERT_EQ(s.reserve(1), Reserve::kReserved);
  s.publish();
  EXPECT_EQ(s.reserve(1), Reserve::kFull);
  Word after;
  ASSERT_EQ(s.claim(after), Claim::kClaimed);
  EXPECT_EQ(s.reserve(1), Reserve::kReserved);
}

TEST(ChannelState, CloseRefusesReservesAndReportsWhetherThisCallClosed) {
  ChannelState s;
  EXPECT_TRUE(s.close());
  EXPECT_FALSE(s.close());
  EXPECT_TRUE(ChannelState::closed(s.load()));
  EXPECT_EQ(s.reserve(8), Reserve::kClosed);
}

TEST(ChannelState, AClosedChannelStillHandsOutItsItemsThenReportsClosed) {
  ChannelState s;
  for (int i = 0; i < 2; ++i) {
    ASSERT_EQ(s.reserve(8), Reserve::kReserved);
    s.publish();
  }
  s.close();
  Word after;
  EXPECT_EQ(s.claim(after), Claim::kClaimed);
  EXPECT_FALSE(ChannelState::drained(after));
  EXPECT_EQ(s.claim(after), Claim::kClaimed);
  EXPECT_TRUE(ChannelState::drained(after));
  EXPECT_EQ(s.claim(after), Claim::kClosed);
}

TEST(ChannelState, ASendStillCopyingWhenTheChannelClosesKeepsReceiversWaiting) {
  ChannelState s;
  ASSERT_EQ(s.reserve(8), Reserve::kReserved);  // reserved before the close...
  s.close();
  Word after;
  EXPECT_EQ(s.claim(after), Claim::kEmpty);  // ...so it is not drained yet
  const Word published = s.publish();
  EXPECT_EQ(ChannelState::ready(published), 1u);
  EXPECT_EQ(s.claim(after), Claim::kClaimed);
  EXPECT_TRUE(ChannelState::drained(after));
  EXPECT_EQ(s.claim(after), Claim::kClosed);
}

TEST(ChannelState, UnreserveGivesTheSlotBackAndCanLeaveAClosedChannelDrained) {
  ChannelState s;
  ASSERT_EQ(s.reserve(1), Reserve::kReserved);
  s.close();
  const Word after = s.unreserve();
  EXPECT_EQ(ChannelState::slots(after), 0u);
  EXPECT_TRUE(ChannelState::drained(after));
  Word w;
  EXPECT_EQ(s.claim(w), Claim::kClosed);
}

TEST(ChannelState, TheMaximumCapacityFitsTheSlotField) {
  ChannelState s;
  EXPECT_EQ(ChannelState::slots(ChannelState::kMaxCapacity * ChannelState::kSlotOne),
            ChannelState::kMaxCapacity);
  EXPECT_EQ(s.reserve(ChannelState::kMaxCapacity), Reserve::kReserved);
  EXPECT_FALSE(ChannelState::closed(s.load()));
}

// Many threads reserve, publish and claim at once against a capacity of 3:
// the slot count never exceeds it and every published item is claimed once.
TEST(ChannelState, ConcurrentSendersAndReceiversNeverExceedTheCapacityAndLoseNoItem) {
  constexpr Word kCapacity = 3;
  constexpr int kPerThread = 10'000;
  ChannelState s;
  std::atomic<int> claimed{0};
  std::atomic<bool> over{false};
  std::vector<std::thread> threads;
  for (int t = 0; t < 2; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kPerThread;) {
        if (s.reserve(kCapacity) != Reserve::kReserved) {
          std::this_thread::yield();  // full: let a receiver run
          continue;
        }
        if (ChannelState::slots(s.publish()) > kCapacity) over = true;
        ++i;
      }
    });
    threads.emplace_back([&] {
      Word after;
      for (int i = 0; i < kPerThread;) {
        if (s.claim(after) != Claim::kClaimed) {
          std::this_thread::yield();  // empty: let a sender run
          continue;
        }
        claimed.fetch_add(1);
        ++i;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_FALSE(over.load());
  EXPECT_EQ(claimed.load(), 2 * kPerThread);
  EXPECT_EQ(ChannelState::slots(s.load()), 0u);
  EXPECT_EQ(ChannelState::ready(s.load()), 0u);
}

}  // namespace
