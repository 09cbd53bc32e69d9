// Builds against the public contract of localsocket (its public headers) from another workspace:
// every path, name and signature below must match exactly, or this file does not compile.
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <type_traits>
#include <vector>

#include "eventloop/clock.h"
#include "eventloop/event_loop.h"
#include "eventloop/libevent_loop.h"
#include "gtest/gtest.h"
#include "testing/fake_clock.h"
#include "testing/fake_event_loop.h"

namespace {

using eventloop::Clock;
using eventloop::Duration;
using eventloop::EventLoop;
using eventloop::FakeClock;
using eventloop::FakeEventLoop;
using eventloop::FdWatcher;
using eventloop::LibeventLoop;
using eventloop::SignalWatcher;
using eventloop::TimePoint;
using eventloop::Timer;

template <typename A, typename B>
constexpr bool kSame = std::is_same_v<A, B>;

// eventloop/clock.h
static_assert(kSame<Duration, std::chrono::nanoseconds>);
static_assert(kSame<TimePoint, std::chrono::time_point<std::chrono::steady_clock, Duration>>);
static_assert(kSame<decltype(&Clock::Now), TimePoint (Clock::*)() const>);
static_assert(std::has_virtual_destructor_v<Clock>);
static_assert(kSame<decltype(&eventloop::SystemClock), Clock& (*)()>);

// eventloop/event_loop.h
static_assert(kSame<std::underlying_type_t<eventloop::IoEvents>, uint32_t>);
static_assert(eventloop::kNoEvents == 0 && eventloop::kReadable == 1 && eventloop::kWritable == 2);
static_assert(kSame<decltype(&Timer::Start), void (Timer::*)(Duration)>);
static_assert(kSame<decltype(&Timer::StartRepeating), void (Timer::*)(Duration)>);
static_assert(kSame<decltype(&Timer::Stop), void (Timer::*)()>);
static_assert(kSame<decltype(&Timer::IsActive), bool (Timer::*)() const>);
static_assert(kSame<decltype(&FdWatcher::SetEvents), void (FdWatcher::*)(uint32_t)>);
static_assert(kSame<decltype(&FdWatcher::events), uint32_t (FdWatcher::*)() const>);
static_assert(std::has_virtual_destructor_v<SignalWatcher>);
static_assert(kSame<decltype(&EventLoop::CreateTimer),
                    std::unique_ptr<Timer> (EventLoop::*)(std::function<void()>)>);
static_assert(
    kSame<decltype(&EventLoop::WatchFd),
          std::unique_ptr<FdWatcher> (EventLoop::*)(int, uint32_t, std::function<void(uint32_t)>)>);
static_assert(kSame<decltype(&EventLoop::WatchSignal),
                    std::unique_ptr<SignalWatcher> (EventLoop::*)(int, std::function<void()>)>);
static_assert(kSame<decltype(&EventLoop::Post), void (EventLoop::*)(std::function<void()>)>);
static_assert(
    kSame<decltype(&EventLoop::PostDelayed), void (EventLoop::*)(Duration, std::function<void()>)>);
static_assert(kSame<decltype(&EventLoop::Run), void (EventLoop::*)()>);
static_assert(kSame<decltype(&EventLoop::RunUntilIdle), void (EventLoop::*)()>);
static_assert(kSame<decltype(&EventLoop::Quit), void (EventLoop::*)()>);
static_assert(kSame<decltype(&EventLoop::clock), const Clock& (EventLoop::*)() const>);
static_assert(kSame<decltype(&EventLoop::Now), TimePoint (EventLoop::*)() const>);
static_assert(!std::is_copy_constructible_v<EventLoop> && !std::is_copy_assignable_v<EventLoop>);
static_assert(!std::is_move_constructible_v<EventLoop> && !std::is_move_assignable_v<EventLoop>);

// eventloop/libevent_loop.h
static_assert(std::is_base_of_v<EventLoop, LibeventLoop>);
static_assert(std::is_default_constructible_v<LibeventLoop>);
static_assert(std::is_constructible_v<LibeventLoop, const Clock&>);
static_assert(!std::is_convertible_v<const Clock&, LibeventLoop>);  // explicit

// testing/fake_clock.h, testing/fake_event_loop.h
static_assert(std::is_base_of_v<Clock, FakeClock>);
static_assert(std::is_default_constructible_v<FakeClock>);
static_assert(kSame<decltype(&FakeClock::Now), TimePoint (FakeClock::*)() const>);
static_assert(kSame<decltype(&FakeClock::Advance), void (FakeClock::*)(Duration)>);
static_assert(std::is_base_of_v<EventLoop, FakeEventLoop>);
static_assert(kSame<decltype(&FakeEventLoop::FastForwardBy), void (FakeEventLoop::*)(Duration)>);
static_assert(kSame<decltype(&FakeEventLoop::SetFdReady), void (FakeEventLoop::*)(int, uint32_t)>);
static_assert(
    kSame<decltype(&FakeEventLoop::ClearFdReady), void (FakeEventLoop::*)(int, uint32_t)>);
static_assert(kSame<decltype(&FakeEventLoop::fake_clock), FakeClock& (FakeEventLoop::*)()>);

using std::chrono::milliseconds;

TEST(ConsumerTest, LibeventLoopOnFakeClockFiresTimersInDeadlineOrder) {
  FakeClock clock;
  LibeventLoop loop(clock);
  std::vector<int> fired;
  std::unique_ptr<Timer> late = loop.CreateTimer([&] { fired.push_back(2); });
  std::unique_ptr<Timer> early = loop.CreateTimer([&] { fired.push_back(1); });
  late->Start(milliseconds(20));
  early->Start(milliseconds(10));
  loop.Post([&] { fired.push_back(0); });
  loop.RunUntilIdle();
  EXPECT_EQ(fired, std::vector<int>({0}));
  clock.Advance(milliseconds(20));
  loop.RunUntilIdle();
  EXPECT_EQ(fired, std::vector<int>({0, 1, 2}));
}

TEST(ConsumerTest, FakeEventLoopFastForwardsAndQuits) {
  FakeEventLoop loop;
  const TimePoint start = loop.Now();
  std::vector<Duration> seen;
  std::unique_ptr<Timer> tick = loop.CreateTimer([&] { seen.push_back(loop.Now() - start); });
  tick->StartRepeating(milliseconds(5));
  loop.FastForwardBy(milliseconds(12));
  EXPECT_EQ(seen, std::vector<Duration>({milliseconds(5), milliseconds(10)}));
  loop.PostDelayed(milliseconds(100), [&] { loop.Quit(); });
  tick->Stop();
  loop.Run();
  EXPECT_EQ(loop.Now() - start, milliseconds(112));
}

}  // namespace
