// LocalSocket on real sockets and a LibeventLoop: connecting (synchronous outcome, failures,
// names, the full-backlog retry), echo, disconnecting, the state/validity accessors, adoption
// with SetSocketDescriptor, open modes and half-close. The server side is a raw listening
// socket; accepted connections are adopted into LocalSockets. Transfers are in
// local_socket_transfer_test.cc, the blocking waits in local_socket_wait_test.cc, re-entrancy
// in local_socket_reentrancy_test.cc.
#include "ipc/local_socket.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "ipc/unique_fd.h"
#include "testing/data_pattern.h"
#include "testing/process_resources.h"
#include "testing/raw_socket.h"
#include "testing/run_loop_until.h"
#include "testing/socket_event_recorder.h"
#include "testing/socket_test_fixture.h"

namespace ipc {
namespace {

using State = LocalSocket::State;
using Error = LocalSocket::Error;
using test::EventRecorder;
using test::Events;
using test::RawListener;
using test::RunLoopUntil;

using LocalSocketTest = test::SocketTest;

// ---------------------------------------------------------------------------------------------
// Connecting.

TEST_F(LocalSocketTest, FreshSocketDefaults) {
  LocalSocket socket(loop_);
  EXPECT_EQ(socket.state(), State::kUnconnected);
  EXPECT_EQ(socket.error(), Error::kNone);
  EXPECT_EQ(socket.error_string(), "");
  EXPECT_EQ(socket.open_mode(), LocalSocket::kNotOpen);
  EXPECT_EQ(socket.socket_descriptor(), -1);
  EXPECT_FALSE(socket.IsValid());
  EXPECT_FALSE(socket.IsOpen());
  EXPECT_EQ(socket.connect_timeout(), 30000);
  EXPECT_EQ(socket.read_buffer_size(), 0);
  EXPECT_EQ(socket.server_name(), "");
  EXPECT_EQ(socket.full_server_name(), "");
  EXPECT_EQ(socket.BytesAvailable(), 0);
  EXPECT_EQ(socket.BytesToWrite(), 0);
  EXPECT_TRUE(socket.AtEnd());
  socket.SetConnectTimeout(-2);  // Out of range: ignored.
  EXPECT_EQ(socket.connect_timeout(), 30000);
  socket.SetConnectTimeout(-1);
  EXPECT_EQ(socket.connect_timeout(), -1);
  socket.SetReadBufferSize(-1);  // Ignored.
  EXPECT_EQ(socket.read_buffer_size(), 0);
  // Misuse on a fresh socket: return values and error(), no signals.
  EventRecorder events(socket);
  EXPECT_EQ(socket.Write("x"), -1);
  EXPECT_EQ(socket.error(), Error::kOperation);
  char byte;
  EXPECT_EQ(socket.Read(&byte, 1), -1);
  EXPECT_FALSE(socket.Flush());
  socket.ShutdownWrite();
  EXPECT_EQ(socket.error(), Error::kOperation);
  EXPECT_TRUE(events.events().empty());
}

TEST_F(LocalSocketTest, ConnectIsSynchronous) {
  auto listener = Listen("srv");
  ASSERT_TRUE(listener);
  LocalSocket client(loop_);
  EventRecorder events(client);
  int connecting_checks = 0;
  int connected_checks = 0;
  client.state_changed.Connect([&](State state) {
    EXPECT_EQ(client.state(), state);
    if (state == State::kConnecting) {
      ++connecting_checks;
      EXPECT_EQ(client.socket_descriptor(), -1);
      EXPECT_FALSE(client.IsOpen());
      EXPECT_FALSE(client.IsValid());
    } else if (state == State::kConnected) {
      // Clarifications: during state_changed(kConnected) the device is open and the fd valid.
      ++connected_checks;
      EXPECT_TRUE(client.IsOpen());
      EXPECT_TRUE(client.IsValid());
      EXPECT_GE(client.socket_descriptor(), 0);
    }
  });
  client.connected.Connect([&] {
    EXPECT_EQ(client.state(), State::kConnected);
    EXPECT_GE(client.socket_descriptor(), 0);
  });

  client.ConnectToServer("srv");

  EXPECT_EQ(events.events(), (Events{"state:kConnecting", "state:kConnected", "connected"}));
  EXPECT_EQ(connecting_checks, 1);
  EXPECT_EQ(connected_checks, 1);
  EXPECT_EQ(client.state(), State::kConnected);
  EXPECT_TRUE(client.IsValid());
  EXPECT_TRUE(client.IsOpen());
  EXPECT_EQ(client.open_mode(), LocalSocket::kReadWrite);
  EXPECT_EQ(client.error(), Error::kNone);
  EXPECT_EQ(client.error_string(), "");
  EXPECT_EQ(client.server_name(), "srv");
  EXPECT_EQ(client.full_server_name(), dir_.File("srv"));
  const int fd = client.socket_descriptor();
  ASSERT_GE(fd, 0);
  EXPECT_TRUE(test::IsNonBlocking(fd));
  EXPECT_EQ(fcntl(fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
  // The kernel completed the connection: the listener has it queued.
  UniqueFd peer(listener->AcceptNow());
  EXPECT_GE(peer.get(), 0);
  loop_.RunUntilIdle();
  EXPECT_EQ(events.events().size(), 3u);
}

TEST_F(LocalSocketTest, ConnectByAbsolutePathAndWithSetServerName) {
  auto listener = Listen("srv");
  ASSERT_TRUE(listener);
  LocalSocket client(loop_);
  client.SetServerName(dir_.File("srv"));
  EXPECT_EQ(client.server_name(), dir_.File("srv"));
  client.ConnectToServer();
  ASSERT_EQ(client.state(), State::kConnected);
  EXPECT_EQ(client.server_name(), dir_.File("srv"));
  EXPECT_EQ(client.full_server_name(), dir_.File("srv"));
  // SetServerName is ignored unless unconnected.
  client.SetServerName("other");
  EXPECT_EQ(client.server_name(), dir_.File("srv"));
}

TEST_F(LocalSocketTest, ClientsOfOneServerKeepTheirNamesWhenAnotherChangesItsOwn) {
  auto listener = Listen("srv");
  ASSERT_TRUE(listener);
  LocalSocket first(loop_);
  LocalSocket second(loop_);
  first.ConnectToServer(dir_.File("srv"));
  second.ConnectToServer(dir_.File("srv"));
  ASSERT_EQ(first.state(), State::kConnected);
  ASSERT_EQ(second.state(), State::kConnected);
  LocalSocket third(loop_);
  third.SetServerName("elsewhere");
  first.Abort();
  first.SetServerName("moved");
  EXPECT_EQ(first.server_name(), "moved");
  EXPECT_EQ(second.server_name(), dir_.File("srv"));
  EXPECT_EQ(second.full_server_name(), dir_.File("srv"));
  EXPECT_EQ(third.server_name(), "elsewhere");
}

TEST_F(LocalSocketTest, EchoBothWays) {
  auto listener = Listen("srv");
  ASSERT_TRUE(listener);
  LocalSocket client(loop_);
  LocalSocket server(loop_);
  ASSERT_TRUE(ConnectPair(*listener, client, server));
  EventRecorder client_events(client);
  EventRecorder server_events(server);
  std::string server_got;
  std::string client_got;
  server.ready_read.Connect([&] {
    server_got += server.ReadAll();
    if (server_got == "hello") {
      EXPECT_EQ(server.Write("world!"), 6);
    }
  });
  client.ready_read.Connect([&] { client_got += client.ReadAll(); });

  EXPECT_EQ(client.Write("hello"), 5);
  EXPECT_EQ(client.BytesToWrite(), 5);
  EXPECT_TRUE(client_events.events().empty()) << "Write never emits";
  ASSERT_TRUE(RunLoopUntil(loop_, [&] { return client_got == "world!"; }));
  EXPECT_EQ(server_got, "hello");
  loop_.RunUntilIdle();
  EXPECT_EQ(client_events.events(), (Events{"bytes_written:5", "ready_read"}));
  EXPECT_EQ(server_events.events(), (Events{"ready_read", "bytes_written:6"}));
  EXPECT_EQ(client.BytesToWrite(), 0);
  EXPECT_EQ(server.BytesToWrite(), 0);
}

TEST_F(LocalSocketTest, DisconnectWithNothingPendingIsSynchronous) {
  auto listener = Listen("srv");
  ASSERT_TRUE(listener);
  LocalSocket client(loop_);
  LocalSocket server(loop_);
  ASSERT_TRUE(ConnectPair(*listener, client, server));
  EventRecorder client_events(client);
  EventRecorder server_events(server);

  client.DisconnectFromServer();

  EXPECT_EQ(client_events.events(), (Events{"state:kClosing", "state:kUnconnected",
                                            "read_channel_finished", "disconnected"}));
  EXPECT_EQ(client.state(), State::kUnconnected);
  EXPECT_FALSE(client.IsValid());
  EXPECT_TRUE(client.IsOpen()) << "only Close/Abort close the device";
  EXPECT_EQ(client.socket_descriptor(), -1);
  EXPECT_EQ(client.server_name(), "");
  EXPECT_EQ(client.full_server_name(), "");
  EXPECT_EQ(client.error(), Error::kNone);

  ASSERT_TRUE(RunLoopUntil(loop_, [&] { return server.state() == State::kUnconnected; }));
  EXPECT_EQ(server_events.events(),
            (Events{"error:kPeerClosed", "state:kClosing", "state:kUnconnected",
                    "read_channel_finished", "disconnected"}));
  EXPECT_EQ(server.error(), Error::kPeerClosed);
  EXPECT_EQ(server.error_string(), "LocalSocket::Read: remote closed");
  // A second disconnect is a no-op.
  client.DisconnectFromServer();
  EXPECT_EQ(client_events.events().size(), 4u);
}

TEST_F(LocalSocketTest, DisconnectWithWritesPendingFlushesFirst) {
  auto listener = Listen("srv");
  ASSERT_TRUE(listener);
  LocalSocket client(loop_);
  LocalSocket server(loop_);
  ASSERT_TRUE(ConnectPair(*listener, client, server));
  EventRecorder client_events(client);
  EventRecorder server_events(server);
  std::string server_got_in_disconnected;
  server.disconnected.Connect([&] { server_got_in_disconnected = server.ReadAll(); });

  EXPECT_EQ(client.Write("abc"), 3);
  client.DisconnectFromServer();
  EXPECT_EQ(client_events.Take(), (Events{"state:kClosing"}));
  EXPECT_EQ(client.state(), State::kClosing);
  EXPECT_TRUE(client.IsValid());
  EXPECT_EQ(client.BytesToWrite(), 3);
  // Re-entrant disconnect keeps waiting.
  client.DisconnectFromServer();
  EXPECT_TRUE(client_events.events().empty());

  ASSERT_TRUE(RunLoopUntil(loop_, [&] {
    return client.state() == State::kUnconnected && server.state() == State::kUnconnected;
  }));
  EXPECT_EQ(client_events.events(), (Events{"bytes_written:3", "state:kUnconnected",
                                            "read_channel_finished", "disconnected"}));
  EXPECT_EQ(server_events.events(),
            (Events{"ready_read", "error:kPeerClosed", "state:kClosing", "state:kUnconnected",
                    "read_channel_finished", "disconnected"}));
  EXPECT_EQ(server_got_in_disconnected, "abc");
}

// ---------------------------------------------------------------------------------------------
// Connect failures: state:kConnecting, error:X (still connecting), state:kUnconnected, no
// disconnected, names cleared, no fd left behind (the fixture checks).

void ExpectConnectFails(LocalSocket& client, const std::string& name, uint32_t options,
                        Error expected, const std::string& expected_string) {
  EventRecorder events(client);
  int error_slot_calls = 0;
  Connection connection = client.error_occurred.Connect([&](Error error) {
    ++error_slot_calls;
    EXPECT_EQ(client.state(), State::kConnecting);
    EXPECT_EQ(client.error(), error);
    EXPECT_EQ(client.error_string(), expected_string);
  });
  client.SetSocketOptions(options);
  client.ConnectToServer(name);
  connection.Disconnect();
  std::ostringstream error_event;
  error_event << "error:" << expected;
  EXPECT_EQ(events.events(), (Events{"state:kConnecting", error_event.str(), "state:kUnconnected"}))
      << name;
  EXPECT_EQ(error_slot_calls, 1);
  EXPECT_EQ(client.state(), State::kUnconnected);
  EXPECT_EQ(client.error(), expected);
  EXPECT_EQ(client.error_string(), expected_string);
  EXPECT_EQ(client.server_name(), "");
  EXPECT_EQ(client.full_server_name(), "");
  EXPECT_EQ(client.socket_descriptor(), -1);
  EXPECT_FALSE(client.IsOpen());
  EXPECT_FALSE(client.IsValid());
  EXPECT_EQ(client.Write("x"), -1);
}

TEST_F(LocalSocketTest, ConnectToMissingPathIsServerNotFound) {
  LocalSocket client(loop_);
  ExpectConnectFails(client, "nosuch", LocalSocket::kNoOptions, Error::kServerNotFound,
                     "LocalSocket::ConnectToServer: server not found: No such file or directory");
  // A missing directory too.
  ExpectConnectFails(client, dir_.File("nodir/x"), LocalSocket::kNoOptions, Error::kServerNotFound,
                     "LocalSocket::ConnectToServer: server not found: No such file or directory");
}

TEST_F(LocalSocketTest, ConnectThroughARegularFileIsServerNotFound) {
  UniqueFd file(open(dir_.File("file").c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0600));
  ASSERT_GE(file.get(), 0);
  file.reset();
  LocalSocket client(loop_);
  ExpectConnectFails(client, "file/x", LocalSocket::kNoOptions, Error::kServerNotFound,
                     "LocalSocket::ConnectToServer: server not found: Not a directory");
}

TEST_F(LocalSocketTest, ConnectToStaleSocketFileIsConnectionRefused) {
  {
    auto listener = Listen("stale");
    ASSERT_TRUE(listener);
    listener->CloseFd();  // The file stays; nobody listens.
    struct stat st;
    ASSERT_EQ(lstat(dir_.File("stale").c_str(), &st), 0);
    ASSERT_TRUE(S_ISSOCK(st.st_mode));
    LocalSocket client(loop_);
    ExpectConnectFails(client, "stale", LocalSocket::kNoOptions, Error::kConnectionRefused,
                       "LocalSocket::ConnectToServer: connection refused: Connection refused");
  }
}

TEST_F(LocalSocketTest, ConnectToRegularFileIsConnectionRefused) {
  UniqueFd file(open(dir_.File("plain").c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0600));
  ASSERT_GE(file.get(), 0);
  LocalSocket client(loop_);
  ExpectConnectFails(client, "plain", LocalSocket::kNoOptions, Error::kConnectionRefused,
                     "LocalSocket::ConnectToServer: connection refused: Connection refused");
}

TEST_F(LocalSocketTest, ConnectToMissingAbstractNameIsConnectionRefused) {
  LocalSocket client(loop_);
  ExpectConnectFails(client, test::UniqueAbstractName("missing"), LocalSocket::kAbstractNamespace,
                     Error::kConnectionRefused,
                     "LocalSocket::ConnectToServer: connection refused: Connection refused");
}

TEST_F(LocalSocketTest, ConnectWithEmptyNameIsServerNotFound) {
  LocalSocket client(loop_);
  EventRecorder events(client);
  client.ConnectToServer("");
  EXPECT_EQ(events.events(),
            (Events{"state:kConnecting", "error:kServerNotFound", "state:kUnconnected"}));
  EXPECT_EQ(client.error(), Error::kServerNotFound);
  EXPECT_EQ(client.error_string().rfind("LocalSocket::ConnectToServer: server not found", 0), 0u)
      << client.error_string();
}

TEST_F(LocalSocketTest, ConnectWithInvalidOpenModeIsRefusedSilently) {
  auto listener = Listen("srv");
  ASSERT_TRUE(listener);
  LocalSocket client(loop_);
  EventRecorder events(client);
  client.ConnectToServer("srv", LocalSocket::kNotOpen);
  EXPECT_TRUE(events.events().empty());
  EXPECT_EQ(client.state(), State::kUnconnected);
  EXPECT_EQ(client.error(), Error::kOperation);
  client.ConnectToServer("srv", 7);
  EXPECT_TRUE(events.events().empty());
  EXPECT_EQ(client.state(), State::kUnconnected);
}

TEST_F(LocalSocketTest, SocketCreationFailureIsSocketResource) {
  auto listener = Listen("srv");
  ASSERT_TRUE(listener);
  LocalSocket client(loop_);
  EventRecorder events(client);
  // The lowest free fd number becomes the limit: socket() then fails with EMFILE.
  const std::set<int> open_fds = test::OpenFds();
  int lowest_free = 0;
  while (open_fds.count(lowest_free) != 0) ++lowest_free;
  rlimit old_limit{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &old_limit), 0);
  rlimit low_limit = old_limit;
  low_limit.rlim_cur = static_cast<rlim_t>(lowest_free);
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &low_limit), 0);
  client.ConnectToServer("srv");
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &old_limit), 0);
  EXPECT_EQ(events.events(),
            (Events{"state:kConnecting", "error:kSocketResource", "state:kUnconnected"}));
  EXPECT_EQ(client.error(), Error::kSocketResource);
  EXPECT_EQ(client.error_string(),
            "LocalSocket::ConnectToServer: out of resources: Too many open files");
  EXPECT_EQ(client.server_name(), "");
  // With the limit back, it connects.
  client.ConnectToServer("srv");
  EXPECT_EQ(client.state(), State::kConnected);
  UniqueFd peer(listener->Accept());
}

