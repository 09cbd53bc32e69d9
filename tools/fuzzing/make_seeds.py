#!/usr/bin/env python3
"""Writes the hand-made seed corpus of each fuzz target into corpus/<target>/.

Each seed is one meaningful case, named after it; the input formats are described at the top of
each fuzzer's source. Run it after changing a format (then review `git diff --stat corpus/`).
Files it does not write (regression inputs saved from crashes, named regression-*) are kept.

    python3 tools/fuzzing/make_seeds.py
"""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))


def write(target, name, data):
    directory = os.path.join(HERE, "corpus", target)
    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, name), "wb") as out:
        out.write(data)


# --- server_name_fuzzer: flags, address length, [$TMPDIR length and bytes], name ------------
ABSTRACT, TMPDIR_EMPTY, TMPDIR_ROOT, TMPDIR_INPUT, STRETCH, EMFILE = 1, 2, 4, 6, 8, 0x80


def access(index):
    return index << 4


def name_seed(name, flags=0, address_length=110, tmpdir=None):
    data = bytes([flags, address_length])
    if tmpdir is not None:
        data += bytes([len(tmpdir)]) + tmpdir
    return data + name


SERVER_NAME_SEEDS = {
    "relative": name_seed(b"my-daemon.sock"),
    "relative_with_directory": name_seed(b"dir/x"),
    "absolute": name_seed(b"/run/user/1000/app.sock"),
    "absolute_user_access": name_seed(b"/run/app.sock", flags=access(1)),
    "world_access_emfile": name_seed(b"/run/app.sock", flags=access(4) | EMFILE),
    "path_107_bytes": name_seed(b"/" + b"p" * 106),
    "path_108_bytes": name_seed(b"/" + b"p" * 107),
    "relative_at_limit": name_seed(b"r" * 102, flags=TMPDIR_INPUT, tmpdir=b"/tmp"),
    "relative_over_limit": name_seed(b"r" * 103, flags=TMPDIR_INPUT, tmpdir=b"/tmp"),
    "empty": name_seed(b""),
    "empty_abstract": name_seed(b"", flags=ABSTRACT),
    "nul_in_path": name_seed(b"a\0b"),
    "abstract": name_seed(b"my-abstract", flags=ABSTRACT),
    "abstract_with_nuls": name_seed(b"a\0b\0", flags=ABSTRACT),
    "abstract_107_bytes": name_seed(b"a" * 107, flags=ABSTRACT),
    "abstract_108_bytes": name_seed(b"a" * 108, flags=ABSTRACT),
    "tmpdir_trailing_slashes": name_seed(b"x", flags=TMPDIR_INPUT, tmpdir=b"/var/run/x//"),
    "tmpdir_relative": name_seed(b"x", flags=TMPDIR_INPUT, tmpdir=b"rel"),
    "tmpdir_root": name_seed(b"x", flags=TMPDIR_ROOT),
    "tmpdir_empty": name_seed(b"x", flags=TMPDIR_EMPTY),
    "tmpdir_long": name_seed(b"x", flags=TMPDIR_INPUT, tmpdir=b"/" + b"t" * 110),
    "stretched_path": name_seed(b"/ab", flags=STRETCH),
    "stretched_abstract": name_seed(b"ab", flags=STRETCH | ABSTRACT),
    "address_cut_short": name_seed(b"/tmp/sock", address_length=5),
    "address_unnamed": name_seed(b"/tmp/sock", address_length=2),
    "address_abstract": name_seed(b"\0abc", address_length=6),
    "address_past_sun_path": name_seed(b"/" + b"q" * 120, address_length=255),
}

# --- byte_buffer_fuzzer: operations (opcode = op * 2 + buffer), little-endian arguments -----
(APPEND_BYTES, APPEND_PATTERN, RECEIVE, RECEIVE_LIMITED, PEEK, PEEK_BUFFERED, PARSE_IN_PLACE,
 SKIP, READ, READ_LINE, FIND, SEND, CLEAR, READ_ALL, RECEIVE_LONG, APPEND_BORROWED) = range(16)
BLOCK = 64 * 1024


def u(value, width):
    return value.to_bytes(width, "little")


def op(code, side=0):
    return bytes([code * 2 + side])


def append_bytes(data, side=0):
    return op(APPEND_BYTES, side) + u(len(data), 2) + data


def append_pattern(n, seed=0, side=0):
    return op(APPEND_PATTERN, side) + u(n, 3) + bytes([seed])


def receive(min_size, n, extra=0, seed=0, side=0):
    return op(RECEIVE, side) + u(min_size, 3) + u(n, 3) + bytes([extra, seed])


def receive_limited(limit, n, seed=0, side=0):
    return op(RECEIVE_LIMITED, side) + u(limit - 1, 3) + u(n, 3) + bytes([seed])


def receive_long(want, n, extra=0, seed=0, side=0):
    return op(RECEIVE_LONG, side) + u(want - 1, 3) + u(n, 3) + bytes([extra, seed])


def append_borrowed(n, seed=0, side=0):
    return op(APPEND_BORROWED, side) + u(n, 3) + bytes([seed])


def peek(n, side=0):
    return op(PEEK, side) + u(n, 3)


