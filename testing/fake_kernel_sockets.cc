#include "testing/fake_kernel_sockets.h"

#include <poll.h>
#include <sys/un.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <utility>

namespace ipc {
namespace fake_kernel {
namespace {

constexpr size_t kPathOffset = offsetof(sockaddr_un, sun_path);

size_t TotalLength(const iovec* iov, size_t iov_count) {
  size_t total = 0;
  for (size_t i = 0; i < iov_count; ++i) total += iov[i].iov_len;
  return total;
}

}  // namespace

void UnixAddress::Write(sockaddr* address, socklen_t* length) const {
  sockaddr_un full{};
  full.sun_family = AF_UNIX;
  size_t size = sizeof(sa_family_t);
  switch (kind) {
    case Kind::kUnnamed:
      break;
    case Kind::kPath:
      std::memcpy(full.sun_path, name.data(), name.size());
      size = kPathOffset + name.size() + 1;
      break;
    case Kind::kAbstract:
      std::memcpy(full.sun_path + 1, name.data(), name.size());
      size = kPathOffset + 1 + name.size();
      break;
  }
  const auto room = static_cast<size_t>(*length);  // Callers reject negative ones.
  std::memcpy(address, &full, std::min(room, size));
  *length = static_cast<socklen_t>(size);
}

int ReadAddress(const sockaddr* address, socklen_t length, UnixAddress* out) {
  if (address == nullptr) return EFAULT;
  if (length == static_cast<socklen_t>(kPathOffset) && address->sa_family == AF_UNIX) {
    *out = UnixAddress{};
    return 0;
  }
  if (length <= static_cast<socklen_t>(kPathOffset) ||
      length > static_cast<socklen_t>(sizeof(sockaddr_un)) || address->sa_family != AF_UNIX) {
    return EINVAL;
  }
  const auto* un = reinterpret_cast<const sockaddr_un*>(address);
  const size_t size = static_cast<size_t>(length) - kPathOffset;
  if (un->sun_path[0] == '\0') {
    out->kind = UnixAddress::Kind::kAbstract;
    out->name.assign(un->sun_path + 1, size - 1);
  } else {
    out->kind = UnixAddress::Kind::kPath;
    out->name.assign(un->sun_path, strnlen(un->sun_path, size));
  }
  return 0;
}

SocketTable::~SocketTable() = default;

Socket* SocketTable::Create(int domain, int type) {
  auto socket = std::make_unique<Socket>();
  socket->id = next_id_++;
  socket->domain = domain;
  socket->type = type;
  socket->send_buffer = default_send_buffer_;
  Socket* raw = socket.get();
  sockets_.emplace(raw->id, std::move(socket));
  Touch(*raw);
  return raw;
}

void SocketTable::ConnectPair(Socket& a, Socket& b) {
  a.state = b.state = Socket::State::kConnected;
  a.peer = &b;
  b.peer = &a;
  a.peer_credentials = b.peer_credentials = credentials_;
  Touch(a);
  Touch(b);
}

int SocketTable::Autobind(Socket& socket) {
  if (socket.local.kind != UnixAddress::Kind::kUnnamed) return 0;
  for (int attempt = 0; attempt < 0x100000; ++attempt) {
    char name[8];
    std::snprintf(name, sizeof(name), "%05x", next_autobind_++ & 0xfffff);
    if (abstract_names_.count(name) != 0) continue;
    socket.local = UnixAddress{UnixAddress::Kind::kAbstract, name};
    abstract_names_.emplace(name, &socket);
    return 0;
  }
  return ENOSPC;
}

int SocketTable::Bind(Socket& socket, const UnixAddress& address) {
  if (socket.domain != AF_UNIX) return EOPNOTSUPP;
  switch (address.kind) {
    case UnixAddress::Kind::kUnnamed:
      return Autobind(socket);
    case UnixAddress::Kind::kAbstract:
      if (socket.local.kind != UnixAddress::Kind::kUnnamed) return EINVAL;
      if (abstract_names_.count(address.name) != 0) return EADDRINUSE;
      socket.local = address;
      abstract_names_.emplace(address.name, &socket);
      return 0;
    case UnixAddress::Kind::kPath: {
      // As Linux: the file is made first (an existing name is EADDRINUSE even for a socket
      // that is already bound), then removed again if the socket already has a name.
      std::shared_ptr<Inode> file;
      if (const int err = fs_.CreateSocketFile(address.name.c_str(), 0777, &file); err != 0) {
        return err == EEXIST ? EADDRINUSE : err;
      }
      if (socket.local.kind != UnixAddress::Kind::kUnnamed) {
        fs_.Unlink(address.name.c_str());
        return EINVAL;
      }
      file->bound_socket = socket.id;
      socket.file = std::move(file);
      socket.local = address;
      return 0;
    }
  }
  return EINVAL;
}

int SocketTable::Listen(Socket& socket, int backlog) {
  if (!socket.Modeled()) return EOPNOTSUPP;
  if (socket.state == Socket::State::kConnected) return EINVAL;
  if (socket.local.kind == UnixAddress::Kind::kUnnamed) return EINVAL;
  socket.backlog =
      static_cast<unsigned>(backlog) > static_cast<unsigned>(kSoMaxConn) ? kSoMaxConn : backlog;
  socket.state = Socket::State::kListening;
  socket.peer_credentials = credentials_;  // As Linux: a listener's are its own.
  Touch(socket);
  return 0;
}

int SocketTable::Connect(Socket& socket, const UnixAddress& address) {
  if (!socket.Modeled()) return EOPNOTSUPP;
  Socket* other = nullptr;
  switch (address.kind) {
    case UnixAddress::Kind::kUnnamed:
      return EINVAL;
    case UnixAddress::Kind::kAbstract: {
      const auto it = abstract_names_.find(address.name);
      if (it == abstract_names_.end()) return ECONNREFUSED;
      other = it->second;
      break;
    }
    case UnixAddress::Kind::kPath: {
      std::shared_ptr<Inode> file;
      if (const int err = fs_.FindSocketFile(address.name.c_str(), &file); err != 0) return err;
      other = file->bound_socket != 0 ? Find(file->bound_socket) : nullptr;
      if (other == nullptr) return ECONNREFUSED;
      break;
    }
  }
  if (other->type != socket.type) return EPROTOTYPE;
  if (other->state != Socket::State::kListening || (other->shutdown & kReceiveShutdown)) {
    return ECONNREFUSED;
  }
  if (other->backlog_full || other->pending.size() > static_cast<size_t>(other->backlog)) {
    return EAGAIN;
  }
  if (socket.state != Socket::State::kUnconnected) {
    return socket.state == Socket::State::kConnected ? EISCONN : EINVAL;
  }
  // The server's end exists at once (an embryo in the listener's queue), so the client may
  // send before the server accepts.
  Socket* embryo = Create(socket.domain, socket.type);
  embryo->local = other->local;
  embryo->remote = socket.local;
  embryo->listener = other;
  ConnectPair(socket, *embryo);
  socket.peer_credentials = other->peer_credentials;  // The listener's, from listen().
  socket.remote = other->local;
  other->pending.push_back(embryo);
  Touch(*other);
  return 0;
}

Socket* SocketTable::Accept(Socket& listener, int* err) {
  if (!listener.Modeled()) {
    *err = EOPNOTSUPP;
    return nullptr;
  }
  if (listener.state != Socket::State::kListening) {
    *err = EINVAL;
    return nullptr;
  }
  if (listener.pending.empty()) {
    *err = (listener.shutdown & kReceiveShutdown) ? EINVAL : EAGAIN;
    return nullptr;
  }
  Socket* accepted = listener.pending.front();
  listener.pending.pop_front();
  accepted->listener = nullptr;
  Touch(listener);
  Touch(*accepted);
  return accepted;
}

int64_t SocketTable::Send(Socket& socket, const iovec* iov, size_t iov_count, size_t cap,
                          std::vector<uint64_t>* files) {
  if (!socket.Modeled()) return -EOPNOTSUPP;
  if (socket.state != Socket::State::kConnected) return -ENOTCONN;
  if ((socket.shutdown & kSendShutdown) || socket.peer == nullptr) return -EPIPE;
  Socket& peer = *socket.peer;
  if (peer.shutdown & kReceiveShutdown) return -EPIPE;
  const size_t total = TotalLength(iov, iov_count);
  if (total == 0) return 0;
  const size_t in_flight = socket.InFlight();
  const size_t limit = static_cast<size_t>(std::max(socket.send_buffer, 0));
  const size_t room = in_flight < limit ? limit - in_flight : 0;
  const size_t n = std::min({total, room, cap});
  if (n == 0) return -EAGAIN;
  Segment segment;
  segment.bytes.reserve(n);
  for (size_t i = 0; i < iov_count && segment.bytes.size() < n; ++i) {
    const size_t take = std::min(iov[i].iov_len, n - segment.bytes.size());
    segment.bytes.append(static_cast<const char*>(iov[i].iov_base), take);
  }
  if (files != nullptr) segment.files = std::move(*files);
  peer.received.push_back(std::move(segment));
  peer.received_bytes += n;
  Touch(socket);
  Touch(peer);
  return static_cast<int64_t>(n);
}

int64_t SocketTable::Receive(Socket& socket, const iovec* iov, size_t iov_count, bool peek,
                             std::vector<uint64_t>* files) {
  if (!socket.Modeled()) return -EOPNOTSUPP;
  if (socket.state != Socket::State::kConnected) return -EINVAL;
  const size_t total = TotalLength(iov, iov_count);
  if (socket.received_bytes == 0) {  // Also for a zero-length read: Linux waits for 1 byte.
    if (socket.error != 0) {
      Touch(socket);
      return -std::exchange(socket.error, 0);
    }
    if (socket.shutdown & kReceiveShutdown) return 0;
    return -EAGAIN;
  }
  if (total == 0) return 0;
  // As Linux: a read ends with the first segment that carries files.
  size_t readable = 0;
  for (const Segment& queued : socket.received) {
    readable += queued.bytes.size() - queued.offset;
    if (!queued.files.empty()) break;
  }
  const size_t n = std::min(total, readable);
  size_t copied = 0;
  size_t vector_index = 0;
  size_t vector_offset = 0;
  auto segment = socket.received.begin();
  size_t segment_offset = segment->offset;
  while (copied < n) {
    const size_t in_segment = segment->bytes.size() - segment_offset;
    const size_t in_vector = iov[vector_index].iov_len - vector_offset;
    const size_t chunk = std::min({in_segment, in_vector, n - copied});
    std::memcpy(static_cast<char*>(iov[vector_index].iov_base) + vector_offset,
                segment->bytes.data() + segment_offset, chunk);
    copied += chunk;
    segment_offset += chunk;
    vector_offset += chunk;
    if (vector_offset == iov[vector_index].iov_len) {
      ++vector_index;
      vector_offset = 0;
    }
    if (segment_offset == segment->bytes.size() && copied < n) {
      ++segment;
      segment_offset = segment->offset;
    }
  }
  if (peek) {
    // The files of the last segment read, copied (Linux installs them for a peek too).
    size_t left = n;
    for (const Segment& queued : socket.received) {
      const size_t take = std::min(left, queued.bytes.size() - queued.offset);
      left -= take;
      if (left == 0) {
        if (files != nullptr) files->insert(files->end(), queued.files.begin(), queued.files.end());
        break;
      }
    }
  } else {
    size_t left = n;
    while (left > 0) {
      Segment& front = socket.received.front();
      const size_t take = std::min(left, front.bytes.size() - front.offset);
      front.offset += take;
      left -= take;
      if (!front.files.empty()) {  // Taken by the first read of any of its bytes.
        std::vector<uint64_t>& to = files != nullptr ? *files : orphaned_files_;
        to.insert(to.end(), front.files.begin(), front.files.end());
        front.files.clear();
      }
      if (front.offset == front.bytes.size()) socket.received.pop_front();
    }
    socket.received_bytes -= n;
    Touch(socket);
    if (socket.peer != nullptr) Touch(*socket.peer);  // It may be writable again.
  }
  return static_cast<int64_t>(n);
}

int SocketTable::Shutdown(Socket& socket, int how) {
  if (how < SHUT_RD || how > SHUT_RDWR) return EINVAL;
  if (!socket.Modeled()) return EOPNOTSUPP;
  const int mode = how + 1;  // SHUT_RD -> kReceiveShutdown, SHUT_WR -> kSendShutdown.
  socket.shutdown |= mode;
  Touch(socket);
  if (socket.peer != nullptr) {
    int peer_mode = 0;
    if (mode & kReceiveShutdown) peer_mode |= kSendShutdown;
    if (mode & kSendShutdown) peer_mode |= kReceiveShutdown;
    socket.peer->shutdown |= peer_mode;
    Touch(*socket.peer);
  }
  return 0;
}

void SocketTable::Release(Socket& socket) { ReleaseOne(&socket, /*embryo=*/false); }

void SocketTable::ReleaseOne(Socket* socket, bool embryo) {
  if (socket->state == Socket::State::kListening) {
    std::deque<Socket*> pending;
    pending.swap(socket->pending);
    for (Socket* child : pending) {
      child->listener = nullptr;
      ReleaseOne(child, /*embryo=*/true);
    }
  }
  if (socket->listener != nullptr) {
    std::deque<Socket*>& queue = socket->listener->pending;
    queue.erase(std::remove(queue.begin(), queue.end(), socket), queue.end());
    Touch(*socket->listener);
  }
  if (Socket* peer = socket->peer) {
    // Linux: the peer may not write any more and reads EOF; if this end dies with data it
    // never read (or was never accepted), the peer's next read reports ECONNRESET first.
    peer->shutdown = kShutdownMask;
    if (socket->received_bytes > 0 || embryo) peer->error = ECONNRESET;
    peer->peer = nullptr;
    Touch(*peer);
  }
  if (socket->local.kind == UnixAddress::Kind::kAbstract) {
    const auto it = abstract_names_.find(socket->local.name);
    if (it != abstract_names_.end() && it->second == socket) abstract_names_.erase(it);
  }
  if (socket->file && socket->file->bound_socket == socket->id) socket->file->bound_socket = 0;
  for (const Segment& queued : socket->received) {  // Unread: what they passed goes too.
    orphaned_files_.insert(orphaned_files_.end(), queued.files.begin(), queued.files.end());
  }
  sockets_.erase(socket->id);
}

void SocketTable::Reset(Socket& socket) {
  Socket* peer = socket.peer;
  socket.shutdown = kShutdownMask;
  socket.error = ECONNRESET;
  socket.peer = nullptr;
  Touch(socket);
  if (peer != nullptr) {
    peer->shutdown = kShutdownMask;
    peer->error = ECONNRESET;
    peer->peer = nullptr;
    Touch(*peer);
  }
}

int SocketTable::TakeError(Socket& socket) {
  Touch(socket);
  return std::exchange(socket.error, 0);
}

void SocketTable::SetSendBuffer(Socket& socket, int bytes) {
  socket.send_buffer = bytes;
  Touch(socket);
}

int PollEvents(const Socket& socket) {
  if (!socket.Modeled()) return 0;
  int events = 0;
  if (socket.error != 0) events |= POLLERR;
  if (socket.shutdown == kShutdownMask) events |= POLLHUP;
  if (socket.shutdown & kReceiveShutdown) events |= POLLRDHUP | POLLIN | POLLRDNORM;
  const bool has_input = socket.state == Socket::State::kListening ? !socket.pending.empty()
                                                                   : socket.received_bytes > 0;
  if (has_input) events |= POLLIN | POLLRDNORM;
  if (socket.state == Socket::State::kUnconnected) events |= POLLHUP;
  // Linux's unix_writable(): at most a quarter of the send buffer in flight.
  if (socket.state != Socket::State::kListening &&
      socket.InFlight() * 4 <= static_cast<size_t>(std::max(socket.send_buffer, 0))) {
    events |= POLLOUT | POLLWRNORM | POLLWRBAND;
  }
  return events;
}

void SocketTable::TakeOrphanedFiles(std::vector<uint64_t>* ids) {
  ids->clear();
  ids->swap(orphaned_files_);
}

void SocketTable::TakeTouched(std::vector<uint64_t>* ids) {
  ids->clear();
  ids->swap(touched_);
}

Socket* SocketTable::Find(uint64_t id) {
  const auto it = sockets_.find(id);
  return it == sockets_.end() ? nullptr : it->second.get();
}

}  // namespace fake_kernel
}  // namespace ipc
