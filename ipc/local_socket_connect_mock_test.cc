// LocalSocket in kUnconnected and kConnecting, driven by MockOsCalls on FakeEventLoop: the
// connect path, its errno table, the full-backlog backoff, and descriptor adoption.
#include <fcntl.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "ipc/socket_errors.h"
#include "testing/local_socket_mock_fixture.h"

namespace ipc {
namespace test {
namespace {

using ::testing::_;
using ::testing::DoAll;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Invoke;
using ::testing::IsEmpty;
using ::testing::Return;
using ::testing::SetArgPointee;

TEST_F(LocalSocketMockTest, FreshSocketDefaultsAndNoOpsInUnconnected) {
  LocalSocket& s = NewSocket();
  EXPECT_EQ(s.state(), State::kUnconnected);
  EXPECT_EQ(s.error(), Error::kNone);
  EXPECT_EQ(s.error_string(), "");
  EXPECT_EQ(s.open_mode(), LocalSocket::kNotOpen);
  EXPECT_EQ(s.socket_descriptor(), -1);
  EXPECT_FALSE(s.IsValid());
  EXPECT_FALSE(s.IsOpen());
  EXPECT_EQ(s.connect_timeout(), 30000);
  EXPECT_EQ(s.read_buffer_size(), 0);
  EXPECT_EQ(s.socket_options(), LocalSocket::kNoOptions);
  // kDisconnectRequested, kClose, kAbort in kUnconnected: no signals, no syscalls.
  s.DisconnectFromServer();
  s.Close();
  s.Abort();
  EXPECT_THAT(events_, IsEmpty());
  EXPECT_FALSE(s.WaitForConnected(10));
  EXPECT_FALSE(s.WaitForReadyRead(10));
  EXPECT_FALSE(s.WaitForBytesWritten(10));
  EXPECT_FALSE(s.WaitForDisconnected(10));
  EXPECT_EQ(s.error(), Error::kNone);  // Waits on an unconnected socket leave error() alone.
  EXPECT_EQ(s.Write("x"), -1);
  EXPECT_EQ(s.error(), Error::kOperation);
  EXPECT_THAT(events_, IsEmpty());
}

TEST_F(LocalSocketMockTest, OptionsAndTimeoutSetters) {
  LocalSocket& s = NewSocket();
  s.SetSocketOptions(LocalSocket::kAbstractNamespace);
  EXPECT_EQ(s.socket_options(), LocalSocket::kAbstractNamespace);
  s.SetSocketOptions(0x08);  // Not a LocalSocket option: ignored.
  EXPECT_EQ(s.socket_options(), LocalSocket::kAbstractNamespace);
  s.SetConnectTimeout(-1);
  EXPECT_EQ(s.connect_timeout(), -1);
  s.SetConnectTimeout(-5);  // Ignored.
  EXPECT_EQ(s.connect_timeout(), -1);
}

TEST_F(LocalSocketMockTest, ConnectSucceedsSynchronouslyWithExactSignals) {
  LocalSocket& s = NewSocket();
  bool open_during_connected_state = false;
  int fd_during_connected_state = -1;
  s.state_changed.Connect([&](State st) {
    if (st != State::kConnected) return;
    open_during_connected_state = s.IsOpen();
    fd_during_connected_state = s.socket_descriptor();
  });
  std::string connected_path;
  EXPECT_CALL(os_, Socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0))
      .WillOnce(ledger_.Open());
  EXPECT_CALL(os_, Connect(kFd, _, sizeof(sa_family_t) + 5))
      .WillOnce(
          DoAll(Invoke([&](int, const sockaddr* a, socklen_t) { connected_path = PathOf(a); }),
                Return(SysResult{0, 0})));
  s.ConnectToServer("/srv", LocalSocket::kReadOnly);
  EXPECT_THAT(events_, ElementsAre("state:kConnecting", "state:kConnected", "connected"));
  EXPECT_EQ(connected_path, "/srv");
  EXPECT_TRUE(open_during_connected_state);
  EXPECT_EQ(fd_during_connected_state, kFd);
  EXPECT_EQ(s.state(), State::kConnected);
  EXPECT_EQ(s.open_mode(), LocalSocket::kReadOnly);
  EXPECT_EQ(s.server_name(), "/srv");
  EXPECT_EQ(s.full_server_name(), "/srv");
  EXPECT_EQ(loop_.WatchedEvents(kFd), eventloop::kReadable);
  EXPECT_TRUE(s.IsValid());
  // A read-only socket refuses writes, without emitting.
  events_.clear();
  EXPECT_EQ(s.Write("x"), -1);
  EXPECT_EQ(s.error(), Error::kOperation);
  EXPECT_EQ(s.error_string(), "LocalSocket::Write: socket is not writable");
  EXPECT_THAT(events_, IsEmpty());
}

TEST_F(LocalSocketMockTest, RelativeNamesResolveUnderTmpdirAndAbstractNamesAreExact) {
  setenv("TMPDIR", "/run/t/", 1);
  LocalSocket& s = NewSocket();
  std::string path;
  EXPECT_CALL(os_, Socket(_, _, _)).WillOnce(ledger_.Open());
  EXPECT_CALL(os_, Connect(kFd, _, _))
      .WillOnce(DoAll(Invoke([&](int, const sockaddr* a, socklen_t) { path = PathOf(a); }),
                      Return(SysResult{0, 0})));
  s.ConnectToServer("dir/x");
  unsetenv("TMPDIR");
  EXPECT_EQ(path, "/run/t/dir/x");
  EXPECT_EQ(s.server_name(), "dir/x");
  EXPECT_EQ(s.full_server_name(), "/run/t/dir/x");
  s.Abort();

  s.SetSocketOptions(LocalSocket::kAbstractNamespace);
  std::string abstract_name;
  EXPECT_CALL(os_, Socket(_, _, _)).WillOnce(ledger_.Open());
  EXPECT_CALL(os_, Connect(kFd + 1, _, sizeof(sa_family_t) + 1 + 3))
      .WillOnce(DoAll(Invoke([&](int, const sockaddr* a, socklen_t len) {
                        const auto* un = reinterpret_cast<const sockaddr_un*>(a);
                        abstract_name.assign(un->sun_path, len - sizeof(sa_family_t));
                      }),
                      Return(SysResult{0, 0})));
  s.ConnectToServer("a/b");
  EXPECT_EQ(abstract_name, std::string("\0a/b", 4));
  EXPECT_EQ(s.full_server_name(), "a/b");
}

struct ErrnoCase {
  int err;
  Error error;
};

class ConnectErrnoTest : public LocalSocketMockTest,
                         public ::testing::WithParamInterface<ErrnoCase> {};

TEST_P(ConnectErrnoTest, FailsSynchronouslyWithTheMappedErrorAndClosesTheFd) {
  const ErrnoCase c = GetParam();
  LocalSocket& s = NewSocket();
  State state_at_error = State::kUnconnected;
  bool fd_open_at_error = true;
  s.error_occurred.Connect([&](Error) {
    state_at_error = s.state();
    fd_open_at_error = ledger_.IsOpen(kFd);
  });
  ExpectSocketAndConnect(SysResult{-1, c.err});
  s.ConnectToServer("/srv");
  EXPECT_THAT(events_,
              ElementsAre("state:kConnecting", "error:" + Str(c.error), "state:kUnconnected"));
  EXPECT_EQ(s.error(), c.error);
  EXPECT_EQ(s.error_string(), std::string("LocalSocket::ConnectToServer: ") +
                                  internal::ErrorCause(c.error) + ": " + std::strerror(c.err));
  EXPECT_EQ(state_at_error, State::kConnecting);
  EXPECT_FALSE(fd_open_at_error);
  EXPECT_EQ(s.server_name(), "");  // Cleared after a failed connect, as Qt.
  EXPECT_EQ(s.full_server_name(), "");
  EXPECT_FALSE(s.IsOpen());
  EXPECT_EQ(ledger_.closed_count(), 1);
}

INSTANTIATE_TEST_SUITE_P(
    Errnos, ConnectErrnoTest,
    ::testing::Values(
        ErrnoCase{ENOENT, Error::kServerNotFound}, ErrnoCase{ENOTDIR, Error::kServerNotFound},
        ErrnoCase{ELOOP, Error::kServerNotFound}, ErrnoCase{ENAMETOOLONG, Error::kServerNotFound},
        ErrnoCase{ECONNREFUSED, Error::kConnectionRefused},
        ErrnoCase{EINVAL, Error::kConnectionRefused},
        ErrnoCase{EPROTOTYPE, Error::kConnectionRefused}, ErrnoCase{EACCES, Error::kSocketAccess},
        ErrnoCase{EPERM, Error::kSocketAccess}, ErrnoCase{ETIMEDOUT, Error::kSocketTimeout},
        ErrnoCase{EMFILE, Error::kSocketResource}, ErrnoCase{ENFILE, Error::kSocketResource},
        ErrnoCase{ENOBUFS, Error::kSocketResource}, ErrnoCase{ENOMEM, Error::kSocketResource},
        ErrnoCase{EHOSTUNREACH, Error::kUnknown}));

class SocketErrnoTest : public LocalSocketMockTest,
                        public ::testing::WithParamInterface<ErrnoCase> {};

TEST_P(SocketErrnoTest, SocketCreationFailureIsMappedAndNothingLeaks) {
  const ErrnoCase c = GetParam();
  LocalSocket& s = NewSocket();
  EXPECT_CALL(os_, Socket(_, _, _)).WillOnce(Return(SysResult{-1, c.err}));
  s.ConnectToServer("/srv");
  EXPECT_THAT(events_,
              ElementsAre("state:kConnecting", "error:" + Str(c.error), "state:kUnconnected"));
  EXPECT_EQ(s.error(), c.error);
  EXPECT_THAT(s.error_string(), HasSubstr(std::strerror(c.err)));
  EXPECT_EQ(ledger_.opened_count(), 0);
}

INSTANTIATE_TEST_SUITE_P(Errnos, SocketErrnoTest,
                         ::testing::Values(ErrnoCase{EMFILE, Error::kSocketResource},
                                           ErrnoCase{ENFILE, Error::kSocketResource},
                                           ErrnoCase{ENOBUFS, Error::kSocketResource},
                                           ErrnoCase{ENOMEM, Error::kSocketResource},
                                           ErrnoCase{EACCES, Error::kSocketAccess},
                                           ErrnoCase{EAFNOSUPPORT,
                                                     Error::kUnsupportedSocketOperation}));

TEST_F(LocalSocketMockTest, EmptyAndTooLongNamesFailWithoutSyscalls) {
  LocalSocket& s = NewSocket();
  s.ConnectToServer("");
  EXPECT_THAT(events_,
              ElementsAre("state:kConnecting", "error:kServerNotFound", "state:kUnconnected"));
  EXPECT_EQ(s.error_string(),
            "LocalSocket::ConnectToServer: server not found (invalid name: empty)");
  events_.clear();
  s.ConnectToServer("/" + std::string(107, 'n'));  // 108 bytes: one too many.
  EXPECT_THAT(events_,
              ElementsAre("state:kConnecting", "error:kServerNotFound", "state:kUnconnected"));
  EXPECT_THAT(s.error_string(), HasSubstr("name too long"));
  s.SetSocketOptions(LocalSocket::kAbstractNamespace);
  events_.clear();
  s.ConnectToServer(std::string(108, 'a'));
  EXPECT_THAT(events_,
              ElementsAre("state:kConnecting", "error:kServerNotFound", "state:kUnconnected"));
  EXPECT_THAT(s.error_string(), HasSubstr("name too long"));
}

TEST_F(LocalSocketMockTest, InvalidOpenModeIsRefusedWithoutSignals) {
  LocalSocket& s = NewSocket();
  s.ConnectToServer("/srv", LocalSocket::kNotOpen);
  EXPECT_THAT(events_, IsEmpty());
  EXPECT_EQ(s.error(), Error::kOperation);
  EXPECT_EQ(s.state(), State::kUnconnected);
}

// A full backlog (EAGAIN) keeps the socket connecting and retries connect() on a doubling
// backoff timer: no fd polling, no busy loop.
TEST_F(LocalSocketMockTest, FullBacklogRetriesOnBackoffUntilConnected) {
  LocalSocket& s = NewSocket();
  const eventloop::TimePoint start = loop_.Now();
  std::vector<eventloop::Duration> attempts;
  EXPECT_CALL(os_, Socket(_, _, _)).WillOnce(ledger_.Open());
  EXPECT_CALL(os_, Connect(kFd, _, _)).WillRepeatedly(Invoke([&](int, const sockaddr*, socklen_t) {
    attempts.push_back(loop_.Now() - start);
    return attempts.size() < 4 ? SysResult{-1, EAGAIN} : SysResult{0, 0};
  }));
  s.ConnectToServer("/srv");
  EXPECT_EQ(s.state(), State::kConnecting);
  EXPECT_EQ(s.socket_descriptor(), -1);  // A connecting socket hides its fd.
  EXPECT_EQ(loop_.WatchedEvents(kFd), eventloop::kNoEvents);
  EXPECT_THAT(events_, ElementsAre("state:kConnecting"));
  loop_.FastForwardBy(milliseconds(20));
  EXPECT_THAT(attempts,
              ElementsAre(milliseconds(0), milliseconds(1), milliseconds(3), milliseconds(7)));
  EXPECT_THAT(events_, ElementsAre("state:kConnecting", "state:kConnected", "connected"));
  EXPECT_EQ(s.error(), Error::kNone);
}

TEST_F(LocalSocketMockTest, FullBacklogTimesOutAfterTheConnectTimeout) {
  LocalSocket& s = NewSocket();
  s.SetConnectTimeout(10);
  const eventloop::TimePoint start = loop_.Now();
  std::vector<eventloop::Duration> attempts;
  EXPECT_CALL(os_, Socket(_, _, _)).WillOnce(ledger_.Open());
  EXPECT_CALL(os_, Connect(kFd, _, _)).WillRepeatedly(Invoke([&](int, const sockaddr*, socklen_t) {
    attempts.push_back(loop_.Now() - start);
    return SysResult{-1, EAGAIN};
  }));
  s.ConnectToServer("/srv");
  loop_.FastForwardBy(milliseconds(9));
  EXPECT_EQ(s.state(), State::kConnecting);
  loop_.FastForwardBy(milliseconds(1));
  EXPECT_THAT(attempts, ElementsAre(milliseconds(0), milliseconds(1), milliseconds(3),
                                    milliseconds(7), milliseconds(10)));
  EXPECT_THAT(events_,
              ElementsAre("state:kConnecting", "error:kSocketTimeout", "state:kUnconnected"));
  EXPECT_EQ(s.error_string(),
            "LocalSocket::ConnectToServer: connect timed out (server backlog full)");
  EXPECT_FALSE(ledger_.IsOpen(kFd));
  loop_.FastForwardBy(milliseconds(1000));
  EXPECT_EQ(attempts.size(), 5u);  // Nothing runs after the timeout.
}

TEST_F(LocalSocketMockTest, ConnectTimeoutZeroFailsAtOnceOnAFullBacklog) {
  LocalSocket& s = NewSocket();
  s.SetConnectTimeout(0);
  ExpectSocketAndConnect(SysResult{-1, EAGAIN});
  s.ConnectToServer("/srv");
  EXPECT_THAT(events_,
              ElementsAre("state:kConnecting", "error:kSocketTimeout", "state:kUnconnected"));
}

TEST_F(LocalSocketMockTest, NoConnectTimeoutRetriesAtTheMaximumBackoff) {
  LocalSocket& s = NewSocket();
  s.SetConnectTimeout(-1);
  int attempts = 0;
  EXPECT_CALL(os_, Socket(_, _, _)).WillOnce(ledger_.Open());
  EXPECT_CALL(os_, Connect(kFd, _, _)).WillRepeatedly(Invoke([&](int, const sockaddr*, socklen_t) {
    ++attempts;
    return SysResult{-1, EAGAIN};
  }));
  s.ConnectToServer("/srv");
  loop_.FastForwardBy(std::chrono::seconds(10));
  // 1+2+...+64 ms = 127 ms in 8 attempts, then one attempt per 100 ms.
  EXPECT_EQ(attempts, 8 + (10000 - 127) / 100);
  EXPECT_EQ(s.state(), State::kConnecting);
  s.Abort();  // Cancels: exactly state_changed(kUnconnected).
  EXPECT_THAT(events_, ElementsAre("state:kConnecting", "state:kUnconnected"));
  EXPECT_FALSE(ledger_.IsOpen(kFd));
}

TEST_F(LocalSocketMockTest, InterruptedConnectCompletesWhenWritable) {
  LocalSocket& s = NewSocket();
  EXPECT_CALL(os_, Socket(_, _, _)).WillOnce(ledger_.Open());
  EXPECT_CALL(os_, Connect(kFd, _, _))
      .WillOnce(Return(SysResult{-1, EINTR}))
      .WillOnce(Return(SysResult{-1, EISCONN}));
  s.ConnectToServer("/srv");
  EXPECT_EQ(s.state(), State::kConnecting);
  EXPECT_EQ(loop_.WatchedEvents(kFd), eventloop::kWritable);
  loop_.SetFdReady(kFd, eventloop::kWritable);
  loop_.RunUntilIdle();
  loop_.ClearFdReady(kFd, eventloop::kWritable);
  EXPECT_THAT(events_, ElementsAre("state:kConnecting", "state:kConnected", "connected"));
  EXPECT_EQ(loop_.WatchedEvents(kFd), eventloop::kReadable);
}

TEST_F(LocalSocketMockTest, InProgressConnectTimesOut) {
  LocalSocket& s = NewSocket();
  s.SetConnectTimeout(5);
  ExpectSocketAndConnect(SysResult{-1, EINPROGRESS});
  s.ConnectToServer("/srv");
  loop_.FastForwardBy(milliseconds(5));
  EXPECT_THAT(events_,
              ElementsAre("state:kConnecting", "error:kSocketTimeout", "state:kUnconnected"));
  EXPECT_EQ(s.error_string(), "LocalSocket::ConnectToServer: connect timed out");
  EXPECT_EQ(loop_.WatchedEvents(kFd), eventloop::kNoEvents);
}

// The kConnecting row: misuse is refused, Abort/Close/Disconnect cancel the attempt.
class ConnectingTest : public LocalSocketMockTest {
 protected:
  LocalSocket& ConnectingSocket() {
    LocalSocket& s = NewSocket();
    ExpectSocketAndConnect(SysResult{-1, EAGAIN});
    s.ConnectToServer("/srv");
    EXPECT_EQ(s.state(), State::kConnecting);
    events_.clear();
    return s;
  }
};

TEST_F(ConnectingTest, ConnectRequestedIsRefusedWithOperationError) {
  LocalSocket& s = ConnectingSocket();
  State state_at_error = State::kUnconnected;
  s.error_occurred.Connect([&](Error) { state_at_error = s.state(); });
  s.ConnectToServer("/other");
  EXPECT_THAT(events_, ElementsAre("error:kOperation"));
  EXPECT_EQ(s.error(), Error::kOperation);  // error() matches the signal.
  EXPECT_EQ(s.error_string(),
            "LocalSocket::ConnectToServer: operation not permitted in this state");
  EXPECT_EQ(state_at_error, State::kConnecting);
  EXPECT_EQ(s.state(), State::kConnecting);
  EXPECT_EQ(s.server_name(), "/srv");  // SetServerName is ignored while connecting.
  s.Abort();
}

TEST_F(ConnectingTest, DescriptorAdoptionIsRefused) {
  LocalSocket& s = ConnectingSocket();
  EXPECT_FALSE(s.SetSocketDescriptor(7));
  EXPECT_EQ(s.error(), Error::kOperation);
  EXPECT_THAT(events_, IsEmpty());
  s.Abort();
}

TEST_F(ConnectingTest, AbortCancels) {
  LocalSocket& s = ConnectingSocket();
  s.Abort();
  EXPECT_THAT(events_, ElementsAre("state:kUnconnected"));
  EXPECT_FALSE(ledger_.IsOpen(kFd));
  EXPECT_EQ(s.server_name(), "");
  loop_.FastForwardBy(std::chrono::seconds(60));  // No retry, no timeout afterwards.
  EXPECT_THAT(events_, ElementsAre("state:kUnconnected"));
}

TEST_F(ConnectingTest, CloseCancelsAfterAboutToClose) {
  LocalSocket& s = ConnectingSocket();
  s.Close();
  EXPECT_THAT(events_, ElementsAre("about_to_close", "state:kUnconnected"));
  EXPECT_FALSE(ledger_.IsOpen(kFd));
  EXPECT_EQ(s.error(), Error::kNone);
}

TEST_F(ConnectingTest, DisconnectCancels) {
  LocalSocket& s = ConnectingSocket();
  s.DisconnectFromServer();
  EXPECT_THAT(events_, ElementsAre("state:kUnconnected"));
  EXPECT_FALSE(ledger_.IsOpen(kFd));
  EXPECT_EQ(s.server_name(), "");
}

TEST_F(ConnectingTest, DestructionClosesTheFdAndEmitsNothing) {
  ConnectingSocket();
  socket_.reset();
  EXPECT_THAT(events_, IsEmpty());
  EXPECT_FALSE(ledger_.IsOpen(kFd));
}

// Descriptor adoption (kDescriptorAdopted in kUnconnected).
class AdoptionTest : public LocalSocketMockTest {
 protected:
  static constexpr int kAdopted = 7;

