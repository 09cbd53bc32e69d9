#include "tools/cli/input_source.h"

#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <utility>

namespace cli {
namespace {

constexpr size_t kChunkSize = size_t{64} * 1024;

}  // namespace

InputSource::InputSource(eventloop::EventLoop& loop, int fd, DataCallback on_data,
                         EndCallback on_end)
    : fd_(fd), on_data_(std::move(on_data)), on_end_(std::move(on_end)) {
  watcher_ = loop.WatchFd(fd_, eventloop::kNoEvents, [this](uint32_t) { ReadChunk(); });
  if (!watcher_) timer_ = loop.CreateTimer([this] { ReadChunk(); });
}

InputSource::~InputSource() = default;

void InputSource::Resume() {
  if (resumed_ || ended_) return;
  resumed_ = true;
  if (watcher_) {
    watcher_->SetEvents(eventloop::kReadable);
  } else {
    timer_->Start(std::chrono::milliseconds(0));
  }
}

void InputSource::Pause() {
  if (!resumed_) return;
  resumed_ = false;
  if (watcher_) {
    watcher_->SetEvents(eventloop::kNoEvents);
  } else {
    timer_->Stop();
  }
}

void InputSource::ReadChunk() {
  if (!resumed_ || ended_) return;
  char buffer[kChunkSize];
  const ssize_t n = ::read(fd_, buffer, sizeof(buffer));
  if (n < 0 && (errno == EINTR || errno == EAGAIN)) {
    if (timer_ && resumed_) timer_->Start(std::chrono::milliseconds(0));
    return;
  }
  if (n <= 0) {
    const int error = n < 0 ? errno : 0;
    Pause();
    ended_ = true;
    on_end_(error);
    return;
  }
  on_data_(std::string_view(buffer, static_cast<size_t>(n)));
  if (timer_ && resumed_) timer_->Start(std::chrono::milliseconds(0));
}

}  // namespace cli
