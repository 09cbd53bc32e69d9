// LocalSocket re-entrancy on real sockets (README "Re-entrancy rules"): slots that destroy the
// emitting socket at every step of every signal sequence, slots that start new operations
// (DisconnectFromServer, Abort, Close, reconnecting), data arriving during a ready_read slot
// (one more ready_read after it, never a nested one) and its bytes_written counterpart, and
// waits interrupted by a destroying slot. Meant to run under ASan too.
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <chrono>
#include <functional>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "ipc/local_socket.h"
#include "ipc/unique_fd.h"
#include "testing/data_pattern.h"
#include "testing/raw_socket.h"
#include "testing/run_loop_until.h"
#include "testing/socket_event_recorder.h"
#include "testing/socket_test_fixture.h"
#include "testing/temp_dir.h"

namespace ipc {
namespace {

using State = LocalSocket::State;
using Error = LocalSocket::Error;
using std::chrono::milliseconds;
using test::EventRecorder;
using test::Events;
using test::RawListener;
using test::RunLoopUntil;

// ---------------------------------------------------------------------------------------------
// Destroying the socket from a slot, at each step of each sequence.

// What a scenario works with. `socket` is reset by the slot that destroys it.
struct Env {
  Env(eventloop::EventLoop& loop, const test::TempDir& dir) : loop(loop), dir(dir) {}

  eventloop::EventLoop& loop;
  const test::TempDir& dir;
  std::unique_ptr<LocalSocket> socket;
  std::unique_ptr<RawListener> listener;
  UniqueFd peer;
  std::vector<UniqueFd> fillers;

