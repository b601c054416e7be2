package placement

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/cespare/xxhash/v2"
)

// digits is an identity-like hash: it drops every '#' and reads the rest as
// a decimal number, so node "2" has its vnode 1 at 21, and chunk 0 of blob
// "3" hashes to 30. Expected owners can then be worked out by hand.
func digits(b []byte) uint64 {
	n, err := strconv.ParseUint(strings.ReplaceAll(string(b), "#", ""), 10, 32)
	if err != nil {
		panic(fmt.Sprintf("digits(%q): %v", b, err))
	}
	return n
}

// smallRing has points 10 11 12 (node 1), 20 21 22 (node 2), 30 31 32 (node 3).
func smallRing() *Ring { return New([]NodeID{"1", "2", "3"}, 3, digits) }

// uuids returns n deterministic UUID-shaped strings drawn from seed.
func uuids(seed uint64, n int) []string {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("%08x-%04x-4%03x-8%03x-%012x", rng.Uint32(),
			rng.Uint32()&0xffff, rng.Uint32()&0xfff, rng.Uint32()&0xfff, rng.Uint64()&0xffffffffffff)
	}
	return ids
}

// servers returns n deterministic server ids; a longer list extends a shorter one.
func servers(n int) []NodeID {
	var ids []NodeID
	for _, s := range uuids(1, n) {
		ids = append(ids, NodeID(s))
	}
	return ids
}

// chunkKeys returns n chunk keys "<blob uuid>#i", six chunks per blob.
func chunkKeys(n int) []string {
	blobs := uuids(2, (n+5)/6)
	keys := make([]string, n)
	for k := range keys {
		keys[k] = blobs[k/6] + "#" + strconv.Itoa(k%6)
	}
	return keys
}

// points lists a ring's points in ring order.
func points(r *Ring) []Point {
	ps := make([]Point, len(r.hashes))
	for j, h := range r.hashes {
		ps[j] = Point{Hash: h, Node: r.nodes[r.owners[j]]}
	}
	return ps
}

func TestPointsFor(t *testing.T) {
	tests := []struct {
		name   string
		node   NodeID
		vnodes int
		hash   HashFunc
		want   []Point
	}{
		{"digits", "2", 3, digits, []Point{{20, "2"}, {21, "2"}, {22, "2"}}},
		{"xxhash default", "a", 2, nil, []Point{
			{uint32(xxhash.Sum64String("a#0")), "a"}, {uint32(xxhash.Sum64String("a#1")), "a"}}},
		{"zero vnodes", "a", 0, nil, nil},
		{"negative vnodes", "a", -1, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := PointsFor(tt.node, tt.vnodes, tt.hash); !slices.Equal(got, tt.want) {
				t.Errorf("got %v; want %v", got, tt.want)
			}
		})
	}
}

func TestLocate(t *testing.T) {
	r := smallRing()
	tests := []struct {
		name, key string
		want      NodeID
	}{
		{"below first point", "0", "1"},
		{"exactly on a point", "10", "1"},
		{"between nodes", "13", "2"},
		{"last point of a node", "22", "2"},
		{"next node", "23", "3"},
		{"last point", "32", "3"},
		{"wraps past last point", "33", "1"},
		{"wraps from the top", "4294967295", "1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := r.Locate(tt.key)
			if got != tt.want || !ok {
				t.Errorf("Locate(%q) got %q, %v; want %q, true", tt.key, got, ok, tt.want)
			}
		})
	}
}

func TestRingAccessors(t *testing.T) {
	r := New([]NodeID{"3", "1", "2", "1"}, 3, digits)
	if got, want := r.Nodes(), []NodeID{"1", "2", "3"}; !slices.Equal(got, want) {
		t.Errorf("Nodes() got %v; want %v", got, want)
	}
	if got, want := r.Len(), 12; got != want {
		t.Errorf("Len() got %d; want %d", got, want)
	}
	r.Nodes()[0] = "changed"
	if got := r.Nodes()[0]; got != "1" {
		t.Errorf("after modifying Nodes(): got %q; want %q", got, "1")
	}
}

func TestEmptyRing(t *testing.T) {
	rings := []struct {
		name string
		r    *Ring
	}{
		{"New without nodes", New(nil, 150, nil)},
		{"New without vnodes", New([]NodeID{"a"}, 0, nil)},
		{"FromPoints without points", FromPoints(nil, nil)},
		{"zero value", &Ring{}},
	}
	for _, tt := range rings {
		t.Run(tt.name, func(t *testing.T) {
			if got, ok := tt.r.Locate("x"); got != "" || ok {
				t.Errorf("Locate got %q, %v; want \"\", false", got, ok)
			}
			if got := tt.r.PlaceBlob("x", 6, nil); got != nil {
				t.Errorf("PlaceBlob got %v; want nil", got)
			}
			if got := tt.r.Len(); got != 0 {
				t.Errorf("Len got %d; want 0", got)
			}
			if got := tt.r.Nodes(); len(got) != 0 {
				t.Errorf("Nodes got %v; want none", got)
			}
		})
	}
}

