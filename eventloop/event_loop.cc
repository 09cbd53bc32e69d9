#include "eventloop/event_loop.h"

#include <memory>
#include <ostream>
#include <utility>

namespace eventloop {
namespace {

// The fallback BeforeBlockingTask for EventLoop implementations outside this library: each
// Schedule() posts one task, and a generation number lets Cancel() and destruction void it.
class PostedBeforeBlockingTask final : public BeforeBlockingTask {
 public:
  PostedBeforeBlockingTask(EventLoop& loop, std::function<void()> run)
      : loop_(loop), state_(std::make_shared<State>()) {
    state_->run = std::move(run);
  }
  ~PostedBeforeBlockingTask() override { state_->scheduled_generation = 0; }

  void Schedule() override {
    if (state_->scheduled_generation != 0) return;
    const uint64_t generation = ++state_->last_generation;
    state_->scheduled_generation = generation;
    std::weak_ptr<State> weak_state = state_;
    loop_.Post([weak_state, generation] {
      const std::shared_ptr<State> state = weak_state.lock();
      if (!state || state->scheduled_generation != generation) return;
      state->scheduled_generation = 0;
      if (state->run) state->run();  // `state` keeps the callable alive meanwhile.
    });
  }
  void Cancel() override { state_->scheduled_generation = 0; }
  bool IsScheduled() const override { return state_->scheduled_generation != 0; }

 private:
  struct State {
    std::function<void()> run;
    uint64_t last_generation = 0;
    uint64_t scheduled_generation = 0;  // 0 when not scheduled.
  };
  EventLoop& loop_;
  const std::shared_ptr<State> state_;
};

}  // namespace

std::ostream& operator<<(std::ostream& os, IoEvents events) {
  const uint32_t bits = events;
  if (bits == kNoEvents) return os << "kNoEvents";
  const char* separator = "";
  if (bits & kReadable) {
    os << "kReadable";
    separator = "|";
  }
  if (bits & kWritable) {
    os << separator << "kWritable";
    separator = "|";
  }
  if (const uint32_t unknown = bits & ~static_cast<uint32_t>(kReadable | kWritable)) {
    os << separator << "0x" << std::hex << unknown << std::dec;
  }
  return os;
}

void PrintTo(IoEvents events, std::ostream* os) { *os << events; }

std::unique_ptr<BeforeBlockingTask> EventLoop::CreateBeforeBlockingTask(std::function<void()> run) {
  return std::make_unique<PostedBeforeBlockingTask>(*this, std::move(run));
}

}  // namespace eventloop
