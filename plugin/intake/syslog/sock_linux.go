package syslog

import (
	"syscall"
	"unsafe"
)

// unacked returns the bytes written to the socket that the peer's TCP stack has not yet
// acknowledged (SIOCOUTQ: sent and unacknowledged, plus not yet sent).
func unacked(raw syscall.RawConn) (int, bool) {
	if raw == nil {
		return 0, false
	}
	var n int32
	var errno syscall.Errno
	err := raw.Control(func(fd uintptr) {
		_, _, errno = syscall.Syscall(syscall.SYS_IOCTL, fd, syscall.TIOCOUTQ, uintptr(unsafe.Pointer(&n)))
	})
	if err != nil || errno != 0 {
		return 0, false
	}
	return int(n), true
}

// peer tells whether the receiver still holds the connection open, from the socket's
// TCP state (TCP_INFO), without reading: a TLS receiver's records waiting in the
// receive queue (a session ticket, a close_notify) do not hide a reset.
func peer(raw syscall.RawConn) peerState {
	if raw == nil {
		return peerReset
	}
	var state [1]byte // tcpi_state, the first byte of struct tcp_info
	size := uint32(len(state))
	var errno syscall.Errno
	err := raw.Control(func(fd uintptr) {
		_, _, errno = syscall.Syscall6(syscall.SYS_GETSOCKOPT, fd, syscall.IPPROTO_TCP, syscall.TCP_INFO,
			uintptr(unsafe.Pointer(&state[0])), uintptr(unsafe.Pointer(&size)), 0)
	})
	if err != nil || errno != 0 || size < 1 {
		return peerReset
	}
	switch state[0] {
	case tcpEstablished:
		return peerAlive
	case tcpCloseWait:
		return peerClosed // the receiver sent FIN: it ended cleanly
	}
	return peerReset // CLOSE after a reset, or any state of a connection going away
}

// Linux TCP states (include/net/tcp_states.h).
const (
	tcpEstablished = 1
	tcpCloseWait   = 8
)
