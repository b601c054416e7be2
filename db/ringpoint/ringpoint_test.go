package ringpoint

import "testing"

// The formula is a contract with every ring already in PostgreSQL: these
// values were registered by nodes and must never move.
func TestPointsDoNotMove(t *testing.T) {
	const id = "6f1c2d3e-4a5b-4c6d-8e7f-101112131415"
	if got, want := string(Key(id, 149)), id+"#149"; got != want {
		t.Fatalf("Key = %q; want %q", got, want)
	}
	want := []uint32{3934316128, 682472449, 2035230047}
	for i, p := range All(id, 3) {
		if p != want[i] {
			t.Errorf("point %d = %d; want %d, where it has always been", i, p, want[i])
		}
	}
	if got, want := All("7f1c6a52-3b0e-4d9a-8c1f-2e5b9d4a6c03", 3), []uint32{3053007176, 1326016987, 2263518304}; got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
		t.Errorf("All = %v; want %v", got, want)
	}
	if len(All(id, 0)) != 0 || len(All(id, -1)) != 0 {
		t.Error("All of no virtual nodes is not empty")
	}
}
