package main

import (
	"net"
	"time"
)

// writeTimeoutListener gives every 256 KiB written on its connections its
// own deadline, server.write_timeout ahead. net/http's WriteTimeout is one
// deadline for a whole response, which a 10 GiB download would meet; this
// bounds only writes the client does not take, so a reader that stopped
// reading is cut off while a slow but steady one is not.
type writeTimeoutListener struct {
	net.Listener
	timeout time.Duration
}

func (l writeTimeoutListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &writeTimeoutConn{Conn: c, timeout: l.timeout}, nil
}

type writeTimeoutConn struct {
	net.Conn
	timeout time.Duration
}

// writeStep is how much of a write one deadline covers. A handler writes a
// whole 1 MiB block at once; without steps a client would have to take all
// of it within the timeout, which is a pace rule, not an idle one. 256 KiB
// per write_timeout (5 m by default) asks next to nothing of a client, and
// costs a quarter of the syscalls 64 KiB steps did.
const writeStep = 256 << 10

func (c *writeTimeoutConn) Write(p []byte) (int, error) {
	written := 0
	for written < len(p) {
		if err := c.Conn.SetWriteDeadline(time.Now().Add(c.timeout)); err != nil {
			return written, err
		}
		n, err := c.Conn.Write(p[written:min(len(p), written+writeStep)])
		written += n
		if err != nil {
			return written, err
		}
	}
	return written, nil
}

// CloseWrite keeps net/http's half-close after an error response (it
// lets the client read the response before the connection goes).
func (c *writeTimeoutConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}