def peek_buffered(used, side=0):
    return op(PEEK_BUFFERED, side) + u(used, 3)


def parse_in_place(step, side=0):
    return op(PARSE_IN_PLACE, side) + u(step - 1, 2)


def skip(n, side=0):
    return op(SKIP, side) + u(n, 3)


def read(n, side=0):
    return op(READ, side) + u(n, 3)


def read_line(max_size, side=0):
    return op(READ_LINE, side) + u(max_size, 3)


def find(byte, limit, side=0):
    """Find of a literal byte with an explicit limit."""
    return op(FIND, side) + bytes([3 << 1, byte]) + u(limit, 3)


def send(max_iov, max_bytes, taken, side=0):
    return op(SEND, side) + bytes([max_iov]) + u(max_bytes, 3) + u(taken, 3)


def simple(code, side=0):
    return op(code, side)


BYTE_BUFFER_SEEDS = {
    "write_then_read": append_bytes(b"hello world") + peek(5) + read(5) + simple(READ_ALL),
    "lines": append_bytes(b"one\ntwo\nthree") + read_line(0) + read_line(2) + read_line(100) +
             find(ord("e"), 100) + read_line(0),
    "small_messages_fill_a_block": b"".join(append_bytes(b"m" * 100) for _ in range(7)) +
                                   skip(250) + peek(1000) + simple(CLEAR),
    "append_across_blocks": append_pattern(BLOCK + 300) + append_pattern(BLOCK) +
                            peek_buffered(BLOCK) + read(BLOCK + 10) + simple(READ_ALL),
    "receive_into_room": append_bytes(b"x" * 10) + receive(16, 100, extra=64) + read(200),
    "receive_short_into_spare": receive(BLOCK, 300, extra=32) + receive(BLOCK, 513) +
                                peek(2000) + simple(READ_ALL),
    "receive_full_blocks": receive(BLOCK, BLOCK) + receive(BLOCK, BLOCK) + receive(0, 0) +
                           receive(BLOCK + 16, 5) + skip(BLOCK + 1) + simple(READ_ALL),
    "read_buffer_limit": receive_limited(1000, BLOCK) + receive_limited(1000, BLOCK) +
                         read(10) + receive_limited(1000, BLOCK) + simple(READ_ALL),
    "zero_copy_parse": append_pattern(BLOCK + 1000) + append_pattern(2000) +
                       parse_in_place(1000) + append_bytes(b"tail") + parse_in_place(1),
    "gathered_send_partial": append_pattern(BLOCK) + append_pattern(BLOCK + 100) +
                             append_pattern(BLOCK) + append_bytes(b"end\n") +
                             send(2, 4 * BLOCK, BLOCK + 7) + send(64, 4 * BLOCK, 4 * BLOCK) +
                             read_line(0, side=1) + simple(READ_ALL, side=1),
    "send_no_iov": append_bytes(b"abc") + send(0, 100, 100) + send(1, 0, 100),
    "skip_beyond_size": append_bytes(b"abc") + skip(BLOCK) + append_bytes(b"def") + read(3),
    "budget_reached": b"".join(append_pattern(BLOCK + 1000) for _ in range(5)) +
                      receive(BLOCK, BLOCK) + find(ord("\n"), 3 * BLOCK) + skip(3 * BLOCK) +
                      send(64, 4 * BLOCK, 4 * BLOCK) + simple(CLEAR),
    "two_buffers_echo": append_bytes(b"ping\n") + send(64, 100, 100) + read_line(0, side=1) +
                        append_bytes(b"pong\n", side=1) + send(64, 100, 2, side=1) +
                        send(64, 100, 100, side=1) + simple(READ_ALL),
    # Five 600-byte blocks of 530-byte runs: 'g' first occurs at 2650, in the fifth block.
    "find_in_fifth_block": b"".join(receive(BLOCK, 600, seed=2) for _ in range(5)) +
                           find(ord("g"), 5 * 600) + find(ord("g"), 2650) + read_line(0),
    "many_blocks": b"".join(receive(BLOCK, 600 + i) for i in range(6)) + peek(5000) +
                   peek_buffered(100) + send(3, 10000, 9000) + simple(READ_ALL),
    # Long reads over spare blocks: the first leaves blocks in the cache for the next ones.
    "receive_long": receive_long(4 * BLOCK, 3 * BLOCK + 100, extra=20) + simple(READ_ALL) +
                    receive_long(4 * BLOCK, 2 * BLOCK + 7) + receive_long(3 * BLOCK, 300) +
                    append_bytes(b"x" * 10) + receive_long(BLOCK + 5, BLOCK + 5) +
                    peek(5000) + send(64, 4 * BLOCK, 4 * BLOCK) + simple(READ_ALL, side=1),
    # Borrowed blocks between copied ones, sent in parts, read across, cleared, and left in the
    # buffer at the end (released with it); one too short to borrow.
    "borrowed_blocks": append_bytes(b"head") + append_borrowed(BLOCK + 3, seed=1) +
                       append_bytes(b"mid") + append_borrowed(20000, seed=2) +
                       append_borrowed(100, seed=3) +
                       send(3, 4 * BLOCK, BLOCK) + peek_buffered(7) + read(BLOCK) +
                       append_borrowed(2 * BLOCK, seed=4, side=1) + simple(CLEAR, side=1) +
                       append_borrowed(BLOCK, seed=5, side=1) + simple(READ_ALL) +
                       append_borrowed(30000, seed=6),
}


