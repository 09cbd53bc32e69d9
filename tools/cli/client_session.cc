#include "tools/cli/client_session.h"

#include <cerrno>
#include <chrono>
#include <cstring>
#include <utility>

#include "tools/cli/exit_codes.h"
#include "tools/cli/failure.h"
#include "tools/cli/flow_control.h"
#include "tools/cli/write_all.h"

namespace cli {
ClientSession::ClientSession(eventloop::EventLoop& loop, ipc::LocalSocket& socket)
    : loop_(loop), socket_(socket) {
  socket_.ready_read.Connect([this] { PrintReceived(); });
  socket_.bytes_written.Connect([this](int64_t count) { OnBytesWritten(count); });
  socket_.error_occurred.Connect([this](ipc::LocalSocket::Error error) {
    // A peer close ends the sending side too; what was taken is still sent if it can be.
    if (input_) input_->Pause();
    if (error != ipc::LocalSocket::Error::kPeerClosed) {
      Fail(CauseOf(error, socket_.error_string()));
    }
  });
  socket_.disconnected.Connect([this] { loop_.Quit(); });
}

ClientSession::~ClientSession() {
  socket_.ready_read.DisconnectAll();
  socket_.bytes_written.DisconnectAll();
  socket_.error_occurred.DisconnectAll();
  socket_.disconnected.DisconnectAll();
}

void ClientSession::SendFd(int fd) {
  input_ = std::make_unique<InputSource>(
      loop_, fd, [this](std::string_view chunk) { OnInput(chunk); },
      [this](int error) { OnInputEnd(error); });
  input_->Resume();
}

void ClientSession::SendAndHalfClose(const std::string& data) {
  OnInput(data);
  OnInputEnd(0);
}

int ClientSession::Run(int timeout_ms) {
  if (timeout_ms >= 0) {
    deadline_ = loop_.CreateTimer([this] {
      Fail("timed out");
      loop_.Quit();
    });
    deadline_->Start(std::chrono::milliseconds(timeout_ms));
  }
  if (socket_.state() != ipc::LocalSocket::State::kUnconnected) loop_.Run();
  PrintReceived();
  if (sent_ < taken_) Fail("peer closed early");
  if (failure_.empty()) return kExitOk;
  ReportFailure(failure_);
  return kExitFailure;
}

void ClientSession::OnInput(std::string_view chunk) {
  taken_ += static_cast<int64_t>(chunk.size());
  bool written;
  if (fds_to_pass_.empty() || chunk.empty()) {
    // A failed Write means the peer closed meanwhile: the chunk cannot be sent (Run reports
    // it).
    written = socket_.Write(chunk) >= 0;
  } else {
    written = socket_.WriteWithFds(chunk, fds_to_pass_) >= 0;
    fds_to_pass_.clear();
    if (!written && socket_.state() == ipc::LocalSocket::State::kConnected) {
      Fail(socket_.error_string());  // Not the peer: the fds could not be passed.
      socket_.Abort();
      return;
    }
  }
  if (input_ && (!written || socket_.BytesToWrite() >= kMaxUnsentBytes)) input_->Pause();
}

void ClientSession::OnInputEnd(int error) {
  if (error != 0) {
    Fail(std::string("cannot read stdin: ") + std::strerror(error));
    socket_.Abort();
    return;
  }
  if (!fds_to_pass_.empty()) {
    Fail("no data to pass the file descriptors with");
    socket_.Abort();
    return;
  }
  if (socket_.state() == ipc::LocalSocket::State::kConnected) socket_.ShutdownWrite();
}

void ClientSession::OnBytesWritten(int64_t count) {
  sent_ += count;
  if (input_ && socket_.state() == ipc::LocalSocket::State::kConnected &&
      socket_.BytesToWrite() < kMaxUnsentBytes) {
    input_->Resume();
  }
}

void ClientSession::PrintReceived() {
  for (std::string_view view = socket_.PeekBuffered(); !view.empty();
       view = socket_.PeekBuffered()) {
    if (!WriteAll(1, view)) {
      Fail(std::string("cannot write stdout: ") + std::strerror(errno));
      socket_.Abort();
      return;
    }
    socket_.Skip(static_cast<int64_t>(view.size()));
  }
}

void ClientSession::Fail(const std::string& message) {
  if (failure_.empty()) failure_ = message;
}

}  // namespace cli