  bool alive() const { return socket != nullptr; }
  LocalSocket& s() { return *socket; }
  // Runs the loop until `done` or the socket is gone.
  void RunUntil(const std::function<bool(LocalSocket&)>& done) {
    EXPECT_TRUE(RunLoopUntil(loop, [&] { return !socket || done(*socket); }));
  }
  void Listen(int backlog = 16) {
    listener = RawListener::Listen(dir.File("srv"), backlog);
    ASSERT_TRUE(listener);
  }
  void Connect() {
    Listen();
    socket->ConnectToServer("srv");
    ASSERT_EQ(socket->state(), State::kConnected);
    peer.reset(listener->Accept());
    ASSERT_GE(peer.get(), 0);
  }
  // A listener whose backlog is full.
  void Busy() {
    Listen(/*backlog=*/0);
    for (int fd : test::FillBacklog(dir.File("srv"))) fillers.emplace_back(fd);
    ASSERT_FALSE(fillers.empty());
  }
  // Starts a connect that waits for room in the backlog, then makes room.
  void ConnectingWithRoom() {
    Busy();
    socket->ConnectToServer("srv");
    ASSERT_EQ(socket->state(), State::kConnecting);
    for (int fd; (fd = listener->AcceptNow()) >= 0;) fillers.emplace_back(fd);
  }
};

bool Unconnected(LocalSocket& s) { return s.state() == State::kUnconnected; }

struct Scenario {
  std::string name;
  Events full;                      // The sequence when nobody interferes.
  std::function<void(Env&)> setup;  // Not recorded.
  std::function<void(Env&)> act;    // Recorded; the socket may be destroyed at any event.
};

const std::vector<Scenario>& Scenarios() {
  static const auto* const scenarios = new std::vector<Scenario>{
      {"ConnectOk",
       {"state:kConnecting", "state:kConnected", "connected"},
       [](Env& e) { e.Listen(); },
       [](Env& e) { e.s().ConnectToServer("srv"); }},
      {"ConnectFails",
       {"state:kConnecting", "error:kServerNotFound", "state:kUnconnected"},
       [](Env&) {},
       [](Env& e) { e.s().ConnectToServer("nosuch"); }},
      {"ConnectRefusedWhileConnected",
       {"error:kOperation"},
       [](Env& e) { e.Connect(); },
       [](Env& e) { e.s().ConnectToServer("srv"); }},
      {"DisconnectNothingPending",
       {"state:kClosing", "state:kUnconnected", "read_channel_finished", "disconnected"},
       [](Env& e) { e.Connect(); },
       [](Env& e) { e.s().DisconnectFromServer(); }},
      {"DisconnectWritesPending",
       {"state:kClosing", "bytes_written:3", "state:kUnconnected", "read_channel_finished",
        "disconnected"},
       [](Env& e) { e.Connect(); },
       [](Env& e) {
         e.s().Write("abc");
         e.s().DisconnectFromServer();
         e.RunUntil(Unconnected);
       }},
      {"CloseWritesPending",
       {"about_to_close", "state:kClosing", "bytes_written:3", "state:kUnconnected",
        "read_channel_finished", "disconnected"},
       [](Env& e) { e.Connect(); },
       [](Env& e) {
         e.s().Write("abc");
         e.s().Close();
         e.RunUntil(Unconnected);
       }},
      {"Abort",
       {"state:kUnconnected", "read_channel_finished", "disconnected", "about_to_close"},
       [](Env& e) { e.Connect(); },
       [](Env& e) {
         e.s().Write("abc");
         e.s().Abort();
       }},
      {"PeerClosesWithData",
       {"ready_read", "error:kPeerClosed", "state:kClosing", "state:kUnconnected",
        "read_channel_finished", "disconnected"},
       [](Env& e) { e.Connect(); },
       [](Env& e) {
         ASSERT_TRUE(test::WriteAll(e.peer.get(), "data"));
         e.peer.reset();
         e.RunUntil(Unconnected);
       }},
      {"FlushToClosedPeer",
       {"error:kPeerClosed", "state:kClosing", "state:kUnconnected", "read_channel_finished",
        "disconnected"},
       [](Env& e) { e.Connect(); },
       [](Env& e) {
         e.peer.reset();
         e.s().Write("x");
         EXPECT_FALSE(e.s().Flush());
       }},
      {"Echo",
       {"bytes_written:4", "ready_read"},
       [](Env& e) { e.Connect(); },
       [](Env& e) {
         e.s().Write("ping");
         e.RunUntil([](LocalSocket& s) { return s.BytesToWrite() == 0; });
         EXPECT_EQ(test::ReadExactly(e.peer.get(), 4), "ping");
         test::WriteAll(e.peer.get(), "pong");  // Fails if the socket is gone.
         e.RunUntil([](LocalSocket& s) { return s.BytesAvailable() == 4; });
       }},
      {"FlushInline",
       {"bytes_written:3"},
       [](Env& e) { e.Connect(); },
       [](Env& e) {
         e.s().Write("abc");
         e.s().Flush();
       }},
      {"WaitForBytesWritten",
       {"bytes_written:3"},
       [](Env& e) { e.Connect(); },
       [](Env& e) {
         LocalSocket* raw = e.socket.get();
         raw->Write("abc");
         const bool result = raw->WaitForBytesWritten(1000);
         EXPECT_EQ(result, e.alive()) << "false if the socket was destroyed during the wait";
       }},
      {"WaitForReadyRead",
       {"ready_read"},
       [](Env& e) { e.Connect(); },
       [](Env& e) {
         ASSERT_TRUE(test::WriteAll(e.peer.get(), "data"));
         const bool result = e.socket.get()->WaitForReadyRead(1000);
         EXPECT_EQ(result, e.alive());
       }},
      {"WaitForDisconnected",
       {"ready_read", "error:kPeerClosed", "state:kClosing", "state:kUnconnected",
        "read_channel_finished", "disconnected"},
       [](Env& e) { e.Connect(); },
       [](Env& e) {
         ASSERT_TRUE(test::WriteAll(e.peer.get(), "data"));
         e.peer.reset();
         const bool result = e.socket.get()->WaitForDisconnected(1000);
         EXPECT_EQ(result, e.alive());
       }},
      {"WaitForConnectedAfterBacklog",
       {"state:kConnected", "connected"},
       [](Env& e) { e.ConnectingWithRoom(); },
       [](Env& e) {
         const bool result = e.socket.get()->WaitForConnected(5000);
         EXPECT_EQ(result, e.alive());
       }},
      {"RetryTimerConnects",
       {"state:kConnected", "connected"},
       [](Env& e) { e.ConnectingWithRoom(); },
       [](Env& e) { e.RunUntil([](LocalSocket& s) { return s.state() == State::kConnected; }); }},
      {"ConnectTimeout",
       {"state:kConnecting", "error:kSocketTimeout", "state:kUnconnected"},
       [](Env& e) { e.Busy(); },
       [](Env& e) {
         e.s().SetConnectTimeout(30);
         e.s().ConnectToServer("srv");
         e.RunUntil(Unconnected);
       }},
      {"ConnectTimeoutZero",
       {"state:kConnecting", "error:kSocketTimeout", "state:kUnconnected"},
       [](Env& e) { e.Busy(); },
       [](Env& e) {
         e.s().SetConnectTimeout(0);
         e.s().ConnectToServer("srv");
       }},
      {"CloseWhileConnecting",
       {"about_to_close", "state:kUnconnected"},
       [](Env& e) {
         e.Busy();
         e.s().ConnectToServer("srv");
       },
       [](Env& e) { e.s().Close(); }},
  };
  return *scenarios;
}

struct DeleteCase {
  int scenario;
  int delete_at;  // Index in the scenario's sequence; -1: never.
};

void PrintTo(const DeleteCase& c, std::ostream* os) {
  *os << Scenarios()[c.scenario].name << " delete_at=" << c.delete_at;
}

std::vector<DeleteCase> AllDeleteCases() {
  std::vector<DeleteCase> cases;
  for (size_t i = 0; i < Scenarios().size(); ++i) {
    cases.push_back({static_cast<int>(i), -1});
    for (size_t k = 0; k < Scenarios()[i].full.size(); ++k) {
      cases.push_back({static_cast<int>(i), static_cast<int>(k)});
    }
  }
  return cases;
}

std::string DeleteCaseName(const ::testing::TestParamInfo<DeleteCase>& info) {
  const Scenario& scenario = Scenarios()[info.param.scenario];
  std::string name = scenario.name;
  if (info.param.delete_at < 0) return name + "_NoDelete";
  name += "_DeleteAt" + std::to_string(info.param.delete_at) + "_";
  for (char c : scenario.full[info.param.delete_at]) {
    name += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  }
  return name;
}

class DeleteInSlotTest : public test::SocketTest,
                         public ::testing::WithParamInterface<DeleteCase> {};

TEST_P(DeleteInSlotTest, EmitterTouchesNothingAfterwards) {
  const Scenario& scenario = Scenarios()[GetParam().scenario];
  const int delete_at = GetParam().delete_at;
  Env env(loop_, dir_);
  env.socket = std::make_unique<LocalSocket>(loop_);
  ASSERT_NO_FATAL_FAILURE(scenario.setup(env));
  EventRecorder recorder(*env.socket);
  // A slot connected after the recorder: it must not run once the socket is gone.
  int late_slot_runs_after_delete = 0;
  env.socket->state_changed.Connect([&](State) { late_slot_runs_after_delete += !env.alive(); });
  env.socket->ready_read.Connect([&] { late_slot_runs_after_delete += !env.alive(); });
  recorder.SetHook([&](const std::string&) {
    if (static_cast<int>(recorder.events().size()) - 1 == delete_at) env.socket.reset();
  });

  scenario.act(env);
  // Whatever the socket left behind (timers, watchers, flush tasks) must stay quiet.
  test::RunLoopFor(loop_, milliseconds(5));

  Events expected = scenario.full;
  if (delete_at >= 0) expected.resize(delete_at + 1);
  EXPECT_EQ(recorder.events(), expected);
  EXPECT_EQ(env.alive(), delete_at < 0);
  EXPECT_EQ(late_slot_runs_after_delete, 0);
  env.socket.reset();
}

INSTANTIATE_TEST_SUITE_P(AllSequences, DeleteInSlotTest, ::testing::ValuesIn(AllDeleteCases()),
                         DeleteCaseName);

// ---------------------------------------------------------------------------------------------
// Slots that start a new operation on the emitting socket: the rest of the interrupted
// sequence is dropped.

class ReentrancyTest : public test::SocketTest {
 protected:
  void SetUp() override {
    test::SocketTest::SetUp();
    listener_ = Listen("srv");
    ASSERT_TRUE(listener_);
  }
  void TearDown() override {
    listener_.reset();
    test::SocketTest::TearDown();
  }
  // Connects `socket` and accepts the raw peer into `peer`.
  void Connect(LocalSocket& socket, UniqueFd& peer) {
    socket.ConnectToServer("srv");
    ASSERT_EQ(socket.state(), State::kConnected);
    peer.reset(listener_->Accept());
    ASSERT_GE(peer.get(), 0);
  }