# --- fd_passing_fuzzer: an opcode byte, then little-endian arguments (see the source) --------
(FD_WRITE, FD_WRITE_WITH_FDS, FD_SEND_BUFFER, FD_CAP_SENDS, FD_WRITE_LIMIT, FD_RUN, FD_READ,
 FD_READ_LIMIT, FD_FLUSH) = range(9)


def fd_write(n):
    return bytes([FD_WRITE]) + u(n - 1, 2)


def fd_write_fds(n, picks):
    return bytes([FD_WRITE_WITH_FDS]) + u(n, 2) + bytes([len(picks)]) + bytes(picks)


def fd_write_254_fds(n):
    return bytes([FD_WRITE_WITH_FDS]) + u(n, 2) + bytes([255])


def fd_send_buffer(n):
    return bytes([FD_SEND_BUFFER]) + u(n - 1, 2)


def fd_cap_sends(max_bytes, times):
    return bytes([FD_CAP_SENDS, max_bytes - 1, times - 1])


def fd_write_limit(n):
    return bytes([FD_WRITE_LIMIT]) + u(n, 2)


def fd_read(n):
    return bytes([FD_READ]) + u(n - 1, 2)


def fd_read_limit(n):
    return bytes([FD_READ_LIMIT]) + u(n, 2)


FD_RUN_OP, FD_FLUSH_OP = bytes([FD_RUN]), bytes([FD_FLUSH])

FD_PASSING_SEEDS = {
    "one_fd": fd_write_fds(10, [0]) + FD_RUN_OP + fd_read(100),
    "coalesced_writes_split_at_fds": fd_write(5) + fd_write_fds(5, [0, 1]) + fd_write(5) +
                                     fd_write_fds(1, [2]) + fd_write_fds(3, [3, 3, 0, 1]) +
                                     FD_RUN_OP + fd_read(4096),
    "tiny_send_buffer": fd_send_buffer(16) + fd_write(300) + fd_write_fds(50, [1]) +
                        fd_write(100) + fd_write_fds(7, [2, 3]) +
                        (FD_RUN_OP + fd_read(13)) * 40,
    "capped_sends": fd_cap_sends(1, 4) + fd_write(3) + fd_write_fds(4, [0]) + FD_FLUSH_OP +
                    FD_FLUSH_OP + FD_RUN_OP + fd_read(2) + FD_RUN_OP + fd_read(100),
    "write_limit_all_or_nothing": fd_write_limit(8) + fd_write(6) + fd_write_fds(5, [0]) +
                                  fd_write_fds(5, [1]) + FD_RUN_OP + fd_read(100) +
                                  fd_write_fds(9, [2]) + FD_RUN_OP + fd_read(100),
    "refusals": fd_write_fds(0, [0]) + fd_write_254_fds(5) + fd_write_fds(3, []) + FD_RUN_OP +
                fd_read(10),
    "read_limit_keeps_fds_in_the_kernel": fd_read_limit(3) + fd_write_fds(2, [0]) +
                                          fd_write_fds(2, [1]) + fd_write_fds(2, [2]) +
                                          FD_RUN_OP + fd_read(1) + FD_RUN_OP + fd_read(1) +
                                          FD_RUN_OP + fd_read(10),
    "unread_at_the_end": fd_write_fds(100, [0, 1, 2, 3]) + FD_RUN_OP,
}


# --- socket_model_fuzzer: an opcode byte, a socket byte for socket operations, then
# little-endian arguments (see the source). Socket 0 is the first client; once the loop has run,
# socket 1 is the connection the server accepted for it.
(SM_NEW_CLIENT, SM_CONNECT, SM_WRITE, SM_WRITE_WITH_FDS, SM_READ, SM_READ_ALL, SM_READ_LINE,
 SM_PEEK, SM_SKIP, SM_PEEK_BUFFERED, SM_TAKE_FDS, SM_FLUSH, SM_DISCONNECT, SM_CLOSE, SM_ABORT,
 SM_SHUTDOWN_WRITE, SM_DESTROY, SM_READ_LIMIT, SM_WRITE_LIMIT, SM_WAIT, SM_ARM, SM_SEND_FAULT,
 SM_RECV_FAULT, SM_CAP_SENDS, SM_SEND_BUFFER, SM_RESET, SM_RUN, SM_ADVANCE, SM_CONNECT_FAULT, SM_BACKLOG_FULL, SM_FD_LIMIT, SM_SERVER, SM_ACCEPT) = range(33)
# Arm: signals and actions.
(ON_READY_READ, ON_BYTES_WRITTEN, ON_DISCONNECTED, ON_STATE_CHANGED, ON_ERROR, ON_CONNECTED,
 ON_READ_CHANNEL_FINISHED, ON_ABOUT_TO_CLOSE) = range(8)
(DO_ABORT, DO_CLOSE, DO_DISCONNECT, DO_DESTROY, DO_CONNECT, DO_SHUTDOWN_WRITE, DO_READ_ALL,
 DO_WRITE, DO_FLUSH) = range(9)
