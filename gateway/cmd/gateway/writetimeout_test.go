package main

import (
	"errors"
	"io"
	"net"
	"os"
	"testing"
	"time"
)

// TestWriteTimeoutIsPerWrite writes more than the timeout's worth of time
// in small steps the client keeps taking, then stops reading: only the
// write the client does not take fails.
func TestWriteTimeoutIsPerWrite(t *testing.T) {
	raw, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln := writeTimeoutListener{Listener: raw, timeout: 200 * time.Millisecond}
	defer ln.Close()
	client, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	server, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer server.Close()
	// Small socket buffers, so that the kernel wakes a blocked writer as
	// soon as the reader takes a step, not after megabytes.
	client.(*net.TCPConn).SetReadBuffer(32 << 10)
	server.(*writeTimeoutConn).Conn.(*net.TCPConn).SetWriteBuffer(32 << 10)

	buf := make([]byte, 1024)
	start := time.Now()
	for time.Since(start) < 600*time.Millisecond {
		if _, err := server.Write(buf); err != nil {
			t.Fatalf("write %s in, with the client reading: %v", time.Since(start), err)
		}
		if _, err := io.ReadFull(client, buf); err != nil {
			t.Fatal(err)
		}
		time.Sleep(20 * time.Millisecond)
	}

	// One write far larger than the socket buffers, taken by a client
	// slower than the timeout allows for the whole of it: each 256 KiB step
	// gets its own deadline, so it completes.
	slow := make([]byte, 2<<20)
	go func() {
		for range len(slow) / writeStep {
			time.Sleep(10 * time.Millisecond)
			if _, err := io.ReadFull(client, make([]byte, writeStep)); err != nil {
				return
			}
		}
	}()
	if n, err := server.Write(slow); err != nil || n != len(slow) {
		t.Fatalf("a large write to a steady reader = %d, %v; want all %d bytes", n, err, len(slow))
	}

	big := make([]byte, 64<<20) // more than both socket buffers hold
	done := make(chan error, 1)
	go func() { _, err := server.Write(big); done <- err }()
	select {
	case err := <-done:
		if !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("write the client does not take = %v; want a deadline error", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a write the client does not take is still blocked after 5s")
	}
}