  std::unique_ptr<RawListener> listener_;
};

TEST_F(ReentrancyTest, DisconnectFromServerInsideConnected) {
  LocalSocket socket(loop_);
  EventRecorder events(socket);
  socket.connected.Connect([&] { socket.DisconnectFromServer(); });
  socket.ConnectToServer("srv");
  EXPECT_EQ(events.events(),
            (Events{"state:kConnecting", "state:kConnected", "connected", "state:kClosing",
                    "state:kUnconnected", "read_channel_finished", "disconnected"}));
  EXPECT_EQ(socket.state(), State::kUnconnected);
  EXPECT_TRUE(socket.IsOpen());
  UniqueFd peer(listener_->Accept());
  ASSERT_GE(peer.get(), 0);
  EXPECT_EQ(test::ReadUntilEof(peer.get()), "");
  test::RunLoopFor(loop_, milliseconds(5));
  EXPECT_EQ(events.events().size(), 7u);
}

TEST_F(ReentrancyTest, AbortInsideBytesWritten) {
  constexpr size_t kSize = 16 << 20;
  LocalSocket socket(loop_);
  UniqueFd peer;
  ASSERT_NO_FATAL_FAILURE(Connect(socket, peer));
  EventRecorder events(socket);
  int64_t first_chunk = 0;
  socket.bytes_written.Connect([&](int64_t n) {
    first_chunk = n;
    socket.Abort();
  });
  socket.Write(test::Pattern(31, 0, kSize));
  ASSERT_TRUE(RunLoopUntil(loop_, [&] { return socket.state() == State::kUnconnected; }));
  test::RunLoopFor(loop_, milliseconds(5));
  ASSERT_GT(first_chunk, 0);
  EXPECT_EQ(events.events(),
            (Events{"bytes_written:" + std::to_string(first_chunk), "state:kUnconnected",
                    "read_channel_finished", "disconnected", "about_to_close"}));
  EXPECT_EQ(socket.BytesToWrite(), 0);
  EXPECT_FALSE(socket.IsOpen());
  const std::string received = test::ReadUntilEof(peer.get());
  EXPECT_EQ(received.size(), static_cast<size_t>(first_chunk));
  EXPECT_TRUE(received == test::Pattern(31, 0, received.size()));
}

TEST_F(ReentrancyTest, AbortInsidePeerClosedError) {
  LocalSocket socket(loop_);
  UniqueFd peer;
  ASSERT_NO_FATAL_FAILURE(Connect(socket, peer));
  EventRecorder events(socket);
  socket.error_occurred.Connect([&](Error error) {
    EXPECT_EQ(error, Error::kPeerClosed);
    socket.Abort();
  });
  peer.reset();
  ASSERT_TRUE(RunLoopUntil(loop_, [&] { return socket.state() == State::kUnconnected; }));
  test::RunLoopFor(loop_, milliseconds(5));
  EXPECT_EQ(events.events(), (Events{"error:kPeerClosed", "state:kUnconnected",
                                     "read_channel_finished", "disconnected", "about_to_close"}));
  EXPECT_EQ(events.Count("disconnected"), 1);
  EXPECT_FALSE(socket.IsOpen());
}

TEST_F(ReentrancyTest, AbortInsideClosingOfAPeerClose) {
  LocalSocket socket(loop_);
  UniqueFd peer;
  ASSERT_NO_FATAL_FAILURE(Connect(socket, peer));
  EventRecorder events(socket);
  socket.state_changed.Connect([&](State state) {
    if (state == State::kClosing) socket.Abort();
  });
  peer.reset();
  ASSERT_TRUE(RunLoopUntil(loop_, [&] { return socket.state() == State::kUnconnected; }));
  test::RunLoopFor(loop_, milliseconds(5));
  EXPECT_EQ(events.events(), (Events{"error:kPeerClosed", "state:kClosing", "state:kUnconnected",
                                     "read_channel_finished", "disconnected", "about_to_close"}));
}

TEST_F(ReentrancyTest, CloseAndDisconnectInsidePeerClosedError) {
  for (bool close : {true, false}) {
    LocalSocket socket(loop_);
    UniqueFd peer;
    ASSERT_NO_FATAL_FAILURE(Connect(socket, peer));
    EventRecorder events(socket);
    socket.error_occurred.Connect([&](Error) {
      if (close) {
        socket.Close();
      } else {
        socket.DisconnectFromServer();
      }
    });
    peer.reset();
    ASSERT_TRUE(RunLoopUntil(loop_, [&] { return socket.state() == State::kUnconnected; }));
    test::RunLoopFor(loop_, milliseconds(5));
    Events expected{"error:kPeerClosed"};
    if (close) expected.push_back("about_to_close");
    for (const char* e :
         {"state:kClosing", "state:kUnconnected", "read_channel_finished", "disconnected"}) {
      expected.push_back(e);
    }
    EXPECT_EQ(events.events(), expected) << (close ? "Close" : "DisconnectFromServer");
    EXPECT_EQ(socket.IsOpen(), !close);
  }
}

// Reconnecting inside `disconnected`, for each way a connection ends.
TEST_F(ReentrancyTest, ReconnectInsideDisconnected) {
  enum Way { kPeerClose, kDisconnect, kAbort, kClose };
  for (Way way : {kPeerClose, kDisconnect, kAbort, kClose}) {
    SCOPED_TRACE(way);
    LocalSocket socket(loop_);
    UniqueFd peer;
    ASSERT_NO_FATAL_FAILURE(Connect(socket, peer));
    EventRecorder events(socket);
    bool reconnected = false;
    socket.disconnected.Connect([&] {
      if (reconnected) return;
      reconnected = true;
      EXPECT_EQ(socket.state(), State::kUnconnected);
      socket.ConnectToServer("srv");
      EXPECT_EQ(socket.state(), State::kConnected);
    });
    Events expected;
    switch (way) {
      case kPeerClose:
        peer.reset();
        ASSERT_TRUE(RunLoopUntil(loop_, [&] { return reconnected; }));
        expected = {"error:kPeerClosed", "state:kClosing", "state:kUnconnected",
                    "read_channel_finished", "disconnected"};
        break;
      case kDisconnect:
        socket.DisconnectFromServer();
        expected = {"state:kClosing", "state:kUnconnected", "read_channel_finished",
                    "disconnected"};
        break;
      case kAbort:
        socket.Abort();  // about_to_close, the rest of Abort's sequence, is dropped.
        expected = {"state:kUnconnected", "read_channel_finished", "disconnected"};
        break;
      case kClose:
        socket.Close();
        expected = {"about_to_close", "state:kClosing", "state:kUnconnected",
                    "read_channel_finished", "disconnected"};
        break;
    }
    for (const char* e : {"state:kConnecting", "state:kConnected", "connected"}) {
      expected.push_back(e);
    }
    EXPECT_EQ(events.Take(), expected);
    ASSERT_EQ(socket.state(), State::kConnected);
    EXPECT_TRUE(socket.IsOpen()) << "the new connection's device is open";
    EXPECT_TRUE(socket.IsValid());
    EXPECT_EQ(socket.error(), Error::kNone);
    EXPECT_EQ(socket.server_name(), "srv");
    EXPECT_EQ(socket.BytesAvailable(), 0);

    // The new connection works and nothing of the old sequence follows.
    UniqueFd new_peer(listener_->Accept());
    ASSERT_GE(new_peer.get(), 0);
    socket.Write("new");
    ASSERT_TRUE(RunLoopUntil(loop_, [&] { return socket.BytesToWrite() == 0; }));
    ASSERT_TRUE(test::WriteAll(new_peer.get(), "reply"));
    ASSERT_TRUE(RunLoopUntil(loop_, [&] { return socket.BytesAvailable() == 5; }));
    EXPECT_EQ(test::ReadExactly(new_peer.get(), 3), "new");
    EXPECT_EQ(events.events(), (Events{"bytes_written:3", "ready_read"}));
  }
}

// Data that arrives during a ready_read slot (here pulled in by a wait inside the
// slot) gets exactly one more ready_read, right after the slot returns.
TEST_F(ReentrancyTest, DataArrivingDuringReadyReadGetsOneMoreReadyReadAfterTheSlot) {
  LocalSocket socket(loop_);
  UniqueFd peer;
  ASSERT_NO_FATAL_FAILURE(Connect(socket, peer));
  EventRecorder events(socket);
  int calls = 0;
  std::vector<int64_t> available;
  socket.ready_read.Connect([&] {
    ++calls;
    available.push_back(socket.BytesAvailable());
    if (calls != 1) return;
    ASSERT_TRUE(test::WriteAll(peer.get(), "b"));
    EXPECT_TRUE(socket.WaitForReadyRead(1000));
    EXPECT_EQ(socket.BytesAvailable(), 2);
    EXPECT_EQ(events.Count("ready_read"), 1) << "never re-entrant";
    loop_.Post([&] { events.Mark("posted"); });
    events.Mark("slot returns");
  });
  ASSERT_TRUE(test::WriteAll(peer.get(), "a"));
  ASSERT_TRUE(RunLoopUntil(loop_, [&] { return events.Count("posted") == 1; }));
  test::RunLoopFor(loop_, milliseconds(5));
  EXPECT_EQ(events.events(), (Events{"ready_read", "slot returns", "ready_read", "posted"}));
  EXPECT_EQ(available, (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(socket.ReadAll(), "ab");
}

// A ready_read slot that reconnects and then waits for the new connection's first data: that
// data belongs to the new connection, and its ready_read (deferred until the slot returns) must not
// be lost with the old connection's sequence.
TEST_F(ReentrancyTest, ReconnectInsideReadyReadThenWaitStillGetsReadyRead) {
  LocalSocket socket(loop_);
  UniqueFd peer;
  ASSERT_NO_FATAL_FAILURE(Connect(socket, peer));
  UniqueFd new_peer;
  int calls = 0;
  socket.ready_read.Connect([&] {
    if (++calls != 1) return;
    socket.Abort();
    socket.ConnectToServer("srv");
    ASSERT_EQ(socket.state(), State::kConnected);
    new_peer.reset(listener_->Accept());
    ASSERT_TRUE(test::WriteAll(new_peer.get(), "new"));
    EXPECT_TRUE(socket.WaitForReadyRead(1000));
  });
  EventRecorder events(socket);
  ASSERT_TRUE(test::WriteAll(peer.get(), "old"));
  ASSERT_TRUE(RunLoopUntil(loop_, [&] { return calls >= 1; }));
  test::RunLoopFor(loop_, milliseconds(10));
  EXPECT_EQ(calls, 2) << "the new connection's data got its ready_read";
  EXPECT_EQ(socket.ReadAll(), "new");
  EXPECT_EQ(events.Count("ready_read"), 2);
}

// The bytes_written counterpart: a slot reconnects and flushes on the new connection.
TEST_F(ReentrancyTest, ReconnectInsideBytesWrittenThenFlushStillGetsBytesWritten) {
  LocalSocket socket(loop_);
  UniqueFd peer;
  ASSERT_NO_FATAL_FAILURE(Connect(socket, peer));
  UniqueFd new_peer;
  EventRecorder events(socket);
  int calls = 0;
  socket.bytes_written.Connect([&](int64_t) {
    if (++calls != 1) return;
    socket.Abort();
    socket.ConnectToServer("srv");
    ASSERT_EQ(socket.state(), State::kConnected);
    new_peer.reset(listener_->Accept());
    socket.Write("new");
    EXPECT_TRUE(socket.Flush());
  });
  socket.Write("old");
  ASSERT_TRUE(RunLoopUntil(loop_, [&] { return calls >= 1; }));
  test::RunLoopFor(loop_, milliseconds(10));
  EXPECT_EQ(events.events(),
            (Events{"bytes_written:3", "state:kUnconnected", "read_channel_finished",
                    "disconnected", "about_to_close", "state:kConnecting", "state:kConnected",
                    "connected", "bytes_written:3"}));
  ASSERT_GE(new_peer.get(), 0);
  EXPECT_EQ(test::ReadExactly(new_peer.get(), 3), "new");
}

TEST_F(ReentrancyTest, NoExtraReadyReadWhenNothingArrivedDuringTheSlot) {
  LocalSocket socket(loop_);
  UniqueFd peer;
  ASSERT_NO_FATAL_FAILURE(Connect(socket, peer));
  EventRecorder events(socket);
  socket.ready_read.Connect([&] {
    EXPECT_FALSE(socket.WaitForReadyRead(20));  // Nothing new.
    EXPECT_EQ(socket.error(), Error::kSocketTimeout);
  });
  ASSERT_TRUE(test::WriteAll(peer.get(), "a"));
  ASSERT_TRUE(RunLoopUntil(loop_, [&] { return events.Count("ready_read") == 1; }));
  test::RunLoopFor(loop_, milliseconds(10));
  EXPECT_EQ(events.events(), (Events{"ready_read"}));
}

// The bytes_written counterpart: a Flush inside a bytes_written slot is reported by one more
// bytes_written right after the slot.
TEST_F(ReentrancyTest, FlushInsideBytesWrittenGetsOneMoreBytesWrittenAfterTheSlot) {
  LocalSocket socket(loop_);
  UniqueFd peer;
  ASSERT_NO_FATAL_FAILURE(Connect(socket, peer));
  EventRecorder events(socket);
  int calls = 0;
  socket.bytes_written.Connect([&](int64_t) {
    if (++calls != 1) return;
    EXPECT_EQ(socket.Write("def"), 3);
    EXPECT_TRUE(socket.Flush());
    EXPECT_EQ(events.Count("bytes_written:3"), 1) << "never re-entrant";
    EXPECT_EQ(socket.BytesToWrite(), 0);
    loop_.Post([&] { events.Mark("posted"); });
    events.Mark("slot returns");
  });
  socket.Write("abc");
  ASSERT_TRUE(RunLoopUntil(loop_, [&] { return events.Count("posted") == 1; }));
  test::RunLoopFor(loop_, milliseconds(5));
  EXPECT_EQ(events.events(),
            (Events{"bytes_written:3", "slot returns", "bytes_written:3", "posted"}));
  EXPECT_EQ(test::ReadExactly(peer.get(), 6), "abcdef");
}

TEST_F(ReentrancyTest, FlushInsideBytesWrittenFromFlush) {
  LocalSocket socket(loop_);
  UniqueFd peer;
  ASSERT_NO_FATAL_FAILURE(Connect(socket, peer));
  EventRecorder events(socket);
  int calls = 0;
  socket.bytes_written.Connect([&](int64_t) {
    if (++calls > 2) return;
    socket.Write("x");
    socket.Flush();
  });
  socket.Write("abc");
  EXPECT_TRUE(socket.Flush());
  EXPECT_EQ(events.events(), (Events{"bytes_written:3", "bytes_written:1", "bytes_written:1"}));
  EXPECT_EQ(test::ReadExactly(peer.get(), 5), "abcxx");
}

// A wait interrupted by a slot that destroys the socket returns false, also when the wait runs
// inside another slot of the same socket.
TEST_F(ReentrancyTest, WaitInsideASlotReturnsFalseWhenASlotDestroysTheSocket) {
  auto owned = std::make_unique<LocalSocket>(loop_);
  LocalSocket* socket = owned.get();
  UniqueFd peer;
  ASSERT_NO_FATAL_FAILURE(Connect(*socket, peer));
  EventRecorder events(*socket);
  int wait_results = 0;
  socket->ready_read.Connect([&] {
    // The peer has closed: the wait runs the disconnect sequence, whose last slot destroys
    // the socket.
    const bool result = socket->WaitForDisconnected(1000);
    EXPECT_FALSE(result);
    EXPECT_EQ(owned, nullptr);
    ++wait_results;
  });
  socket->disconnected.Connect([&] { owned.reset(); });
  ASSERT_TRUE(test::WriteAll(peer.get(), "data"));
  peer.reset();
  ASSERT_TRUE(RunLoopUntil(loop_, [&] { return owned == nullptr; }));
  test::RunLoopFor(loop_, milliseconds(5));
  EXPECT_EQ(wait_results, 1);
  EXPECT_EQ(events.events(),
            (Events{"ready_read", "error:kPeerClosed", "state:kClosing", "state:kUnconnected",
                    "read_channel_finished", "disconnected"}));
}

TEST_F(ReentrancyTest, WaitInsideConnectedSlotDestroyedByReadyRead) {
  auto owned = std::make_unique<LocalSocket>(loop_);
  LocalSocket* socket = owned.get();
  EventRecorder events(*socket);
  UniqueFd peer;
  socket->connected.Connect([&] {
    peer.reset(listener_->Accept());
    ASSERT_TRUE(test::WriteAll(peer.get(), "hello"));
    EXPECT_FALSE(socket->WaitForReadyRead(1000));
    events.Mark("wait returned");
  });
  socket->ready_read.Connect([&] { owned.reset(); });
  socket->ConnectToServer("srv");  // Returns without touching the destroyed socket.
  EXPECT_EQ(owned, nullptr);
  EXPECT_EQ(events.events(), (Events{"state:kConnecting", "state:kConnected", "connected",
                                     "ready_read", "wait returned"}));
  EXPECT_EQ(test::ReadUntilEof(peer.get()), "");
}

// A slot destroys another socket that is ready in the same loop iteration.
TEST_F(ReentrancyTest, DestroyingAnotherReadySocketInASlot) {
  auto first = std::make_unique<LocalSocket>(loop_);
  auto second = std::make_unique<LocalSocket>(loop_);
  UniqueFd first_peer;
  UniqueFd second_peer;
  ASSERT_NO_FATAL_FAILURE(Connect(*first, first_peer));
  ASSERT_NO_FATAL_FAILURE(Connect(*second, second_peer));
  int reads = 0;
  first->ready_read.Connect([&] {
    ++reads;
    second.reset();
  });
  second->ready_read.Connect([&] {
    ++reads;
    first.reset();
  });
  ASSERT_TRUE(test::WriteAll(first_peer.get(), "1"));
  ASSERT_TRUE(test::WriteAll(second_peer.get(), "2"));
  ASSERT_TRUE(RunLoopUntil(loop_, [&] { return !first || !second; }));
  test::RunLoopFor(loop_, milliseconds(5));
  EXPECT_EQ(reads, 1) << "the destroyed socket's pending event never fires";
  EXPECT_TRUE(!first != !second);
}

// The sockets of a loop flush in one before-blocking task: a bytes_written slot of one flush may
// destroy a socket whose flush comes later in the same task (its unflushed data goes with it,
// as any destroyed socket's), and a write it makes to an idle socket goes out in the next
// iteration.
TEST_F(ReentrancyTest, ABytesWrittenSlotDestroysASocketWhoseFlushIsPendingAndWritesToAnother) {
  auto first = std::make_unique<LocalSocket>(loop_);
  auto second = std::make_unique<LocalSocket>(loop_);
  auto third = std::make_unique<LocalSocket>(loop_);
  UniqueFd first_peer;
  UniqueFd second_peer;
  UniqueFd third_peer;
  ASSERT_NO_FATAL_FAILURE(Connect(*first, first_peer));
  ASSERT_NO_FATAL_FAILURE(Connect(*second, second_peer));
  ASSERT_NO_FATAL_FAILURE(Connect(*third, third_peer));
  std::vector<std::string> log;
  first->bytes_written.Connect([&](int64_t n) {
    log.push_back("first wrote " + std::to_string(n));
    second.reset();
    EXPECT_EQ(third->Write("3"), 1);
  });
  second->bytes_written.Connect([&](int64_t) { log.push_back("second wrote"); });
  third->bytes_written.Connect(
      [&](int64_t n) { log.push_back("third wrote " + std::to_string(n)); });
  EXPECT_EQ(first->Write("1"), 1);
  EXPECT_EQ(second->Write("2"), 1);
  ASSERT_TRUE(RunLoopUntil(loop_, [&] { return log.size() == 2; }));
  loop_.RunUntilIdle();  // Any flush still scheduled would run here.
  EXPECT_EQ(log, (std::vector<std::string>{"first wrote 1", "third wrote 1"}));
  first.reset();
  third.reset();
  EXPECT_EQ(test::ReadUntilEof(first_peer.get()), "1");
  EXPECT_EQ(test::ReadUntilEof(second_peer.get()), "");
  EXPECT_EQ(test::ReadUntilEof(third_peer.get()), "3");
}

}  // namespace
}  // namespace ipc