# Timeouts of sm_connect; the errnos of the fault operations, by index.
T0, T5, T50, T30000 = range(4)
SEND_EAGAIN, SEND_EINTR, SEND_EPIPE, SEND_ECONNRESET, SEND_ENOBUFS = range(5)
RECV_EAGAIN, RECV_EINTR, RECV_ECONNRESET, RECV_EPIPE = range(4)
CONNECT_ECONNREFUSED, CONNECT_EAGAIN, CONNECT_ENOENT, CONNECT_EACCES, CONNECT_EINTR, SOCKET_EMFILE = \
    range(6)
WAIT_CONNECTED, WAIT_READY_READ, WAIT_BYTES_WRITTEN, WAIT_DISCONNECTED = range(4)


def sm(code, *args):
    return bytes([code]) + b"".join(args)


def sm_socket(code, socket, *args):
    return bytes([code, socket]) + b"".join(args)


def sm_connect(socket=0, missing=False, timeout=T30000):
    return sm_socket(SM_CONNECT, socket, bytes([1 if missing else 0, timeout]))


def sm_write(socket, n):
    return sm_socket(SM_WRITE, socket, u(n - 1, 2))


def sm_write_shared(socket, k):
    """WriteShared of 16 KiB + 64 * k bytes (k = 1..64): sizes above 1,984 mean that."""
    return sm_write(socket, 1984 + k)


def sm_write_fds(socket, n, picks):
    return sm_socket(SM_WRITE_WITH_FDS, socket, bytes([n, len(picks)]) + bytes(picks))


def sm_sized(code, socket, n):
    return sm_socket(code, socket, u(n, 2))


def sm_simple(code, socket):
    return sm_socket(code, socket)


def sm_wait(socket, which, msecs):
    return sm_socket(SM_WAIT, socket, bytes([which, msecs]))


def sm_arm(socket, signal, action, arg=0):
    return sm_socket(SM_ARM, socket, bytes([signal, action, arg]))


def sm_fault(code, socket, pick, times=0):
    extra = bytes([times]) if code == SM_CAP_SENDS else b""
    return sm_socket(code, socket, bytes([pick]) + extra)


RUN = sm(SM_RUN)
CONNECTED = sm_connect() + RUN  # Socket 0 connected, socket 1 accepted.


def advance(ms):
    return sm(SM_ADVANCE, bytes([ms]))


