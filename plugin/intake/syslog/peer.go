package syslog

// peerState is what a look at the socket tells of the receiver.
type peerState int

const (
	peerAlive  peerState = iota // open (or a TLS record waiting to be read)
	peerClosed                  // ended cleanly (FIN): it read what it was sent
	peerReset                   // reset, or a socket error
)

func (s peerState) String() string {
	switch s {
	case peerAlive:
		return "open"
	case peerClosed:
		return "closed"
	}
	return "reset"
}