func TestCollisionTieBreak(t *testing.T) {
	t.Run("FromPoints in any order", func(t *testing.T) {
		ps := []Point{{10, "b"}, {20, "c"}, {10, "a"}}
		for _, order := range [][]Point{ps, {ps[2], ps[1], ps[0]}, {ps[1], ps[0], ps[2]}} {
			r := FromPoints(order, digits)
			for key, want := range map[string]NodeID{"5": "a", "10": "a", "11": "c", "21": "a"} {
				if got, _ := r.Locate(key); got != want {
					t.Errorf("points %v: Locate(%q) got %q; want %q", order, key, got, want)
				}
			}
			if got, want := points(r), []Point{{10, "a"}, {10, "b"}, {20, "c"}}; !slices.Equal(got, want) {
				t.Errorf("points got %v; want %v", got, want)
			}
		}
	})
	t.Run("New with colliding vnodes", func(t *testing.T) {
		// "1#10" and "11#0" both hash to 110; "1#11" and "11#1" to 111.
		for _, nodes := range [][]NodeID{{"1", "11"}, {"11", "1"}} {
			r := New(nodes, 12, digits)
			for key, want := range map[string]NodeID{"110": "1", "111": "1", "112": "11"} {
				if got, _ := r.Locate(key); got != want {
					t.Errorf("nodes %v: Locate(%q) got %q; want %q", nodes, key, got, want)
				}
			}
		}
	})
	t.Run("PlaceBlob walks past the collision", func(t *testing.T) {
		r := FromPoints([]Point{{10, "b"}, {10, "a"}}, digits)
		if got, want := r.PlaceBlob("1", 2, nil), []NodeID{"a", "b"}; !slices.Equal(got, want) {
			t.Errorf("got %v; want %v", got, want)
		}
	})
}

func TestPlaceBlob(t *testing.T) {
	r := smallRing()
	skipping := func(ids ...NodeID) func(NodeID) bool {
		return func(n NodeID) bool { return slices.Contains(ids, n) }
	}
	tests := []struct {
		name   string
		blob   string
		chunks int
		skip   func(NodeID) bool
		want   []NodeID
	}{
		// Chunk keys "1#0" "1#1" "1#2" hash to 10 11 12.
		{"distinct walk", "1", 3, nil, []NodeID{"1", "2", "3"}},
		// 30 -> 3; 31 -> 3 used, 32 used, wrap to 10 -> 1; 32 -> 3, 1 used, 20 -> 2.
		{"distinct walk wraps", "3", 3, nil, []NodeID{"3", "1", "2"}},
		// 13 -> 20: every node used once, the first met (2) wins.
		{"more chunks than nodes", "1", 4, nil, []NodeID{"1", "2", "3", "2"}},
		// 10 -> 1; 11 -> 20 skipped -> 3; 12 -> all used once, 1 met first.
		{"skip forces reuse", "1", 3, skipping("2"), []NodeID{"1", "3", "1"}},
		{"one usable node", "2", 2, skipping("1", "2"), []NodeID{"3", "3"}},
		{"all skipped", "1", 3, skipping("1", "2", "3"), nil},
		{"zero chunks", "1", 0, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := r.PlaceBlob(tt.blob, tt.chunks, tt.skip); !slices.Equal(got, tt.want) {
				t.Errorf("got %v; want %v", got, tt.want)
			}
		})
	}
}

func TestPlaceBlobSkip(t *testing.T) {
	nodes := servers(7)
	r := New(nodes, DefaultVnodes, nil)
	down := nodes[3]
	for _, blob := range uuids(3, 2000) {
		got := r.PlaceBlob(blob, 6, func(n NodeID) bool { return n == down })
		if slices.Contains(got, down) {
			t.Fatalf("blob %s: got %v; want no %s", blob, got, down)
		}
		if d := distinct(got); len(got) != 6 || d != 6 {
			t.Fatalf("blob %s: got %d chunks on %d nodes; want 6 on 6", blob, len(got), d)
		}
	}
}

func TestPlaceBlobFewNodes(t *testing.T) {
	for n := 1; n < 6; n++ {
		t.Run(strconv.Itoa(n)+" nodes", func(t *testing.T) {
			r := New(servers(n), DefaultVnodes, nil)
			maxUses := (6 + n - 1) / n
			for _, blob := range uuids(4, 1000) {
				got := r.PlaceBlob(blob, 6, nil)
				if len(got) != 6 {
					t.Fatalf("blob %s: got %d chunks; want 6", blob, len(got))
				}
				for _, node := range r.Nodes() {
					if c := count(got, node); c < 1 || c > maxUses {
						t.Fatalf("blob %s: got %s used %d times; want 1..%d", blob, node, c, maxUses)
					}
				}
			}
		})
	}
}