// ---------------------------------------------------------------------------------------------
// Names.

TEST_F(LocalSocketTest, PathNameOf107BytesConnects) {
  const std::string prefix = dir_.File("");
  ASSERT_LT(prefix.size(), 100u);
  const std::string base(107 - prefix.size(), 'p');
  const std::string path = prefix + base;
  ASSERT_EQ(path.size(), 107u);
  auto listener = RawListener::Listen(path);
  ASSERT_TRUE(listener) << strerror(errno);

  LocalSocket absolute(loop_);
  absolute.ConnectToServer(path);
  EXPECT_EQ(absolute.state(), State::kConnected) << absolute.error_string();
  EXPECT_EQ(absolute.full_server_name(), path);

  LocalSocket relative(loop_);  // Resolved under $TMPDIR to the same 107 bytes.
  relative.ConnectToServer(base);
  EXPECT_EQ(relative.state(), State::kConnected) << relative.error_string();
  EXPECT_EQ(relative.server_name(), base);
  EXPECT_EQ(relative.full_server_name(), path);
}

TEST_F(LocalSocketTest, PathNameOf108BytesIsServerNotFound) {
  const std::string prefix = dir_.File("");
  const std::string base(108 - prefix.size(), 'q');
  for (const std::string& name : {prefix + base, base}) {
    LocalSocket client(loop_);
    EventRecorder events(client);
    client.ConnectToServer(name);
    EXPECT_EQ(events.events(),
              (Events{"state:kConnecting", "error:kServerNotFound", "state:kUnconnected"}));
    EXPECT_EQ(client.error(), Error::kServerNotFound);
    EXPECT_NE(client.error_string().find("name too long"), std::string::npos)
        << client.error_string();
    EXPECT_EQ(client.server_name(), "");
  }
}

