package harness

import (
	"net"
	"testing"
)

// Ports handed to servers must come from outside the ephemeral range, where
// outbound connections could take them between the probe and the bind, and
// must never repeat within one process.
func TestFreePortAvoidsEphemeralRangeAndRepeats(t *testing.T) {
	lo, hi := quietPortRange()
	seen := map[int]bool{}
	for range 200 {
		port, err := FreePort()
		if err != nil {
			t.Fatal(err)
		}
		if port < lo || port >= hi {
			t.Fatalf("port %d outside %d–%d", port, lo, hi-1)
		}
		if seen[port] {
			t.Fatalf("port %d handed out twice", port)
		}
		seen[port] = true
	}

	// Outbound connections draw their local ports from the ephemeral range:
	// none of them may land in the range FreePort uses.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	for range 50 {
		conn, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		local := conn.LocalAddr().(*net.TCPAddr).Port
		conn.Close()
		if local >= lo && local < hi {
			t.Fatalf("an outbound connection used port %d, inside FreePort's range %d–%d", local, lo, hi-1)
		}
	}
}
