//go:build !linux

package syslog

import "syscall"

// unacked is unknown off Linux: Deliver cannot wait for the receiver's acknowledgements
// (see the package doc).
func unacked(syscall.RawConn) (int, bool) { return 0, false }

// peer cannot peek off Linux without reading; a dead connection shows at the next write.
func peer(raw syscall.RawConn) peerState {
	if raw == nil {
		return peerReset
	}
	return peerAlive
}