TEST_F(LocalSocketTest, AbstractNameOf107BytesConnectsAnd108IsServerNotFound) {
  std::string name = test::UniqueAbstractName();
  name.resize(107, 'a');
  auto listener = RawListener::ListenAbstract(name);
  ASSERT_TRUE(listener) << strerror(errno);
  LocalSocket client(loop_);
  client.SetSocketOptions(LocalSocket::kAbstractNamespace);
  client.ConnectToServer(name);
  EXPECT_EQ(client.state(), State::kConnected) << client.error_string();
  EXPECT_EQ(client.full_server_name(), name);
  UniqueFd peer(listener->AcceptNow());
  EXPECT_GE(peer.get(), 0);

  LocalSocket too_long(loop_);
  too_long.SetSocketOptions(LocalSocket::kAbstractNamespace);
  EventRecorder events(too_long);
  too_long.ConnectToServer(name + "b");
  EXPECT_EQ(events.events(),
            (Events{"state:kConnecting", "error:kServerNotFound", "state:kUnconnected"}));
  EXPECT_NE(too_long.error_string().find("name too long"), std::string::npos)
      << too_long.error_string();
}

TEST_F(LocalSocketTest, AbstractNamespaceConnectAndEcho) {
  const std::string name = test::UniqueAbstractName("echo");
  auto listener = RawListener::ListenAbstract(name);
  ASSERT_TRUE(listener);
  LocalSocket client(loop_);
  client.SetSocketOptions(LocalSocket::kAbstractNamespace);
  EXPECT_EQ(client.socket_options(), LocalSocket::kAbstractNamespace);
  EventRecorder events(client);
  client.ConnectToServer(name);
  ASSERT_EQ(client.state(), State::kConnected) << client.error_string();
  EXPECT_EQ(events.Take(), (Events{"state:kConnecting", "state:kConnected", "connected"}));
  EXPECT_EQ(client.server_name(), name);
  EXPECT_EQ(client.full_server_name(), name);
  // No file was involved.
  struct stat st;
  EXPECT_NE(lstat(dir_.File(name).c_str(), &st), 0);

  LocalSocket server(loop_);
  const int fd = listener->Accept();
  ASSERT_GE(fd, 0);
  ASSERT_TRUE(server.SetSocketDescriptor(fd));
  server.ready_read.Connect([&] { server.Write(server.ReadAll()); });
  std::string got;
  client.ready_read.Connect([&] { got += client.ReadAll(); });
  client.Write("abstract");
  ASSERT_TRUE(RunLoopUntil(loop_, [&] { return got.size() >= 8; }));
  EXPECT_EQ(got, "abstract");
  EXPECT_EQ(events.events(), (Events{"bytes_written:8", "ready_read"}));

  // The same name without the option is a (missing) path: not found.
  LocalSocket path_client(loop_);
  path_client.ConnectToServer(name);
  EXPECT_EQ(path_client.error(), Error::kServerNotFound);
  // Unknown option bits are ignored.
  path_client.SetSocketOptions(0x10);
  EXPECT_EQ(path_client.socket_options(), LocalSocket::kNoOptions);
}

