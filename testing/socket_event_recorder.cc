#include "testing/socket_event_recorder.h"

#include <sstream>
#include <utility>

namespace ipc {
namespace test {

EventRecorder::EventRecorder(LocalSocket& socket) {
  connections_.push_back(socket.state_changed.Connect([this](LocalSocket::State state) {
    std::ostringstream text;
    text << "state:" << state;
    Add(text.str());
  }));
  connections_.push_back(socket.error_occurred.Connect([this](LocalSocket::Error error) {
    std::ostringstream text;
    text << "error:" << error;
    Add(text.str());
  }));
  connections_.push_back(socket.connected.Connect([this] { Add("connected"); }));
  connections_.push_back(socket.disconnected.Connect([this] { Add("disconnected"); }));
  connections_.push_back(socket.ready_read.Connect([this] { Add("ready_read"); }));
  connections_.push_back(socket.bytes_written.Connect([this](int64_t n) {
    bytes_written_ += n;
    Add("bytes_written:" + std::to_string(n));
  }));
  connections_.push_back(socket.about_to_close.Connect([this] { Add("about_to_close"); }));
  connections_.push_back(
      socket.read_channel_finished.Connect([this] { Add("read_channel_finished"); }));
}

EventRecorder::~EventRecorder() {
  for (Connection& connection : connections_) connection.Disconnect();
}

std::vector<std::string> EventRecorder::Take() {
  std::vector<std::string> events;
  events.swap(events_);
  return events;
}

int EventRecorder::Count(std::string_view event) const {
  int n = 0;
  for (const std::string& e : events_) n += e == event ? 1 : 0;
  return n;
}

void EventRecorder::Add(std::string event) {
  events_.push_back(std::move(event));
  if (hook_) hook_(events_.back());
}

std::vector<std::string> Compact(const std::vector<std::string>& events) {
  std::vector<std::string> out;
  for (const std::string& event : events) {
    std::string e = event.rfind("bytes_written:", 0) == 0 ? "bytes_written" : event;
    if ((e == "bytes_written" || e == "ready_read") && !out.empty() && out.back() == e) continue;
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace test
}  // namespace ipc