SOCKET_MODEL_SEEDS = {
    "echo": CONNECTED + sm_write(0, 100) + RUN + sm_sized(SM_READ, 1, 4095) + sm_write(1, 50) +
            RUN + sm_simple(SM_READ_ALL, 0),
    "lines_peek_skip": CONNECTED + sm_write(0, 2000) + RUN + sm_sized(SM_READ_LINE, 1, 0) +
                       sm_sized(SM_READ_LINE, 1, 5) + sm_sized(SM_PEEK, 1, 300) +
                       sm_sized(SM_SKIP, 1, 100) + sm_sized(SM_PEEK_BUFFERED, 1, 200) +
                       sm_simple(SM_READ_ALL, 1),
    "graceful_disconnect_with_writes_pending":
        CONNECTED + sm_fault(SM_SEND_BUFFER, 0, 2) + sm_write(0, 2048) + sm_write(0, 2048) +
        sm_simple(SM_DISCONNECT, 0) + (RUN + sm_sized(SM_READ, 1, 700)) * 8,
    "close_with_writes_pending": CONNECTED + sm_fault(SM_CAP_SENDS, 0, 9, 3) + sm_write(0, 1500) +
                                 sm_simple(SM_CLOSE, 0) + RUN + RUN + sm_simple(SM_READ_ALL, 1),
    "half_close": CONNECTED + sm_write(0, 300) + sm_simple(SM_SHUTDOWN_WRITE, 0) + RUN +
                  sm_write(1, 400) + sm_simple(SM_READ_ALL, 1) + RUN + sm_write(1, 10) +
                  sm_simple(SM_READ_ALL, 0) + sm_write(0, 5),
    "half_close_peer_writes_pending": CONNECTED + sm_fault(SM_SEND_BUFFER, 1, 0) +
                                      sm_write(1, 2000) + sm_simple(SM_SHUTDOWN_WRITE, 0) +
                                      (RUN + sm_sized(SM_READ, 0, 100)) * 6,
    # Shared (borrowed) writes between copied ones, sent in parts; one dropped by Abort, one
    # left in the buffer of a destroyed socket.
    "shared_writes": CONNECTED + sm_fault(SM_CAP_SENDS, 0, 9, 3) + sm_write_shared(0, 10) +
                     sm_write(0, 100) + sm_write_shared(0, 64) + RUN +
                     sm_sized(SM_READ, 1, 4095) * 3 + RUN + RUN + sm_simple(SM_READ_ALL, 1) +
                     sm_write_shared(1, 1) + sm_simple(SM_ABORT, 1) + RUN +
                     sm_fault(SM_SEND_BUFFER, 0, 2) + sm_write_shared(0, 5) + RUN +
                     sm_simple(SM_DESTROY, 0) + RUN,
    "peer_abort_while_writing": CONNECTED + sm_write(0, 2000) + sm_simple(SM_ABORT, 1) + RUN +
                                sm_write(0, 10) + RUN,
    "peer_destroyed_with_data_unread": CONNECTED + sm_write(0, 500) + RUN +
                                       sm_simple(SM_DESTROY, 1) + sm_write(0, 500) + RUN +
                                       sm_simple(SM_READ_ALL, 0),
    "reset_connection": CONNECTED + sm_write(0, 100) + sm_write(1, 100) + RUN +
                        sm_simple(SM_RESET, 0) + sm_write(1, 10) + RUN +
                        sm_simple(SM_READ_ALL, 0) + sm_simple(SM_READ_ALL, 1),
    "send_faults": CONNECTED + sm_fault(SM_SEND_FAULT, 0, SEND_EAGAIN) + sm_write(0, 10) +
                   sm_simple(SM_FLUSH, 0) + sm_fault(SM_SEND_FAULT, 0, SEND_EINTR) + RUN +
                   sm_write(0, 20) + sm_fault(SM_SEND_FAULT, 0, SEND_EPIPE) + RUN +
                   sm_simple(SM_READ_ALL, 1),
    "send_econnreset_delivers_queued_bytes": CONNECTED + sm_write(1, 300) + RUN +
                                             sm_write(1, 100) + sm_write(0, 5) +
                                             sm_fault(SM_SEND_FAULT, 0, SEND_ECONNRESET) + RUN,
    "send_enobufs": CONNECTED + sm_write(0, 5) + sm_fault(SM_SEND_FAULT, 0, SEND_ENOBUFS) + RUN,
    "recv_faults": CONNECTED + sm_fault(SM_RECV_FAULT, 1, RECV_EAGAIN) + sm_write(0, 10) + RUN +
                   sm_fault(SM_RECV_FAULT, 1, RECV_EINTR) + sm_write(0, 10) + RUN +
                   sm_fault(SM_RECV_FAULT, 1, RECV_ECONNRESET) + sm_write(0, 10) + RUN,
    "connect_to_missing_name": sm_connect(missing=True) + sm_connect() + RUN,
    "connect_faults": b"".join(sm(SM_CONNECT_FAULT, bytes([f])) + sm_connect() + RUN
                               for f in range(6)) + sm_connect() + RUN,
    "connect_backlog_full_times_out": sm(SM_BACKLOG_FULL, b"\x01") + sm_connect(timeout=T50) +
                                      advance(30) + advance(30) + sm(SM_BACKLOG_FULL, b"\x00") +
                                      sm_connect(timeout=T5) + RUN,
    "connect_backlog_full_then_room": sm(SM_BACKLOG_FULL, b"\x01") + sm_connect() + advance(5) +
                                      sm(SM_BACKLOG_FULL, b"\x00") + advance(50) +
                                      sm_write(0, 10) + RUN + sm_simple(SM_READ_ALL, 1),
    "waits": sm_connect() + sm_wait(0, WAIT_CONNECTED, 5) + RUN + sm_write(1, 10) +
             sm_wait(0, WAIT_READY_READ, 10) + sm_wait(0, WAIT_READY_READ, 3) +
             sm_write(0, 1000) + sm_wait(0, WAIT_BYTES_WRITTEN, 5) +
             sm_simple(SM_DISCONNECT, 1) + sm_wait(0, WAIT_DISCONNECTED, 20),
    "fds": CONNECTED + sm_write_fds(0, 10, [0, 1]) + sm_write_fds(0, 0, [2]) + sm_write(0, 3) +
           sm_write_fds(0, 1, [2, 2, 0]) + RUN + sm_sized(SM_READ, 1, 5) +
           sm_simple(SM_TAKE_FDS, 1) + sm_simple(SM_READ_ALL, 1) + sm_write_fds(1, 5, [1]) + RUN,
    "limits": CONNECTED + sm_sized(SM_READ_LIMIT, 1, 10) + sm_sized(SM_WRITE_LIMIT, 0, 100) +
              sm_write(0, 80) + sm_write(0, 80) + RUN + sm_sized(SM_READ, 1, 4) + RUN +
              sm_write(0, 50) + sm_sized(SM_READ_LIMIT, 1, 0) + RUN + sm_simple(SM_READ_ALL, 1),
    "destroy_in_ready_read": CONNECTED + sm_arm(1, ON_READY_READ, DO_DESTROY) + sm_write(0, 10) +
                             RUN + sm_write(0, 10) + RUN,
    "close_abort_in_ready_read": CONNECTED + sm_arm(1, ON_READY_READ, DO_CLOSE) +
                                 sm_arm(0, ON_READY_READ, DO_ABORT) + sm_write(0, 10) + RUN +
                                 sm_write(1, 10) + RUN,
    "reconnect_in_ready_read": CONNECTED + sm_arm(0, ON_READY_READ, DO_CONNECT) + sm_write(1, 10) +
                               RUN + RUN + sm_write(0, 10) + RUN,
    "reconnect_in_disconnected": CONNECTED + sm_arm(0, ON_DISCONNECTED, DO_CONNECT) +
                                 sm_simple(SM_ABORT, 1) + RUN + RUN + sm_write(0, 7) + RUN,
    "slots_in_bytes_written": CONNECTED + sm_arm(0, ON_BYTES_WRITTEN, DO_FLUSH) +
                              sm_fault(SM_CAP_SENDS, 0, 3, 2) + sm_write(0, 100) + RUN +
                              sm_arm(0, ON_BYTES_WRITTEN, DO_DISCONNECT) + sm_write(0, 50) + RUN,
    "write_in_state_changed": CONNECTED + sm_arm(0, ON_STATE_CHANGED, DO_WRITE, 40) +
                              sm_simple(SM_DISCONNECT, 0) + RUN + sm_simple(SM_READ_ALL, 1),
    "write_in_peer_closed_error": CONNECTED + sm_arm(0, ON_ERROR, DO_WRITE, 9) +
                                  sm_simple(SM_ABORT, 1) + RUN,
    "flush_in_closing": CONNECTED + sm_arm(0, ON_STATE_CHANGED, DO_FLUSH) + sm_write(0, 30) +
                        sm_simple(SM_CLOSE, 0) + RUN + sm_simple(SM_READ_ALL, 1),
    "shutdown_in_connected": sm_arm(0, ON_CONNECTED, DO_SHUTDOWN_WRITE) + CONNECTED +
                             sm_write(1, 10) + RUN,
    "server_restart_with_pending": sm(SM_NEW_CLIENT) + sm(SM_NEW_CLIENT) + sm(SM_NEW_CLIENT) +
                                   CONNECTED + sm_connect(1) + sm_connect(2) + sm_connect(3) +
                                   sm_write(3, 10) + RUN + sm(SM_SERVER) + RUN + sm(SM_SERVER) +
                                   sm_connect(3) + RUN + sm(SM_ACCEPT),
    "path_server": sm(SM_SERVER) + sm(SM_SERVER) + CONNECTED + sm_write(0, 20) + sm_write(1, 7) +
                   RUN + sm_simple(SM_READ_ALL, 1) + sm_simple(SM_READ_ALL, 0) + sm(SM_SERVER) +
                   sm(SM_NEW_CLIENT) + sm_connect(2) + RUN + sm(SM_SERVER) + sm_connect(2) + RUN,
    "fd_limit": CONNECTED + sm(SM_FD_LIMIT, b"\x01") + sm_write_fds(0, 4, [0, 1]) + RUN +
                sm(SM_NEW_CLIENT) + sm_connect(2) + sm(SM_FD_LIMIT, b"\x00") + RUN,
}