// ---------------------------------------------------------------------------------------------
// Operations in the wrong state; validity; reconnecting.

TEST_F(LocalSocketTest, ConnectToServerWhileConnectedIsRefused) {
  auto listener = Listen("srv");
  auto other = Listen("other");
  ASSERT_TRUE(listener && other);
  LocalSocket client(loop_);
  LocalSocket server(loop_);
  ASSERT_TRUE(ConnectPair(*listener, client, server));
  EventRecorder events(client);
  int checks = 0;
  client.error_occurred.Connect([&](Error error) {
    ++checks;
    EXPECT_EQ(error, Error::kOperation);
    EXPECT_EQ(client.error(), Error::kOperation);
    EXPECT_EQ(client.state(), State::kConnected);
  });
  const int fd = client.socket_descriptor();

  client.ConnectToServer("other");

  EXPECT_EQ(events.events(), (Events{"error:kOperation"}));
  EXPECT_EQ(checks, 1);
  EXPECT_EQ(client.error(), Error::kOperation);
  EXPECT_EQ(client.error_string(),
            "LocalSocket::ConnectToServer: operation not permitted in this state");
  EXPECT_EQ(client.state(), State::kConnected);
  EXPECT_EQ(client.socket_descriptor(), fd);
  EXPECT_EQ(client.server_name(), "srv");
  EXPECT_EQ(client.full_server_name(), dir_.File("srv"));
  UniqueFd not_connected(other->AcceptNow());
  EXPECT_EQ(not_connected.get(), -1) << "no second connection was made";

  // The connection still works.
  std::string got;
  server.ready_read.Connect([&] { got += server.ReadAll(); });
  client.Write("still");
  ASSERT_TRUE(RunLoopUntil(loop_, [&] { return got == "still"; }));
}

TEST_F(LocalSocketTest, ConnectToServerWhileClosingIsRefusedAndDropsNothing) {
  auto listener = Listen("srv");
  ASSERT_TRUE(listener);
  LocalSocket client(loop_);
  LocalSocket server(loop_);
  ASSERT_TRUE(ConnectPair(*listener, client, server));
  constexpr size_t kSize = 8 << 20;
  EXPECT_EQ(client.Write(test::Pattern(7, 0, kSize)), static_cast<int64_t>(kSize));
  EventRecorder events(client);
  client.DisconnectFromServer();
  ASSERT_EQ(client.state(), State::kClosing);

  client.ConnectToServer("srv");

  EXPECT_EQ(events.Take(), (Events{"state:kClosing", "error:kOperation"}));
  EXPECT_EQ(client.error(), Error::kOperation);
  EXPECT_EQ(client.state(), State::kClosing);
  EXPECT_EQ(client.BytesToWrite(), static_cast<int64_t>(kSize));
  UniqueFd second(listener->AcceptNow());
  EXPECT_EQ(second.get(), -1) << "no second connection was made";

  test::Checksum received;
  server.ready_read.Connect([&] { received.Update(server.ReadAll()); });
  ASSERT_TRUE(RunLoopUntil(loop_, [&] { return server.state() == State::kUnconnected; }));
  received.Update(server.ReadAll());
  EXPECT_EQ(received, test::PatternChecksum(7, kSize));
  EXPECT_EQ(client.state(), State::kUnconnected);
  EXPECT_EQ(test::Compact(events.events()), (Events{"bytes_written", "state:kUnconnected",
                                                    "read_channel_finished", "disconnected"}));
  EXPECT_EQ(events.BytesWritten(), static_cast<int64_t>(kSize));
}

TEST_F(LocalSocketTest, IsValidAndIsOpenAcrossTheWaysToEnd) {
  auto listener = Listen("srv");
  ASSERT_TRUE(listener);
  LocalSocket client(loop_);
  EXPECT_FALSE(client.IsValid());
  EXPECT_FALSE(client.IsOpen());

  // DisconnectFromServer: not valid, still open; Close then closes the device with only
  // about_to_close.
  client.ConnectToServer("srv");
  ASSERT_TRUE(client.IsValid());
  ASSERT_TRUE(client.IsOpen());
  client.DisconnectFromServer();
  EXPECT_FALSE(client.IsValid());
  EXPECT_TRUE(client.IsOpen());
  EXPECT_EQ(client.open_mode(), LocalSocket::kReadWrite);
  {
    EventRecorder events(client);
    client.Close();
    EXPECT_EQ(events.events(), (Events{"about_to_close"}));
    EXPECT_FALSE(client.IsOpen());
    EXPECT_EQ(client.open_mode(), LocalSocket::kNotOpen);
    client.Close();  // Closed already: nothing.
    client.Abort();
    EXPECT_EQ(events.events(), (Events{"about_to_close"}));
  }
  char byte;
  EXPECT_EQ(client.Read(&byte, 1), -1);
  EXPECT_EQ(client.error(), Error::kOperation);

  // Close on a connection.
  client.ConnectToServer("srv");
  ASSERT_TRUE(client.IsValid());
  client.Close();
  EXPECT_FALSE(client.IsValid());
  EXPECT_FALSE(client.IsOpen());

  // Abort on a connection.
  client.ConnectToServer("srv");
  ASSERT_TRUE(client.IsValid());
  client.Abort();
  EXPECT_FALSE(client.IsValid());
  EXPECT_FALSE(client.IsOpen());

  // Abort after DisconnectFromServer: the device closes with about_to_close only.
  client.ConnectToServer("srv");
  client.DisconnectFromServer();
  {
    EventRecorder events(client);
    client.Abort();
    EXPECT_EQ(events.events(), (Events{"about_to_close"}));
    EXPECT_FALSE(client.IsOpen());
  }
  // Abort on a fresh/closed socket is harmless.
  LocalSocket fresh(loop_);
  EventRecorder fresh_events(fresh);
  fresh.Abort();
  fresh.Close();
  fresh.DisconnectFromServer();
  EXPECT_TRUE(fresh_events.events().empty());
}

