package syslog

import (
	"errors"
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

// peer tells whether the receiver still holds the connection open, without reading:
// a syslog receiver never sends (a TLS one may send handshake records, which are left
// for the TLS layer), so readable means closed, reset, or records for TLS.
func peer(raw syscall.RawConn) peerState {
	if raw == nil {
		return peerReset
	}
	var b [1]byte
	st := peerAlive
	err := raw.Control(func(fd uintptr) {
		n, _, err := syscall.Recvfrom(int(fd), b[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		switch {
		case err == nil && n == 0:
			st = peerClosed
		case err == nil:
		case errors.Is(err, syscall.EAGAIN), errors.Is(err, syscall.EINTR):
		default:
			st = peerReset
		}
	})
	if err != nil {
		return peerReset
	}
	return st
}