  void ExpectChecks(mode_t mode, int domain, int type, SysResult peer) {
    struct stat st {};
    st.st_mode = mode;
    EXPECT_CALL(os_, Fstat(kAdopted, _))
        .WillOnce(DoAll(SetArgPointee<1>(st), Return(SysResult{0, 0})));
    if (!S_ISSOCK(mode)) return;
    EXPECT_CALL(os_, GetSockOpt(kAdopted, SOL_SOCKET, SO_DOMAIN, _, _))
        .WillOnce(DoAll(Invoke([domain](int, int, int, void* v, socklen_t*) {
                          std::memcpy(v, &domain, sizeof(int));
                        }),
                        Return(SysResult{0, 0})));
    if (domain != AF_UNIX) return;
    EXPECT_CALL(os_, GetSockOpt(kAdopted, SOL_SOCKET, SO_TYPE, _, _))
        .WillOnce(DoAll(Invoke([type](int, int, int, void* v, socklen_t*) {
                          std::memcpy(v, &type, sizeof(int));
                        }),
                        Return(SysResult{0, 0})));
    if (type != SOCK_STREAM) return;
    EXPECT_CALL(os_, GetPeerName(kAdopted, _, _))
        .WillOnce(DoAll(Invoke([](int, sockaddr* a, socklen_t* len) {
                          auto* un = reinterpret_cast<sockaddr_un*>(a);
                          un->sun_family = AF_UNIX;
                          std::strcpy(un->sun_path, "/run/app/sock");
                          *len = sizeof(sa_family_t) + 14;
                        }),
                        Return(peer)));
  }
};

TEST_F(AdoptionTest, AdoptsAConnectedStreamSocketSilently) {
  LocalSocket& s = NewSocket();
  ledger_.Track(kAdopted);
  ExpectChecks(S_IFSOCK | 0777, AF_UNIX, SOCK_STREAM, SysResult{0, 0});
  EXPECT_CALL(os_, Fcntl(kAdopted, F_GETFL, 0)).WillOnce(Return(SysResult{O_RDWR, 0}));
  EXPECT_CALL(os_, Fcntl(kAdopted, F_SETFL, O_RDWR | O_NONBLOCK)).WillOnce(Return(SysResult{0, 0}));
  EXPECT_TRUE(s.SetSocketDescriptor(kAdopted, State::kConnected, LocalSocket::kWriteOnly));
  EXPECT_THAT(events_, IsEmpty());
  EXPECT_EQ(s.state(), State::kConnected);
  EXPECT_EQ(s.socket_descriptor(), kAdopted);
  EXPECT_EQ(s.open_mode(), LocalSocket::kWriteOnly);
  EXPECT_EQ(s.full_server_name(), "/run/app/sock");
  EXPECT_EQ(s.server_name(), "sock");
  EXPECT_EQ(loop_.WatchedEvents(kAdopted), eventloop::kReadable);
  socket_.reset();  // The socket owns the fd now.
  EXPECT_FALSE(ledger_.IsOpen(kAdopted));
}

TEST_F(AdoptionTest, OnlyTheConnectedStateIsAccepted) {
  LocalSocket& s = NewSocket();
  for (State st : {State::kUnconnected, State::kConnecting, State::kClosing}) {
    EXPECT_FALSE(s.SetSocketDescriptor(kAdopted, st));
    EXPECT_EQ(s.error(), Error::kOperation);
  }
  EXPECT_EQ(s.state(), State::kUnconnected);
  EXPECT_EQ(s.open_mode(), LocalSocket::kNotOpen);
}

TEST_F(AdoptionTest, RejectsWhatIsNotAConnectedUnixStreamSocketAndChangesNothing) {
  LocalSocket& s = NewSocket();
  EXPECT_FALSE(s.SetSocketDescriptor(-1));
  EXPECT_EQ(s.error(), Error::kUnsupportedSocketOperation);
  EXPECT_EQ(s.error_string(), "LocalSocket::SetSocketDescriptor: invalid descriptor");

  EXPECT_CALL(os_, Fstat(kAdopted, _)).WillOnce(Return(SysResult{-1, EBADF}));
  EXPECT_FALSE(s.SetSocketDescriptor(kAdopted));
  EXPECT_EQ(s.error(), Error::kUnsupportedSocketOperation);
  EXPECT_EQ(s.error_string(),
            "LocalSocket::SetSocketDescriptor: invalid descriptor: Bad file descriptor");

  ExpectChecks(S_IFIFO | 0600, AF_UNIX, SOCK_STREAM, SysResult{0, 0});
  EXPECT_FALSE(s.SetSocketDescriptor(kAdopted));
  EXPECT_EQ(s.error_string(), "LocalSocket::SetSocketDescriptor: not a socket");

  ExpectChecks(S_IFSOCK, AF_INET, SOCK_STREAM, SysResult{0, 0});
  EXPECT_FALSE(s.SetSocketDescriptor(kAdopted));
  EXPECT_EQ(s.error_string(), "LocalSocket::SetSocketDescriptor: not an AF_UNIX socket");

  ExpectChecks(S_IFSOCK, AF_UNIX, SOCK_DGRAM, SysResult{0, 0});
  EXPECT_FALSE(s.SetSocketDescriptor(kAdopted));
  EXPECT_EQ(s.error_string(), "LocalSocket::SetSocketDescriptor: not a stream socket");

  ExpectChecks(S_IFSOCK, AF_UNIX, SOCK_STREAM, SysResult{-1, ENOTCONN});
  EXPECT_FALSE(s.SetSocketDescriptor(kAdopted));
  EXPECT_EQ(s.error_string(),
            "LocalSocket::SetSocketDescriptor: not a connected socket: Transport endpoint is not "
            "connected");

  EXPECT_EQ(s.state(), State::kUnconnected);
  EXPECT_EQ(s.socket_descriptor(), -1);
  EXPECT_THAT(events_, IsEmpty());
  EXPECT_EQ(ledger_.closed_count(), 0);  // The fd is untouched: never closed.
}

TEST_F(AdoptionTest, FlagFailuresRefuseTheDescriptorAndLeaveItOpen) {
  LocalSocket& s = NewSocket();
  ledger_.Track(kAdopted);
  ExpectChecks(S_IFSOCK | 0777, AF_UNIX, SOCK_STREAM, SysResult{0, 0});
  EXPECT_CALL(os_, Fcntl(kAdopted, F_GETFL, 0)).WillOnce(Return(SysResult{-1, EBADF}));
  EXPECT_FALSE(s.SetSocketDescriptor(kAdopted));
  EXPECT_EQ(s.error(), Error::kUnsupportedSocketOperation);
  EXPECT_EQ(s.error_string(),
            "LocalSocket::SetSocketDescriptor: cannot read the descriptor flags: Bad file "
            "descriptor");

  ExpectChecks(S_IFSOCK | 0777, AF_UNIX, SOCK_STREAM, SysResult{0, 0});
  EXPECT_CALL(os_, Fcntl(kAdopted, F_GETFL, 0)).WillOnce(Return(SysResult{O_RDWR, 0}));
  EXPECT_CALL(os_, Fcntl(kAdopted, F_SETFL, O_RDWR | O_NONBLOCK))
      .WillOnce(Return(SysResult{-1, EPERM}));
  EXPECT_FALSE(s.SetSocketDescriptor(kAdopted));
  EXPECT_EQ(s.error(), Error::kUnsupportedSocketOperation);
  EXPECT_EQ(s.error_string(),
            "LocalSocket::SetSocketDescriptor: cannot make the descriptor non-blocking: "
            "Operation not permitted");

  EXPECT_EQ(s.state(), State::kUnconnected);
  EXPECT_EQ(s.socket_descriptor(), -1);
  EXPECT_THAT(events_, IsEmpty());
  EXPECT_TRUE(ledger_.IsOpen(kAdopted));  // Still the caller's.
  socket_.reset();
  EXPECT_TRUE(ledger_.IsOpen(kAdopted));
  ledger_.Close()(kAdopted);
}

TEST_F(AdoptionTest, AnAlreadyNonBlockingDescriptorKeepsItsFlags) {
  LocalSocket& s = NewSocket();
  ledger_.Track(kAdopted);
  ExpectChecks(S_IFSOCK | 0777, AF_UNIX, SOCK_STREAM, SysResult{0, 0});
  // No F_SETFL: a StrictMock fails on any further fcntl.
  EXPECT_CALL(os_, Fcntl(kAdopted, F_GETFL, 0)).WillOnce(Return(SysResult{O_RDWR | O_NONBLOCK, 0}));
  EXPECT_TRUE(s.SetSocketDescriptor(kAdopted));
  EXPECT_EQ(s.socket_descriptor(), kAdopted);
}

}  // namespace
}  // namespace test
}  // namespace ipc