func TestDeterminism(t *testing.T) {
	nodes := servers(6)
	reversed := slices.Clone(nodes)
	slices.Reverse(reversed)
	a, b := New(nodes, DefaultVnodes, nil), New(reversed, DefaultVnodes, nil)
	var ps []Point
	for _, n := range reversed {
		ps = append(ps, PointsFor(n, DefaultVnodes, nil)...)
	}
	c := FromPoints(ps, xxhash.Sum64)
	if !slices.Equal(points(a), points(b)) || !slices.Equal(points(a), points(c)) {
		t.Fatalf("got rings with different points; want identical")
	}
	for _, blob := range uuids(5, 1000) {
		pa, pb, pc := a.PlaceBlob(blob, 6, nil), b.PlaceBlob(blob, 6, nil), c.PlaceBlob(blob, 6, nil)
		if !slices.Equal(pa, pb) || !slices.Equal(pa, pc) {
			t.Fatalf("blob %s: got %v, %v, %v; want identical", blob, pa, pb, pc)
		}
		if owner, _ := a.Locate(blob + "#0"); pa[0] != owner {
			t.Fatalf("blob %s: got chunk 0 on %s; want its owner %s", blob, pa[0], owner)
		}
	}
}

func TestBalance(t *testing.T) {
	nodes := servers(6)
	r := New(nodes, DefaultVnodes, nil)
	keys := chunkKeys(100_000)
	counts := map[NodeID]int{}
	for _, k := range keys {
		n, _ := r.Locate(k)
		counts[n]++
	}
	fair := float64(len(keys)) / float64(len(nodes))
	lo, hi := 2.0, 0.0
	for _, n := range nodes {
		share := float64(counts[n]) / fair
		lo, hi = min(lo, share), max(hi, share)
		if share < 0.75 || share > 1.25 {
			t.Errorf("node %s: got %.3f of a fair share; want 0.75..1.25", n, share)
		}
	}
	t.Logf("%d keys on %d nodes x %d vnodes: shares of fair %.3f..%.3f (spread %.1f%%)",
		len(keys), len(nodes), DefaultVnodes, lo, hi, (hi-lo)*100)
}

func TestMoveSingleKey(t *testing.T) {
	nodes := servers(7)
	before, after := New(nodes[:6], DefaultVnodes, nil), New(nodes, DefaultVnodes, nil)
	keys := chunkKeys(100_000)
	moved := 0
	for _, k := range keys {
		was, _ := before.Locate(k)
		now, _ := after.Locate(k)
		if was == now {
			continue
		}
		moved++
		if now != nodes[6] {
			t.Fatalf("key %s: got moved %s -> %s; want moved to the new node %s", k, was, now, nodes[6])
		}
	}
	frac := float64(moved) / float64(len(keys))
	t.Logf("6 -> 7 nodes: %d of %d keys moved (%.4f; ideal 1/7 = %.4f)", moved, len(keys), frac, 1.0/7)
	if frac < 0.10 || frac > 0.20 {
		t.Errorf("got %.4f of keys moved; want 0.10..0.20", frac)
	}
}

func TestMoveWholeBlob(t *testing.T) {
	nodes := servers(7)
	before, after := New(nodes[:6], DefaultVnodes, nil), New(nodes, DefaultVnodes, nil)
	blobs := uuids(6, 10_000)
	moved, toNew := 0, 0
	for _, blob := range blobs {
		was, now := before.PlaceBlob(blob, 6, nil), after.PlaceBlob(blob, 6, nil)
		if dw, dn := distinct(was), distinct(now); dw != 6 || dn != 6 {
			t.Fatalf("blob %s: got %d and %d distinct nodes; want 6 and 6", blob, dw, dn)
		}
		for i := range was {
			if was[i] != now[i] {
				moved++
				if now[i] == nodes[6] {
					toNew++
				}
			}
		}
	}
	total := 6 * len(blobs)
	frac := float64(moved) / float64(total)
	t.Logf("6 -> 7 nodes, %d blobs x 6 chunks: %d of %d chunks moved (%.4f), %d of them to the new node, %d between old nodes",
		len(blobs), moved, total, frac, toNew, moved-toNew)
	if frac >= 0.5 {
		t.Errorf("got %.4f of chunks moved; want < 0.5", frac)
	}
}

func BenchmarkPlaceBlob(b *testing.B) {
	r := New(servers(6), DefaultVnodes, nil)
	blobs := uuids(7, 1024)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		r.PlaceBlob(blobs[i%len(blobs)], 6, nil)
		i++
	}
}

func distinct(ns []NodeID) int {
	return len(slices.Compact(slices.Sorted(slices.Values(ns))))
}

func count(ns []NodeID, n NodeID) int {
	c := 0
	for _, x := range ns {
		if x == n {
			c++
		}
	}
	return c
}
