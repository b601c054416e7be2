package harness

import (
	"io"
	"net"
	"sync"
)

// Link is a TCP relay between the gateways and one storage node, standing
// for the network between them so that a test can fail it: the node
// advertises the link's address, and the link forwards to the node's port.
// Faults are at the connection level, as a flaky network or a restarted
// peer shows them to gRPC: established connections reset, new ones
// refused.
type Link struct {
	ln     net.Listener
	target string

	mu     sync.Mutex
	conns  map[net.Conn]struct{}
	refuse int // the next this many connections are reset on accept
	closed bool
}

// newLink listens on a free loopback port and relays to target.
func newLink(target string) (*Link, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	l := &Link{ln: ln, target: target, conns: map[net.Conn]struct{}{}}
	go l.accept()
	return l, nil
}

// Addr is the address clients dial.
func (l *Link) Addr() string { return l.ln.Addr().String() }

// Cut resets every connection through the link and resets the next n new
// ones as soon as they are accepted: a peer that dialled before the cut
// finds its connection gone, and its next n attempts to reconnect fail.
func (l *Link) Cut(n int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.refuse = n
	for c := range l.conns {
		reset(c)
		delete(l.conns, c)
	}
}

// Refused is how many of the connections Cut asked to refuse are still
// to come.
func (l *Link) Refused() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.refuse
}

func (l *Link) close() error {
	l.mu.Lock()
	l.closed = true
	for c := range l.conns {
		c.Close()
	}
	l.mu.Unlock()
	return l.ln.Close()
}

func (l *Link) accept() {
	for {
		c, err := l.ln.Accept()
		if err != nil {
			return
		}
		l.mu.Lock()
		if l.closed || l.refuse > 0 {
			if l.refuse > 0 {
				l.refuse--
			}
			l.mu.Unlock()
			reset(c)
			continue
		}
		l.mu.Unlock()
		go l.relay(c)
	}
}

func (l *Link) relay(client net.Conn) {
	server, err := net.Dial("tcp", l.target)
	if err != nil {
		reset(client)
		return
	}
	if !l.track(client, server) {
		reset(client)
		server.Close()
		return
	}
	done := make(chan struct{}, 2)
	pipe := func(dst, src net.Conn) {
		_, _ = io.Copy(dst, src)
		// Half-close so the other direction can drain; a reset by Cut has
		// already closed both.
		if tc, ok := dst.(*net.TCPConn); ok {
			_ = tc.CloseWrite()
		}
		done <- struct{}{}
	}
	go pipe(server, client)
	go pipe(client, server)
	<-done
	<-done
	l.untrack(client, server)
	client.Close()
	server.Close()
}

func (l *Link) track(pair ...net.Conn) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return false
	}
	for _, c := range pair {
		l.conns[c] = struct{}{}
	}
	return true
}

func (l *Link) untrack(pair ...net.Conn) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, c := range pair {
		delete(l.conns, c)
	}
}

// reset closes c with a TCP RST instead of a FIN, as a peer that lost its
// state does.
func reset(c net.Conn) {
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	c.Close()
}