# --- loop_model_fuzzer: a loop byte (0 FakeEventLoop, 1 LibeventLoop), then opcodes with their
# slot and delay bytes; every callback reads an action count (0-3), then that many operations.
(LM_CREATE_TIMER, LM_START, LM_START_REPEATING, LM_STOP, LM_DESTROY_TIMER, LM_POST,
 LM_POST_DELAYED, LM_CREATE_TASK, LM_SCHEDULE, LM_CANCEL, LM_DESTROY_TASK, LM_ADVANCE,
 LM_RUN_UNTIL_IDLE, LM_FAST_FORWARD, LM_QUIT_THEN_RUN, LM_RUN_UNTIL_QUIT_TASK, LM_WATCH,
 LM_SET_EVENTS, LM_DESTROY_WATCHER, LM_SET_READABLE, LM_CLEAR_READABLE, LM_WATCH_SIGNAL,
 LM_DESTROY_SIGNAL_WATCHER, LM_RAISE) = range(24)
LM_NONE, LM_READ, LM_WRITE, LM_BOTH = range(4)
LM_MAX_DELAY, LM_NEGATIVE = 255, 240  # Duration::max(), and -1 ms.


def lm(code, *args):
    return bytes([code, *args])


def lm_actions(*operations):
    """What a callback reads: the count of its operations, then the operations."""
    return bytes([len(operations)]) + b"".join(operations)


