// Builds against the ipc/ part of localsocket's public contract (its public headers) from another
// workspace: paths, names and signatures must match exactly, or this file does not compile.
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "eventloop/event_loop.h"
#include "gtest/gtest.h"
#include "ipc/local_server.h"
#include "ipc/local_socket.h"
#include "ipc/os_calls.h"
#include "ipc/signal.h"
#include "ipc/unique_fd.h"
#include "testing/fake_event_loop.h"
#include "testing/mock_os_calls.h"

namespace {

using ipc::Connection;
using ipc::LocalServer;
using ipc::LocalSocket;
using ipc::OsCalls;
using ipc::PeerCredentials;
using ipc::Signal;
using ipc::SysResult;
using ipc::UniqueFd;

template <typename A, typename B>
constexpr bool kSame = std::is_same_v<A, B>;

// ipc/signal.h
static_assert(std::is_default_constructible_v<Connection> &&
              std::is_copy_constructible_v<Connection>);
static_assert(kSame<decltype(&Connection::Disconnect), void (Connection::*)()>);
static_assert(kSame<decltype(&Connection::connected), bool (Connection::*)() const>);
static_assert(
    kSame<decltype(&Signal<int, std::string>::Connect),
          Connection (Signal<int, std::string>::*)(std::function<void(int, std::string)>)>);
static_assert(kSame<decltype(&Signal<int>::Emit), void (Signal<int>::*)(int)>);
static_assert(!std::is_copy_constructible_v<Signal<>> && !std::is_move_constructible_v<Signal<>>);

// ipc/os_calls.h
static_assert(kSame<decltype(SysResult::rc), int64_t> && kSame<decltype(SysResult::err), int>);
static_assert(std::has_virtual_destructor_v<OsCalls>);
static_assert(kSame<decltype(&ipc::RealOsCalls), OsCalls& (*)()>);
static_assert(std::is_base_of_v<OsCalls, ipc::MockOsCalls>);

// ipc/unique_fd.h
static_assert(!std::is_copy_constructible_v<UniqueFd> &&
              std::is_nothrow_move_constructible_v<UniqueFd>);
static_assert(std::is_nothrow_move_assignable_v<UniqueFd>);
static_assert(!std::is_convertible_v<int, UniqueFd>);
static_assert(kSame<decltype(&UniqueFd::get), int (UniqueFd::*)() const>);
static_assert(kSame<decltype(&UniqueFd::release), int (UniqueFd::*)()>);
static_assert(kSame<decltype(&UniqueFd::reset), void (UniqueFd::*)(int)>);
static_assert(!std::is_convertible_v<UniqueFd, bool> && std::is_constructible_v<bool, UniqueFd>);

// ipc/local_socket.h
using State = LocalSocket::State;
using Error = LocalSocket::Error;
static_assert(std::is_enum_v<State> && !std::is_convertible_v<State, int>);
static_assert(static_cast<int>(State::kUnconnected) == 0 && static_cast<int>(State::kClosing) == 3);
static_assert(static_cast<int>(Error::kNone) == 0 && static_cast<int>(Error::kAddressInUse) == 12);
static_assert(static_cast<int>(Error::kUnknown) == 11 && static_cast<int>(Error::kOperation) == 10);
static_assert(kSame<std::underlying_type_t<LocalSocket::OpenMode>, uint32_t>);
static_assert(LocalSocket::kNotOpen == 0 && LocalSocket::kReadOnly == 1 &&
              LocalSocket::kWriteOnly == 2 && LocalSocket::kReadWrite == 3);
static_assert(LocalSocket::kNoOptions == 0 && LocalSocket::kAbstractNamespace == 1);
static_assert(std::is_constructible_v<LocalSocket, eventloop::EventLoop&, OsCalls&>);
static_assert(std::is_constructible_v<LocalSocket, eventloop::EventLoop&>);
static_assert(!std::is_convertible_v<eventloop::EventLoop&, LocalSocket>);
static_assert(!std::is_copy_constructible_v<LocalSocket> &&
              !std::is_move_constructible_v<LocalSocket>);
static_assert(
    kSame<decltype(&LocalSocket::SetServerName), void (LocalSocket::*)(std::string_view)>);
static_assert(
    kSame<decltype(&LocalSocket::server_name), const std::string& (LocalSocket::*)() const>);
static_assert(
    kSame<decltype(&LocalSocket::full_server_name), const std::string& (LocalSocket::*)() const>);
static_assert(kSame<decltype(&LocalSocket::SetSocketOptions), void (LocalSocket::*)(uint32_t)>);
static_assert(kSame<decltype(&LocalSocket::socket_options), uint32_t (LocalSocket::*)() const>);
static_assert(kSame<decltype(&LocalSocket::SetConnectTimeout), void (LocalSocket::*)(int)>);
static_assert(kSame<decltype(&LocalSocket::connect_timeout), int (LocalSocket::*)() const>);
static_assert(
    kSame<decltype(static_cast<void (LocalSocket::*)(uint32_t)>(&LocalSocket::ConnectToServer)),
          void (LocalSocket::*)(uint32_t)>);
static_assert(kSame<decltype(static_cast<void (LocalSocket::*)(std::string_view, uint32_t)>(
                        &LocalSocket::ConnectToServer)),
                    void (LocalSocket::*)(std::string_view, uint32_t)>);
static_assert(kSame<decltype(&LocalSocket::DisconnectFromServer), void (LocalSocket::*)()>);
static_assert(kSame<decltype(&LocalSocket::ShutdownWrite), void (LocalSocket::*)()>);
static_assert(kSame<decltype(&LocalSocket::Abort), void (LocalSocket::*)()>);
static_assert(kSame<decltype(&LocalSocket::Close), void (LocalSocket::*)()>);
static_assert(kSame<decltype(&LocalSocket::SetSocketDescriptor),
                    bool (LocalSocket::*)(int, State, uint32_t)>);
static_assert(kSame<decltype(&LocalSocket::socket_descriptor), int (LocalSocket::*)() const>);
static_assert(kSame<decltype(&LocalSocket::peer_credentials),
                    std::optional<PeerCredentials> (LocalSocket::*)() const>);
static_assert(kSame<decltype(PeerCredentials::pid), pid_t> &&
              kSame<decltype(PeerCredentials::uid), uid_t> &&
              kSame<decltype(PeerCredentials::gid), gid_t>);
static_assert(kSame<decltype(&LocalSocket::state), State (LocalSocket::*)() const>);
static_assert(kSame<decltype(&LocalSocket::error), Error (LocalSocket::*)() const>);
static_assert(
    kSame<decltype(&LocalSocket::error_string), const std::string& (LocalSocket::*)() const>);
static_assert(kSame<decltype(&LocalSocket::IsValid), bool (LocalSocket::*)() const>);
static_assert(kSame<decltype(&LocalSocket::IsOpen), bool (LocalSocket::*)() const>);
static_assert(kSame<decltype(&LocalSocket::open_mode), uint32_t (LocalSocket::*)() const>);
static_assert(kSame<decltype(&LocalSocket::Write), int64_t (LocalSocket::*)(std::string_view)>);
static_assert(kSame<decltype(&LocalSocket::WriteWithFds),
                    int64_t (LocalSocket::*)(std::string_view, const std::vector<int>&)>);
static_assert(
    kSame<decltype(&LocalSocket::TakeReceivedFds), std::vector<UniqueFd> (LocalSocket::*)()>);
static_assert(
    kSame<decltype(static_cast<int64_t (LocalSocket::*)(char*, int64_t)>(&LocalSocket::Read)),
          int64_t (LocalSocket::*)(char*, int64_t)>);
static_assert(
    kSame<decltype(static_cast<std::string (LocalSocket::*)(int64_t)>(&LocalSocket::Read)),
          std::string (LocalSocket::*)(int64_t)>);
static_assert(kSame<decltype(&LocalSocket::ReadAll), std::string (LocalSocket::*)()>);
static_assert(kSame<decltype(&LocalSocket::ReadLine), std::string (LocalSocket::*)(int64_t)>);
static_assert(kSame<decltype(&LocalSocket::Peek), std::string (LocalSocket::*)(int64_t) const>);
static_assert(kSame<decltype(&LocalSocket::Skip), int64_t (LocalSocket::*)(int64_t)>);
static_assert(
    kSame<decltype(&LocalSocket::PeekBuffered), std::string_view (LocalSocket::*)() const>);
static_assert(kSame<decltype(&LocalSocket::BytesAvailable), int64_t (LocalSocket::*)() const>);
static_assert(kSame<decltype(&LocalSocket::BytesToWrite), int64_t (LocalSocket::*)() const>);
static_assert(kSame<decltype(&LocalSocket::CanReadLine), bool (LocalSocket::*)() const>);
static_assert(kSame<decltype(&LocalSocket::AtEnd), bool (LocalSocket::*)() const>);
static_assert(kSame<decltype(&LocalSocket::Flush), bool (LocalSocket::*)()>);
static_assert(kSame<decltype(&LocalSocket::read_buffer_size), int64_t (LocalSocket::*)() const>);
static_assert(kSame<decltype(&LocalSocket::SetReadBufferSize), void (LocalSocket::*)(int64_t)>);
static_assert(kSame<decltype(&LocalSocket::SetWriteBufferLimit), void (LocalSocket::*)(int64_t)>);
static_assert(kSame<decltype(&LocalSocket::write_buffer_limit), int64_t (LocalSocket::*)() const>);
static_assert(kSame<decltype(LocalSocket::write_buffer_available), Signal<>>);
static_assert(kSame<decltype(&LocalSocket::WaitForConnected), bool (LocalSocket::*)(int)>);
static_assert(kSame<decltype(&LocalSocket::WaitForReadyRead), bool (LocalSocket::*)(int)>);
static_assert(kSame<decltype(&LocalSocket::WaitForBytesWritten), bool (LocalSocket::*)(int)>);
static_assert(kSame<decltype(&LocalSocket::WaitForDisconnected), bool (LocalSocket::*)(int)>);
static_assert(kSame<decltype(LocalSocket::connected), Signal<>>);
static_assert(kSame<decltype(LocalSocket::disconnected), Signal<>>);
static_assert(kSame<decltype(LocalSocket::error_occurred), Signal<Error>>);
static_assert(kSame<decltype(LocalSocket::state_changed), Signal<State>>);
static_assert(kSame<decltype(LocalSocket::ready_read), Signal<>>);
static_assert(kSame<decltype(LocalSocket::bytes_written), Signal<int64_t>>);
static_assert(kSame<decltype(LocalSocket::about_to_close), Signal<>>);
static_assert(kSame<decltype(LocalSocket::read_channel_finished), Signal<>>);

// ipc/local_server.h
static_assert(kSame<std::underlying_type_t<LocalServer::SocketOption>, uint32_t>);
static_assert(LocalServer::kNoOptions == 0 && LocalServer::kUserAccess == 0x01 &&
              LocalServer::kGroupAccess == 0x02 && LocalServer::kOtherAccess == 0x04 &&
              LocalServer::kWorldAccess == 0x07 && LocalServer::kAbstractNamespace == 0x08);
static_assert(std::is_constructible_v<LocalServer, eventloop::EventLoop&, OsCalls&>);
static_assert(std::is_constructible_v<LocalServer, eventloop::EventLoop&>);
static_assert(!std::is_convertible_v<eventloop::EventLoop&, LocalServer>);
static_assert(!std::is_copy_constructible_v<LocalServer> &&
              !std::is_move_constructible_v<LocalServer>);
static_assert(
    kSame<decltype(static_cast<bool (LocalServer::*)(std::string_view)>(&LocalServer::Listen)),
          bool (LocalServer::*)(std::string_view)>);
static_assert(kSame<decltype(static_cast<bool (LocalServer::*)(int)>(&LocalServer::Listen)),
                    bool (LocalServer::*)(int)>);
static_assert(
    kSame<decltype(&LocalServer::ListenInherited), bool (LocalServer::*)(std::string_view)>);
static_assert(kSame<decltype(&LocalServer::Close), void (LocalServer::*)()>);
static_assert(kSame<decltype(&LocalServer::IsListening), bool (LocalServer::*)() const>);
static_assert(kSame<decltype(&LocalServer::server_name), std::string (LocalServer::*)() const>);
static_assert(
    kSame<decltype(&LocalServer::full_server_name), std::string (LocalServer::*)() const>);
static_assert(kSame<decltype(&LocalServer::server_error), Error (LocalServer::*)() const>);
static_assert(kSame<decltype(&LocalServer::error_string), std::string (LocalServer::*)() const>);
static_assert(kSame<decltype(&LocalServer::SetSocketOptions), void (LocalServer::*)(uint32_t)>);
static_assert(kSame<decltype(&LocalServer::socket_options), uint32_t (LocalServer::*)() const>);
static_assert(kSame<decltype(&LocalServer::SetMaxPendingConnections), void (LocalServer::*)(int)>);
static_assert(kSame<decltype(&LocalServer::max_pending_connections), int (LocalServer::*)() const>);
static_assert(kSame<decltype(&LocalServer::SetPeerFilter),
                    void (LocalServer::*)(std::function<bool(const PeerCredentials&)>)>);
static_assert(kSame<decltype(&LocalServer::SetListenBacklogSize), void (LocalServer::*)(int)>);
static_assert(kSame<decltype(&LocalServer::listen_backlog_size), int (LocalServer::*)() const>);
static_assert(kSame<decltype(&LocalServer::socket_descriptor), int (LocalServer::*)() const>);
static_assert(kSame<decltype(&LocalServer::HasPendingConnections), bool (LocalServer::*)() const>);
static_assert(kSame<decltype(&LocalServer::NextPendingConnection),
                    std::unique_ptr<LocalSocket> (LocalServer::*)()>);
static_assert(
    kSame<decltype(&LocalServer::WaitForNewConnection), bool (LocalServer::*)(int, bool*)>);
static_assert(kSame<decltype(&LocalServer::RemoveServer), bool (*)(std::string_view)>);
static_assert(kSame<decltype(LocalServer::new_connection), Signal<>>);
static_assert(kSame<decltype(LocalServer::error_occurred), Signal<Error>>);

TEST(IpcConsumerTest, SignalsRunSlotsInConnectionOrder) {
  Signal<int> changed;
  std::vector<int> seen;
  Connection first = changed.Connect([&](int v) { seen.push_back(v); });
  changed.Connect([&](int v) { seen.push_back(v * 10); });
  changed.Emit(1);
  first.Disconnect();
  changed.Emit(2);
  EXPECT_EQ(seen, std::vector<int>({1, 10, 20}));
  EXPECT_FALSE(first.connected());
}

TEST(IpcConsumerTest, ServerAndClientTalkOnAFakeLoopWithRealSockets) {
  // The loop is fake; the kernel objects are real: waits do the I/O without running the loop.
  eventloop::FakeEventLoop loop;
  LocalServer server(loop);
  server.SetSocketOptions(LocalServer::kAbstractNamespace);
  const std::string name = "localsocket-consumer-" + std::to_string(getpid());
  ASSERT_TRUE(server.Listen(name)) << server.error_string();
  LocalSocket client(loop);
  client.SetSocketOptions(LocalSocket::kAbstractNamespace);
  client.ConnectToServer(name);
  ASSERT_EQ(client.state(), State::kConnected) << client.error_string();
  ASSERT_TRUE(server.WaitForNewConnection(5000));
  std::unique_ptr<LocalSocket> peer = server.NextPendingConnection();
  ASSERT_NE(peer, nullptr);
  EXPECT_EQ(client.Write("ping\n"), 5);
  ASSERT_TRUE(client.WaitForBytesWritten(5000));
  ASSERT_TRUE(peer->WaitForReadyRead(5000));
  EXPECT_EQ(peer->ReadLine(), "ping\n");
  client.DisconnectFromServer();
  EXPECT_EQ(client.state(), State::kUnconnected);
  EXPECT_TRUE(peer->WaitForDisconnected(5000));
}

}  // namespace
