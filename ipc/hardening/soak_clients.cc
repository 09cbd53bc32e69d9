#include "ipc/hardening/soak_clients.h"

#include <functional>
#include <memory>
#include <sstream>
#include <string_view>
#include <utility>

#include "ipc/hardening/message_stream.h"
#include "ipc/local_socket.h"

namespace ipc {
namespace test {
namespace {

using State = LocalSocket::State;

// One client: sends its stream with `window` messages in flight, verifies each echo, and
// disconnects after the last one. It reports into the round's outcome once, when it ends.
class SoakClient {
 public:
  // `scratch` is the round's buffer for encoding messages (Write copies them at once).
  SoakClient(eventloop::EventLoop& loop, int index, const SoakSpec& spec, SoakOutcome& outcome,
             std::string& scratch, std::function<void()> on_end)
      : socket_(loop),
        scratch_(scratch),
        index_(index),
        window_(spec.window),
        sizes_(PlanPayloadSizes(spec.first_seed + static_cast<uint64_t>(index), spec.messages,
                                spec.budget)),
        writer_(spec.first_seed + static_cast<uint64_t>(index), sizes_),
        verifier_(sizes_),
        outcome_(outcome),
        on_end_(std::move(on_end)) {
    socket_.connected.Connect([this] { SendMore(); });
    socket_.ready_read.Connect([this] { OnReadyRead(); });
    socket_.error_occurred.Connect([this](LocalSocket::Error error) {
      std::ostringstream text;
      text << "error " << error << " (" << socket_.error_string() << ") after "
           << verifier_.verified() << " messages";
      Fail(text.str());
    });
    socket_.state_changed.Connect([this](State state) {
      if (state == State::kUnconnected) End();
    });
  }

  void Start(const std::string& server) {
    outcome_.bytes_planned += EncodedSize(sizes_);
    if (sizes_.empty()) {
      Fail("the budget cannot hold the messages");
      End();
      return;
    }
    socket_.ConnectToServer(server);
  }

  void Abort() { socket_.Abort(); }

 private:
  void SendMore() {
    while (writer_.HasNext() && writer_.written() - verifier_.verified() < window_) {
      const std::string_view message = writer_.Next(scratch_);
      if (socket_.Write(message) != static_cast<int64_t>(message.size())) {
        Fail("Write refused: " + socket_.error_string());
        socket_.Abort();
        return;
      }
      outcome_.bytes_sent += message.size();
    }
  }

  void OnReadyRead() {
    // Parse in place, then skip what was parsed: no copy of the echo.
    for (std::string_view view = socket_.PeekBuffered(); !view.empty();
         view = socket_.PeekBuffered()) {
      const bool ok = verifier_.Consume(view);
      outcome_.bytes_received += view.size();
      socket_.Skip(static_cast<int64_t>(view.size()));
      if (!ok) {
        Fail(verifier_.failure());
        socket_.Abort();
        return;
      }
    }
    if (verifier_.complete()) {
      socket_.DisconnectFromServer();
    } else {
      SendMore();
    }
  }

  void Fail(const std::string& what) {
    if (failed_) return;
    failed_ = true;
    outcome_.failures.push_back("client " + std::to_string(index_) + ": " + what);
  }

  void End() {
    if (ended_) return;
    ended_ = true;
    if (!verifier_.complete() && !failed_) {
      Fail("ended after " + std::to_string(verifier_.verified()) + " of " +
           std::to_string(sizes_.size()) + " messages");
    }
    outcome_.messages_verified += verifier_.verified();
    if (!failed_) ++outcome_.verified;
    ++outcome_.finished;
    on_end_();
  }

  LocalSocket socket_;
  std::string& scratch_;
  const int index_;
  const size_t window_;
  const std::vector<uint32_t> sizes_;
  MessageWriter writer_;
  EchoVerifier verifier_;
  SoakOutcome& outcome_;
  const std::function<void()> on_end_;
  bool failed_ = false;
  bool ended_ = false;
};

}  // namespace

SoakClients::SoakClients(SoakSpec spec) : spec_(std::move(spec)), thread_([this] { Run(); }) {}

SoakClients::~SoakClients() {
  Stop();
  Join();
}

void SoakClients::Stop() { loop_.Quit(); }

void SoakClients::Join() {
  if (thread_.joinable()) thread_.join();
}

void SoakClients::Run() {
  std::string scratch;
  std::vector<std::unique_ptr<SoakClient>> clients;
  clients.reserve(static_cast<size_t>(spec_.clients));
  const auto on_end = [this] {
    if (outcome_.finished == spec_.clients) loop_.Quit();
  };
  for (int i = 0; i < spec_.clients; ++i) {
    clients.push_back(std::make_unique<SoakClient>(loop_, i, spec_, outcome_, scratch, on_end));
  }
  for (auto& client : clients) client->Start(spec_.server);
  if (outcome_.finished < spec_.clients) loop_.Run();
  // Stopped early: whatever is still open is aborted (and reported as ended early).
  for (auto& client : clients) client->Abort();
  clients.clear();
  finished_.store(true, std::memory_order_release);
}

}  // namespace test
}  // namespace ipc