QUIET = lm_actions()  # A callback that does nothing more.
LOOP_MODEL_SEEDS = {
    "ties_fire_in_start_order": lm(LM_CREATE_TIMER, 0) + lm(LM_CREATE_TIMER, 1) +
                                lm(LM_START, 1, 10) + lm(LM_START, 0, 10) +
                                lm(LM_POST_DELAYED, 10) + lm(LM_FAST_FORWARD, 20) + QUIET * 3,
    "repeating_catches_up_once": lm(LM_CREATE_TIMER, 2) + lm(LM_START_REPEATING, 2, 10) +
                                 lm(LM_ADVANCE, 35) + lm(LM_RUN_UNTIL_IDLE) + QUIET +
                                 lm(LM_FAST_FORWARD, 10) + QUIET,
    "destroy_self_in_callback": lm(LM_CREATE_TIMER, 0) + lm(LM_START_REPEATING, 0, 5) +
                                lm(LM_FAST_FORWARD, 5) + lm_actions(lm(LM_DESTROY_TIMER, 0)) +
                                lm(LM_FAST_FORWARD, 20),
    "restart_in_callback": lm(LM_CREATE_TIMER, 0) + lm(LM_START, 0, 0) + lm(LM_RUN_UNTIL_IDLE) +
                           lm_actions(lm(LM_START, 0, 0), lm(LM_STOP, 1)) +
                           lm(LM_RUN_UNTIL_IDLE) + QUIET,
    "posts_and_tasks": lm(LM_POST) + lm(LM_CREATE_TASK, 0) + lm(LM_SCHEDULE, 0) +
                       lm(LM_CREATE_TASK, 1) + lm(LM_SCHEDULE, 1) + lm(LM_POST) +
                       lm(LM_RUN_UNTIL_IDLE) + lm_actions(lm(LM_POST)) + QUIET +
                       lm_actions(lm(LM_SCHEDULE, 0), lm(LM_SCHEDULE, 1)) + QUIET + QUIET + QUIET,
    "cancel_and_destroy_in_task": lm(LM_CREATE_TASK, 0) + lm(LM_CREATE_TASK, 1) +
                                  lm(LM_CREATE_TASK, 2) + lm(LM_SCHEDULE, 0) + lm(LM_SCHEDULE, 1) +
                                  lm(LM_SCHEDULE, 2) + lm(LM_RUN_UNTIL_IDLE) +
                                  lm_actions(lm(LM_CANCEL, 1), lm(LM_DESTROY_TASK, 2),
                                             lm(LM_SCHEDULE, 0)) + QUIET,
    "post_then_schedule_in_task": lm(LM_CREATE_TASK, 0) + lm(LM_CREATE_TASK, 1) +
                                  lm(LM_SCHEDULE, 0) + lm(LM_RUN_UNTIL_IDLE) +
                                  lm_actions(lm(LM_POST), lm(LM_SCHEDULE, 1)) + QUIET + QUIET,
    "nested_runs": lm(LM_POST) + lm(LM_RUN_UNTIL_IDLE) +
                   lm_actions(lm(LM_RUN_UNTIL_IDLE), lm(LM_QUIT_THEN_RUN), lm(LM_POST)) + QUIET,
    "quit": lm(LM_QUIT_THEN_RUN) + lm(LM_POST) + lm(LM_RUN_UNTIL_QUIT_TASK) + QUIET + QUIET,
    "delayed_and_advance_in_callback": lm(LM_POST_DELAYED, 5) + lm(LM_CREATE_TIMER, 3) +
                                       lm(LM_START, 3, 7) + lm(LM_FAST_FORWARD, 10) +
                                       lm_actions(lm(LM_ADVANCE, 20), lm(LM_POST_DELAYED, 0)) +
                                       QUIET + QUIET,
    "huge_and_negative_delays": lm(LM_CREATE_TIMER, 0) + lm(LM_START, 0, LM_MAX_DELAY) +
                                lm(LM_CREATE_TIMER, 1) + lm(LM_START_REPEATING, 1, LM_NEGATIVE) +
                                lm(LM_START, 1, LM_NEGATIVE) + lm(LM_POST_DELAYED, LM_MAX_DELAY) +
                                lm(LM_RUN_UNTIL_IDLE) + QUIET + lm(LM_FAST_FORWARD, 49),
    "watchers_level_triggered": lm(LM_WATCH, 0, 0, LM_READ) + lm(LM_WATCH, 1, 0, LM_WRITE) +
                                lm(LM_WATCH, 2, 1, LM_BOTH) + lm(LM_SET_READABLE, 0) +
                                lm(LM_RUN_UNTIL_IDLE) + QUIET * 3 + lm(LM_CLEAR_READABLE, 0) +
                                lm(LM_RUN_UNTIL_IDLE) + QUIET * 2,
    "watcher_destroys_another_and_itself": lm(LM_WATCH, 0, 0, LM_WRITE) +
                                           lm(LM_WATCH, 1, 0, LM_WRITE) + lm(LM_RUN_UNTIL_IDLE) +
                                           lm_actions(lm(LM_DESTROY_WATCHER, 1),
                                                      lm(LM_DESTROY_WATCHER, 0)) +
                                           lm(LM_RUN_UNTIL_IDLE),
    "watcher_pauses_in_callback": lm(LM_WATCH, 0, 1, LM_BOTH) + lm(LM_SET_READABLE, 1) +
                                  lm(LM_POST) + lm(LM_RUN_UNTIL_IDLE) +
                                  lm_actions(lm(LM_SET_EVENTS, 0, LM_NONE)) + QUIET +
                                  lm(LM_SET_EVENTS, 0, LM_READ) + lm(LM_RUN_UNTIL_QUIT_TASK) +
                                  QUIET + QUIET,
    "signals": lm(LM_WATCH_SIGNAL, 0, 0) + lm(LM_WATCH_SIGNAL, 1, 0) + lm(LM_WATCH_SIGNAL, 2, 1) +
               lm(LM_RAISE, 0) + lm(LM_RAISE, 0) + lm(LM_RUN_UNTIL_IDLE) + QUIET * 4 +
               lm(LM_RAISE, 1) + lm(LM_RUN_UNTIL_IDLE) + QUIET + lm(LM_RUN_UNTIL_IDLE),
    "signal_watchers_destroyed_in_callback": lm(LM_WATCH_SIGNAL, 0, 1) +
                                             lm(LM_WATCH_SIGNAL, 1, 1) + lm(LM_RAISE, 1) +
                                             lm(LM_RUN_UNTIL_IDLE) +
                                             lm_actions(lm(LM_DESTROY_SIGNAL_WATCHER, 1),
                                                        lm(LM_DESTROY_SIGNAL_WATCHER, 0)) +
                                             lm(LM_RAISE, 1) + lm(LM_RUN_UNTIL_IDLE) +
                                             lm(LM_WATCH_SIGNAL, 2, 1),
    "handles_outlive_loop": lm(LM_WATCH, 3, 1, LM_READ) + lm(LM_CREATE_TIMER, 0) +
                            lm(LM_START_REPEATING, 0, 3) +
                            lm(LM_CREATE_TASK, 0) + lm(LM_SCHEDULE, 0) + lm(LM_POST) +
                            lm(LM_POST_DELAYED, 9),
}