TEST_F(LocalSocketTest, CloseWithNothingPendingIsSynchronous) {
  auto listener = Listen("srv");
  ASSERT_TRUE(listener);
  LocalSocket client(loop_);
  LocalSocket server(loop_);
  ASSERT_TRUE(ConnectPair(*listener, client, server));
  EventRecorder events(client);
  client.about_to_close.Connect([&] {
    EXPECT_EQ(client.state(), State::kConnected);
    EXPECT_TRUE(client.IsOpen());
  });
  client.Close();
  EXPECT_EQ(events.events(), (Events{"about_to_close", "state:kClosing", "state:kUnconnected",
                                     "read_channel_finished", "disconnected"}));
  EXPECT_FALSE(client.IsOpen());
  EXPECT_EQ(client.server_name(), "");
}

TEST_F(LocalSocketTest, AbortSequence) {
  auto listener = Listen("srv");
  ASSERT_TRUE(listener);
  LocalSocket client(loop_);
  LocalSocket server(loop_);
  ASSERT_TRUE(ConnectPair(*listener, client, server));
  EventRecorder events(client);
  client.Abort();
  EXPECT_EQ(events.events(), (Events{"state:kUnconnected", "read_channel_finished", "disconnected",
                                     "about_to_close"}));
  EXPECT_FALSE(client.IsOpen());
  EXPECT_FALSE(client.IsValid());
  EXPECT_EQ(client.error(), Error::kNone);
}

TEST_F(LocalSocketTest, ReconnectAfterDisconnectStartsClean) {
  auto listener = Listen("srv");
  ASSERT_TRUE(listener);
  LocalSocket client(loop_);
  LocalSocket server(loop_);
  ASSERT_TRUE(ConnectPair(*listener, client, server));
  server.Write("unread");
  ASSERT_TRUE(RunLoopUntil(loop_, [&] { return client.BytesAvailable() == 6; }));
  server.Abort();
  ASSERT_TRUE(RunLoopUntil(loop_, [&] { return client.state() == State::kUnconnected; }));
  EXPECT_EQ(client.error(), Error::kPeerClosed);
  EXPECT_EQ(client.BytesAvailable(), 6) << "still readable after the peer closed";

  EventRecorder events(client);
  client.ConnectToServer("srv");
  ASSERT_EQ(client.state(), State::kConnected);
  EXPECT_EQ(events.Take(), (Events{"state:kConnecting", "state:kConnected", "connected"}));
  EXPECT_EQ(client.BytesAvailable(), 0)
      << "a new connection starts clean: the old unread bytes are gone";
  EXPECT_EQ(client.BytesToWrite(), 0);
  EXPECT_TRUE(client.AtEnd());
  EXPECT_EQ(client.error(), Error::kNone) << "a successful connect clears the error";
  EXPECT_EQ(client.error_string(), "");

  LocalSocket server2(loop_);
  const int fd = listener->Accept();
  ASSERT_GE(fd, 0);
  ASSERT_TRUE(server2.SetSocketDescriptor(fd));
  server2.Write("fresh");
  ASSERT_TRUE(RunLoopUntil(loop_, [&] { return client.BytesAvailable() == 5; }));
  EXPECT_EQ(client.ReadAll(), "fresh");
  EXPECT_EQ(events.events(), (Events{"ready_read"}));
}

TEST_F(LocalSocketTest, ReconnectAfterLocalDisconnectWithUnreadData) {
  auto listener = Listen("srv");
  ASSERT_TRUE(listener);
  LocalSocket client(loop_);
  LocalSocket server(loop_);
  ASSERT_TRUE(ConnectPair(*listener, client, server));
  server.Write("old data");
  ASSERT_TRUE(RunLoopUntil(loop_, [&] { return client.BytesAvailable() == 8; }));
  client.DisconnectFromServer();
  EXPECT_EQ(client.BytesAvailable(), 8);
  EXPECT_EQ(client.Peek(3), "old");
  client.ConnectToServer("srv");
  ASSERT_EQ(client.state(), State::kConnected);
  EXPECT_EQ(client.BytesAvailable(), 0);
  EXPECT_EQ(client.ReadAll(), "");
  UniqueFd peer(listener->Accept());
  ASSERT_GE(peer.get(), 0);
}

// ---------------------------------------------------------------------------------------------
// SetSocketDescriptor.

class AdoptTest : public test::SocketTest {
 protected:
  // Expects a rejected adoption that left `fd` open, blocking and the socket untouched.
  void ExpectRejected(int fd, State state, Error expected) {
    LocalSocket socket(loop_);
    EventRecorder events(socket);
    EXPECT_FALSE(socket.SetSocketDescriptor(fd, state)) << fd;
    EXPECT_EQ(socket.error(), expected) << fd;
    EXPECT_NE(socket.error_string(), "");
    EXPECT_EQ(socket.error_string().rfind("LocalSocket::SetSocketDescriptor: ", 0), 0u)
        << socket.error_string();
    EXPECT_TRUE(events.events().empty());
    EXPECT_EQ(socket.state(), State::kUnconnected);
    EXPECT_EQ(socket.socket_descriptor(), -1);
    EXPECT_FALSE(socket.IsOpen());
    EXPECT_EQ(socket.open_mode(), LocalSocket::kNotOpen);
    if (fd >= 0) {
      EXPECT_TRUE(test::IsOpenFd(fd)) << fd;
      EXPECT_FALSE(test::IsNonBlocking(fd)) << fd;
    }
  }
};