# --- signal_fuzzer: opcodes with their Connection slot bytes; every slot call reads an action
# count (0-3), then that many operations.
(SG_CONNECT, SG_CONNECT_EMPTY, SG_DISCONNECT, SG_COPY, SG_DROP, SG_DISCONNECT_ALL, SG_EMIT,
 SG_DESTROY, SG_RECREATE) = range(9)


def sg(code, *args):
    return bytes([code, *args])


def sg_emit(value):
    return sg(SG_EMIT, len(value)) + value


def sg_actions(*operations):
    """What a slot call reads: the count of its operations, then the operations."""
    return bytes([len(operations)]) + b"".join(operations)


SG_QUIET = sg_actions()
SIGNAL_SEEDS = {
    "emit_in_order": sg(SG_CONNECT, 0) + sg(SG_CONNECT, 1) + sg(SG_CONNECT, 2) +
                     sg_emit(b"abc") + SG_QUIET * 3 + sg(SG_DISCONNECT, 1) + sg_emit(b"") +
                     SG_QUIET * 2,
    "disconnect_later_slot_in_slot": sg(SG_CONNECT, 0) + sg(SG_CONNECT, 1) + sg_emit(b"x") +
                                     sg_actions(sg(SG_DISCONNECT, 1)),
    "disconnect_self_and_connect_in_slot": sg(SG_CONNECT, 0) + sg(SG_CONNECT, 1) +
                                           sg_emit(b"y") +
                                           sg_actions(sg(SG_DISCONNECT, 0), sg(SG_CONNECT, 2)) +
                                           SG_QUIET + sg_emit(b"z") + SG_QUIET * 2,
    "nested_emit": sg(SG_CONNECT, 0) + sg(SG_CONNECT, 1) + sg_emit(b"outer") +
                   sg_actions(sg_emit(b"inner")) + SG_QUIET + SG_QUIET + SG_QUIET,
    "destroy_in_slot": sg(SG_CONNECT, 0) + sg(SG_CONNECT, 1) + sg_emit(b"d") +
                       sg_actions(sg(SG_DESTROY)) + sg(SG_DISCONNECT, 1),
    "recreate_and_emit_in_slot": sg(SG_CONNECT, 0) + sg(SG_CONNECT, 1) + sg_emit(b"r") +
                                 sg_actions(sg(SG_RECREATE), sg(SG_CONNECT, 2), sg_emit(b"n")) +
                                 SG_QUIET + sg_emit(b"after") + SG_QUIET,
    "disconnect_all_in_nested_emit": sg(SG_CONNECT, 0) + sg(SG_CONNECT, 1) + sg(SG_CONNECT, 2) +
                                     sg_emit(b"a") + sg_actions(sg_emit(b"b")) +
                                     sg_actions(sg(SG_DISCONNECT_ALL)) + sg(SG_CONNECT, 3) +
                                     sg_emit(b"c") + SG_QUIET,
    "copies_and_drops": sg(SG_CONNECT, 0) + sg(SG_COPY, 0, 5) + sg(SG_DROP, 0) +
                        sg(SG_CONNECT_EMPTY, 1) + sg(SG_DISCONNECT, 5) + sg(SG_CONNECT, 2) +
                        sg(SG_DESTROY) + sg(SG_DISCONNECT, 2) + sg(SG_COPY, 2, 3),
}


def main():
    for name, data in SERVER_NAME_SEEDS.items():
        write("server_name_fuzzer", name, data)
    for name, data in BYTE_BUFFER_SEEDS.items():
        write("byte_buffer_fuzzer", name, data)
    for name, data in FD_PASSING_SEEDS.items():
        write("fd_passing_fuzzer", name, data)
    for name, data in SOCKET_MODEL_SEEDS.items():
        write("socket_model_fuzzer", name, data)
    for name, data in LOOP_MODEL_SEEDS.items():
        for loop, prefix in (("fake", b"\x00"), ("libevent", b"\x01")):
            write("loop_model_fuzzer", f"{name}_{loop}", prefix + data)
    for name, data in SIGNAL_SEEDS.items():
        write("signal_fuzzer", name, data)
    print(f"wrote {len(SERVER_NAME_SEEDS)} server_name_fuzzer, "
          f"{len(BYTE_BUFFER_SEEDS)} byte_buffer_fuzzer, "
          f"{len(FD_PASSING_SEEDS)} fd_passing_fuzzer, "
          f"{len(SOCKET_MODEL_SEEDS)} socket_model_fuzzer, "
          f"{2 * len(LOOP_MODEL_SEEDS)} loop_model_fuzzer and "
          f"{len(SIGNAL_SEEDS)} signal_fuzzer seeds")


if __name__ == "__main__":
    main()