TEST_F(AdoptTest, OnlyConnectedStateIsAccepted) {
  int fds[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
  UniqueFd a(fds[0]);
  UniqueFd b(fds[1]);
  ExpectRejected(a.get(), State::kUnconnected, Error::kOperation);
  ExpectRejected(a.get(), State::kConnecting, Error::kOperation);
  ExpectRejected(a.get(), State::kClosing, Error::kOperation);
}

TEST_F(AdoptTest, NonStreamSocketsAndOtherFdsAreRejected) {
  // A regular file.
  UniqueFd file(open(dir_.File("file").c_str(), O_CREAT | O_RDWR | O_CLOEXEC, 0600));
  ASSERT_GE(file.get(), 0);
  ExpectRejected(file.get(), State::kConnected, Error::kUnsupportedSocketOperation);
  // A pipe.
  int pipe_fds[2];
  ASSERT_EQ(pipe2(pipe_fds, O_CLOEXEC), 0);
  UniqueFd pipe_read(pipe_fds[0]);
  UniqueFd pipe_write(pipe_fds[1]);
  ExpectRejected(pipe_read.get(), State::kConnected, Error::kUnsupportedSocketOperation);
  ExpectRejected(pipe_write.get(), State::kConnected, Error::kUnsupportedSocketOperation);
  // A UDP socket.
  UniqueFd udp(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  ASSERT_GE(udp.get(), 0);
  ExpectRejected(udp.get(), State::kConnected, Error::kUnsupportedSocketOperation);
  // A connected AF_UNIX datagram socket.
  int dgram[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, dgram), 0);
  UniqueFd dgram_a(dgram[0]);
  UniqueFd dgram_b(dgram[1]);
  ExpectRejected(dgram_a.get(), State::kConnected, Error::kUnsupportedSocketOperation);
  // A listening AF_UNIX stream socket (blocking).
  UniqueFd listening(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  ASSERT_GE(listening.get(), 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  const std::string path = dir_.File("listening");
  memcpy(address.sun_path, path.c_str(), path.size() + 1);
  ASSERT_EQ(bind(listening.get(), reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
  ASSERT_EQ(listen(listening.get(), 4), 0);
  ExpectRejected(listening.get(), State::kConnected, Error::kUnsupportedSocketOperation);
  // An unconnected AF_UNIX stream socket.
  UniqueFd unconnected(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  ASSERT_GE(unconnected.get(), 0);
  ExpectRejected(unconnected.get(), State::kConnected, Error::kUnsupportedSocketOperation);
  // Invalid descriptors.
  ExpectRejected(-1, State::kConnected, Error::kUnsupportedSocketOperation);
  const int closed = dup(file.get());
  ASSERT_GE(closed, 0);
  close(closed);
  LocalSocket socket(loop_);
  EXPECT_FALSE(socket.SetSocketDescriptor(closed));
  EXPECT_EQ(socket.error(), Error::kUnsupportedSocketOperation);
}

TEST_F(AdoptTest, SuccessMakesTheFdNonBlockingAndEmitsNothing) {
  int fds[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
  UniqueFd peer(fds[1]);
  ASSERT_FALSE(test::IsNonBlocking(fds[0]));
  {
    LocalSocket socket(loop_);
    EventRecorder events(socket);
    ASSERT_TRUE(socket.SetSocketDescriptor(fds[0]));
    EXPECT_TRUE(events.events().empty());
    EXPECT_TRUE(test::IsNonBlocking(fds[0]));
    EXPECT_EQ(socket.state(), State::kConnected);
    EXPECT_EQ(socket.socket_descriptor(), fds[0]);
    EXPECT_TRUE(socket.IsValid());
    EXPECT_TRUE(socket.IsOpen());
    EXPECT_EQ(socket.open_mode(), LocalSocket::kReadWrite);
    EXPECT_EQ(socket.error(), Error::kNone);

    // A second adoption while connected is refused and leaves the new fd alone.
    int other[2];
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, other), 0);
    UniqueFd other_a(other[0]);
    UniqueFd other_b(other[1]);
    EXPECT_FALSE(socket.SetSocketDescriptor(other[0]));
    EXPECT_EQ(socket.error(), Error::kOperation);
    EXPECT_EQ(socket.socket_descriptor(), fds[0]);
    EXPECT_FALSE(test::IsNonBlocking(other[0]));
    EXPECT_TRUE(events.events().empty());

    // It works both ways.
    std::string got;
    socket.ready_read.Connect([&] { got += socket.ReadAll(); });
    ASSERT_TRUE(test::WriteAll(peer.get(), "to socket"));
    socket.Write("to peer");
    ASSERT_TRUE(RunLoopUntil(loop_, [&] { return got == "to socket"; }));
    loop_.RunUntilIdle();
    EXPECT_EQ(test::ReadExactly(peer.get(), 7), "to peer");
  }
  // The socket owned the fd: it is closed now, and the peer sees EOF.
  EXPECT_FALSE(test::IsOpenFd(fds[0]));
  EXPECT_EQ(test::ReadUntilEof(peer.get()), "");
}

TEST_F(AdoptTest, AdoptedClientFdTakesItsNamesFromThePeer) {
  auto listener = Listen("named");
  ASSERT_TRUE(listener);
  UniqueFd raw(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  const std::string path = dir_.File("named");
  memcpy(address.sun_path, path.c_str(), path.size() + 1);
  ASSERT_EQ(connect(raw.get(), reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
  UniqueFd accepted(listener->Accept());
  LocalSocket socket(loop_);
  ASSERT_TRUE(socket.SetSocketDescriptor(raw.release()));
  EXPECT_EQ(socket.full_server_name(), path);
  EXPECT_EQ(socket.server_name(), "named");
  EXPECT_EQ(socket.socket_options(), LocalSocket::kNoOptions);

  const std::string name = test::UniqueAbstractName("adopt");
  auto abstract_listener = RawListener::ListenAbstract(name);
  ASSERT_TRUE(abstract_listener);
  LocalSocket client(loop_);
  client.SetSocketOptions(LocalSocket::kAbstractNamespace);
  client.ConnectToServer(name);
  ASSERT_EQ(client.state(), State::kConnected);
  // Adopt a dup of the client's fd into another socket: its peer is the abstract server.
  LocalSocket adopted(loop_);
  ASSERT_TRUE(adopted.SetSocketDescriptor(fcntl(client.socket_descriptor(), F_DUPFD_CLOEXEC, 0)));
  EXPECT_EQ(adopted.full_server_name(), name);
  EXPECT_EQ(adopted.server_name(), name);
  EXPECT_EQ(adopted.socket_options(), LocalSocket::kAbstractNamespace);
  UniqueFd abstract_accepted(abstract_listener->Accept());

  // A socketpair end has an unnamed peer.
  int fds[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
  UniqueFd other(fds[1]);
  LocalSocket paired(loop_);
  ASSERT_TRUE(paired.SetSocketDescriptor(fds[0]));
  EXPECT_EQ(paired.full_server_name(), "");
  EXPECT_EQ(paired.server_name(), "");
}

TEST_F(AdoptTest, AdoptedReadOnlySocketRefusesWrites) {
  int fds[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
  UniqueFd peer(fds[1]);
  LocalSocket socket(loop_);
  ASSERT_TRUE(socket.SetSocketDescriptor(fds[0], State::kConnected, LocalSocket::kReadOnly));
  EXPECT_EQ(socket.open_mode(), LocalSocket::kReadOnly);
  EXPECT_EQ(socket.Write("x"), -1);
  EXPECT_EQ(socket.error(), Error::kOperation);
}

// ---------------------------------------------------------------------------------------------
// Open modes and half-close.

TEST_F(LocalSocketTest, WriteOnlySocketDiscardsIncomingDataButSeesThePeerClose) {
  auto listener = Listen("srv");
  ASSERT_TRUE(listener);
  LocalSocket client(loop_);
  client.ConnectToServer("srv", LocalSocket::kWriteOnly);
  ASSERT_EQ(client.state(), State::kConnected);
  EXPECT_EQ(client.open_mode(), LocalSocket::kWriteOnly);
  UniqueFd peer(listener->Accept());
  ASSERT_GE(peer.get(), 0);
  EventRecorder events(client);

  ASSERT_TRUE(test::WriteAll(peer.get(), "ignored data"));
  // Wait until the client consumed (and discarded) it.
  ASSERT_TRUE(RunLoopUntil(loop_, [&] { return test::UnreadByPeer(peer.get()) == 0; }));
  loop_.RunUntilIdle();
  EXPECT_TRUE(events.events().empty()) << "no ready_read on a write-only socket";
  EXPECT_EQ(client.BytesAvailable(), 0);
  char buffer[16];
  EXPECT_EQ(client.Read(buffer, sizeof(buffer)), -1);
  EXPECT_EQ(client.error(), Error::kOperation);
  EXPECT_EQ(client.error_string(), "LocalSocket::Read: socket is write-only");
  EXPECT_EQ(client.ReadAll(), "");
  EXPECT_TRUE(events.events().empty()) << "misuse emits nothing";

  // Writing works.
  EXPECT_EQ(client.Write("out"), 3);
  ASSERT_TRUE(RunLoopUntil(loop_, [&] { return client.BytesToWrite() == 0; }));
  EXPECT_EQ(test::ReadExactly(peer.get(), 3), "out");

  peer.reset();
  ASSERT_TRUE(RunLoopUntil(loop_, [&] { return client.state() == State::kUnconnected; }));
  EXPECT_EQ(events.events(),
            (Events{"bytes_written:3", "error:kPeerClosed", "state:kClosing", "state:kUnconnected",
                    "read_channel_finished", "disconnected"}));
}

TEST_F(LocalSocketTest, ReadOnlySocketRefusesWrites) {
  auto listener = Listen("srv");
  ASSERT_TRUE(listener);
  LocalSocket client(loop_);
  client.ConnectToServer("srv", LocalSocket::kReadOnly);
  ASSERT_EQ(client.state(), State::kConnected);
  EXPECT_EQ(client.open_mode(), LocalSocket::kReadOnly);
  UniqueFd peer(listener->Accept());
  ASSERT_GE(peer.get(), 0);
  EventRecorder events(client);

  EXPECT_EQ(client.Write("nope"), -1);
  EXPECT_EQ(client.error(), Error::kOperation);
  EXPECT_EQ(client.error_string(), "LocalSocket::Write: socket is not writable");
  EXPECT_EQ(client.BytesToWrite(), 0);
  EXPECT_FALSE(client.Flush());
  loop_.RunUntilIdle();
  EXPECT_TRUE(events.events().empty());
  EXPECT_EQ(test::UnreadByPeer(peer.get()), 0);

  ASSERT_TRUE(test::WriteAll(peer.get(), "in"));
  ASSERT_TRUE(RunLoopUntil(loop_, [&] { return client.BytesAvailable() == 2; }));
  EXPECT_EQ(client.ReadAll(), "in");
  EXPECT_EQ(events.events(), (Events{"ready_read"}));
}

TEST_F(LocalSocketTest, ShutdownWriteHalfCloses) {
  auto listener = Listen("srv");
  ASSERT_TRUE(listener);
  LocalSocket client(loop_);
  client.ConnectToServer("srv");
  ASSERT_EQ(client.state(), State::kConnected);
  UniqueFd peer(listener->Accept());
  ASSERT_GE(peer.get(), 0);
  EventRecorder events(client);
  std::string reply;
  client.ready_read.Connect([&] { reply += client.ReadAll(); });

  EXPECT_EQ(client.Write("request"), 7);
  client.ShutdownWrite();
  EXPECT_EQ(client.state(), State::kConnected);
  EXPECT_EQ(client.Write("late"), -1) << "no writes after ShutdownWrite";
  EXPECT_EQ(client.error(), Error::kOperation);
  EXPECT_EQ(client.error_string(), "LocalSocket::Write: socket is not writable");
  client.ShutdownWrite();  // Twice: refused, nothing emitted.
  EXPECT_EQ(client.error_string(),
            "LocalSocket::ShutdownWrite: operation not permitted in this state");
  EXPECT_TRUE(events.events().empty());
  // The peer reads the request, then EOF (after the loop flushed it).
  ASSERT_TRUE(RunLoopUntil(loop_, [&] { return client.BytesToWrite() == 0; }));
  loop_.RunUntilIdle();
  EXPECT_EQ(test::ReadUntilEof(peer.get()), "request");
  EXPECT_EQ(client.state(), State::kConnected);
  // The client still reads the reply.
  ASSERT_TRUE(test::WriteAll(peer.get(), "reply"));
  ASSERT_TRUE(RunLoopUntil(loop_, [&] { return reply == "reply"; }));
  EXPECT_EQ(client.state(), State::kConnected);
  peer.reset();
  ASSERT_TRUE(RunLoopUntil(loop_, [&] { return client.state() == State::kUnconnected; }));
  EXPECT_EQ(events.events(),
            (Events{"bytes_written:7", "ready_read", "error:kPeerClosed", "state:kClosing",
                    "state:kUnconnected", "read_channel_finished", "disconnected"}));
}

TEST_F(LocalSocketTest, ShutdownWriteWithNothingPendingShutsDownAtOnce) {
  auto listener = Listen("srv");
  ASSERT_TRUE(listener);
  LocalSocket client(loop_);
  client.ConnectToServer("srv");
  UniqueFd peer(listener->Accept());
  ASSERT_GE(peer.get(), 0);
  client.ShutdownWrite();
  // No loop needed: the peer sees EOF at once.
  EXPECT_EQ(test::ReadUntilEof(peer.get()), "");
  EXPECT_EQ(client.state(), State::kConnected);
}

// ---------------------------------------------------------------------------------------------
// A full backlog: connect() says EAGAIN; the socket retries on a timer without spinning.

class BacklogTest : public test::SocketTest {
 protected:
  void SetUp() override {
    test::SocketTest::SetUp();
    listener_ = Listen("busy", /*backlog=*/0);
    ASSERT_TRUE(listener_);
    fillers_ = test::FillBacklog(dir_.File("busy"));
    ASSERT_FALSE(fillers_.empty());
  }
  void TearDown() override {
    for (int fd : fillers_) close(fd);
    fillers_.clear();
    listener_.reset();
    test::SocketTest::TearDown();
  }

  std::unique_ptr<RawListener> listener_;
  std::vector<int> fillers_;
};

TEST_F(BacklogTest, RetriesWithoutSpinningAndConnectsOnceTheServerAccepts) {
  LocalSocket client(loop_);
  EventRecorder events(client);
  client.ConnectToServer("busy");
  EXPECT_EQ(events.events(), (Events{"state:kConnecting"}));
  EXPECT_EQ(client.state(), State::kConnecting);
  EXPECT_EQ(client.socket_descriptor(), -1);
  EXPECT_FALSE(client.IsOpen());
  EXPECT_FALSE(client.IsValid());
  EXPECT_EQ(client.server_name(), "busy");
  EXPECT_EQ(client.Write("x"), -1);

  // ConnectToServer while connecting is refused.
  client.ConnectToServer("busy");
  EXPECT_EQ(events.Take(), (Events{"state:kConnecting", "error:kOperation"}));
  EXPECT_EQ(client.state(), State::kConnecting);

  // 300 ms of retrying costs (almost) no CPU time.
  const auto cpu_before = test::ProcessCpuTime();
  test::RunLoopFor(loop_, std::chrono::milliseconds(300));
  const auto cpu_used = test::ProcessCpuTime() - cpu_before;
  EXPECT_LT(cpu_used, std::chrono::milliseconds(60)) << "the retry spins";
  EXPECT_EQ(client.state(), State::kConnecting);
  EXPECT_TRUE(events.events().empty());

  // The server accepts the filler(s) from a loop timer; the retry then connects.
  std::vector<UniqueFd> accepted;
  auto accept_timer = loop_.CreateTimer([&] {
    for (;;) {
      const int fd = listener_->AcceptNow();
      if (fd < 0) break;
      accepted.emplace_back(fd);
    }
  });
  accept_timer->Start(std::chrono::milliseconds(10));
  ASSERT_TRUE(RunLoopUntil(loop_, [&] { return client.state() == State::kConnected; }));
  EXPECT_EQ(events.events(), (Events{"state:kConnected", "connected"}));
  EXPECT_EQ(client.error(), Error::kNone);
  EXPECT_EQ(client.full_server_name(), dir_.File("busy"));
  EXPECT_GE(client.socket_descriptor(), 0);

  // It is a real connection: the listener hands it out, and data flows.
  for (;;) {
    const int fd = listener_->Accept(1000);
    if (fd < 0) break;
    accepted.emplace_back(fd);
    if (accepted.size() > fillers_.size()) break;
  }
  ASSERT_EQ(accepted.size(), fillers_.size() + 1);
  client.Write("hi");
  ASSERT_TRUE(RunLoopUntil(loop_, [&] { return client.BytesToWrite() == 0; }));
  EXPECT_EQ(test::ReadExactly(accepted.back().get(), 2), "hi");
}

TEST_F(BacklogTest, ConnectTimeoutReportsSocketTimeout) {
  LocalSocket client(loop_);
  client.SetConnectTimeout(50);
  EXPECT_EQ(client.connect_timeout(), 50);
  EventRecorder events(client);
  const auto start = std::chrono::steady_clock::now();
  client.ConnectToServer("busy");
  EXPECT_EQ(events.events(), (Events{"state:kConnecting"}));
  ASSERT_TRUE(RunLoopUntil(
      loop_, [&] { return client.state() == State::kUnconnected; }, std::chrono::seconds(5)));
  const auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_GE(elapsed, std::chrono::milliseconds(50));
  EXPECT_LT(elapsed, std::chrono::seconds(2));
  EXPECT_EQ(events.events(),
            (Events{"state:kConnecting", "error:kSocketTimeout", "state:kUnconnected"}));
  EXPECT_EQ(client.error(), Error::kSocketTimeout);
  EXPECT_EQ(client.error_string().rfind("LocalSocket::ConnectToServer: ", 0), 0u)
      << client.error_string();
  EXPECT_EQ(client.server_name(), "");
  EXPECT_FALSE(client.IsOpen());
  // Nothing more happens later.
  test::RunLoopFor(loop_, std::chrono::milliseconds(20));
  EXPECT_EQ(events.events().size(), 3u);
}

TEST_F(BacklogTest, ConnectTimeoutZeroFailsAtOnce) {
  LocalSocket client(loop_);
  client.SetConnectTimeout(0);
  EventRecorder events(client);
  client.ConnectToServer("busy");
  EXPECT_EQ(events.events(),
            (Events{"state:kConnecting", "error:kSocketTimeout", "state:kUnconnected"}));
  EXPECT_EQ(client.error(), Error::kSocketTimeout);
  EXPECT_EQ(client.state(), State::kUnconnected);
}

TEST_F(BacklogTest, EndingAConnectAttemptCancelsTheRetry) {
  // Cancelling a connect emits exactly state_changed(kUnconnected) (after about_to_close for
  // Close); no error, no read_channel_finished, no disconnected; names cleared; no later retries.
  for (int way = 0; way < 3; ++way) {
    LocalSocket client(loop_);
    client.ConnectToServer("busy");
    ASSERT_EQ(client.state(), State::kConnecting);
    EventRecorder events(client);
    if (way == 0) client.DisconnectFromServer();
    if (way == 1) client.Abort();
    if (way == 2) client.Close();
    const Events expected =
        way == 2 ? Events{"about_to_close", "state:kUnconnected"} : Events{"state:kUnconnected"};
    EXPECT_EQ(events.events(), expected) << way;
    EXPECT_EQ(client.state(), State::kUnconnected);
    EXPECT_EQ(client.error(), Error::kNone);
    EXPECT_EQ(client.server_name(), "");
    // Free the backlog: a retry that was still armed would connect now.
    std::vector<UniqueFd> accepted;
    for (int fd; (fd = listener_->AcceptNow()) >= 0;) accepted.emplace_back(fd);
    test::RunLoopFor(loop_, std::chrono::milliseconds(150));
    EXPECT_EQ(events.events(), expected) << way;
    EXPECT_EQ(client.state(), State::kUnconnected);
    UniqueFd late(listener_->AcceptNow());
    EXPECT_EQ(late.get(), -1) << "no connection after the attempt ended";
    // Refill for the next round.
    for (int fd : fillers_) close(fd);
    accepted.clear();
    fillers_ = test::FillBacklog(dir_.File("busy"));
    ASSERT_FALSE(fillers_.empty());
  }
}

TEST_F(BacklogTest, DestroyingAConnectingSocketCancelsTheRetry) {
  {
    LocalSocket client(loop_);
    client.ConnectToServer("busy");
    ASSERT_EQ(client.state(), State::kConnecting);
  }
  test::RunLoopFor(loop_, std::chrono::milliseconds(20));  // ASan: no timer touches it.
}

}  // namespace
}  // namespace ipc
