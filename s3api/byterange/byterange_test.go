package byterange

import (
	"errors"
	"fmt"
	"testing"
)

// cases specify Parse; fuzzing starts from them too.
var cases = []struct {
	header        string
	size          int64
	ok            bool
	start, length int64
	unsatisfiable bool
}{
	{"", 100, false, 0, 0, false},
	{"bytes=0-0", 100, true, 0, 1, false},
	{"bytes=0-99", 100, true, 0, 100, false},
	{"bytes=10-19", 100, true, 10, 10, false},
	{"bytes=90-200", 100, true, 90, 10, false},
	{"bytes=33-", 100, true, 33, 67, false},
	{"bytes=-10", 100, true, 90, 10, false},
	{"bytes=-1000", 100, true, 0, 100, false},
	{"bytes=99-99", 100, true, 99, 1, false},
	{" bytes= 5-6 ", 100, true, 5, 2, false},
	{"bytes=100-", 100, false, 0, 0, true},
	{"bytes=100-200", 100, false, 0, 0, true},
	{"bytes=-0", 100, false, 0, 0, true},
	{"bytes=0-", 0, false, 0, 0, true},
	{"bytes=0-0", 0, false, 0, 0, true},
	{"bytes=-5", 0, false, 0, 0, true},
	{"bytes=0-1,5-6", 100, false, 0, 0, false},
	{"bytes=5-4", 100, false, 0, 0, false},
	{"bytes=a-b", 100, false, 0, 0, false},
	{"bytes=-", 100, false, 0, 0, false},
	{"bytes=--5", 100, false, 0, 0, false},
	{"bytes=+1-2", 100, false, 0, 0, false},
	{"items=0-1", 100, false, 0, 0, false},
	{"bytes=99999999999999999999-", 100, false, 0, 0, false},
}

func TestParse(t *testing.T) {
	for _, tc := range cases {
		t.Run(fmt.Sprintf("%q of %d", tc.header, tc.size), func(t *testing.T) {
			r, ok, err := Parse(tc.header, tc.size)
			if errors.Is(err, ErrUnsatisfiable) != tc.unsatisfiable || ok != tc.ok || r.Start != tc.start || r.Length != tc.length {
				t.Errorf("got %+v ok=%v err=%v; want start %d length %d ok=%v unsatisfiable=%v", r, ok, err, tc.start, tc.length, tc.ok, tc.unsatisfiable)
			}
		})
	}
}

func TestContentRange(t *testing.T) {
	if got := (Range{Start: 10, Length: 5}).ContentRange(100); got != "bytes 10-14/100" {
		t.Errorf("ContentRange = %q; want bytes 10-14/100", got)
	}
}

// FuzzParse checks that a served range always lies inside the body and
// renders back to itself.
func FuzzParse(f *testing.F) {
	for _, tc := range cases {
		f.Add(tc.header, tc.size)
	}
	f.Fuzz(func(t *testing.T, header string, size int64) {
		if size < 0 {
			size = -size
		}
		r, ok, err := Parse(header, size)
		if err != nil && ok {
			t.Fatalf("both a range and an error for %q", header)
		}
		if !ok {
			return
		}
		if r.Start < 0 || r.Length < 1 || r.Start+r.Length > size {
			t.Fatalf("%q of %d gave %+v outside the body", header, size, r)
		}
		again, ok, err := Parse(fmt.Sprintf("bytes=%d-%d", r.Start, r.Start+r.Length-1), size)
		if !ok || err != nil || again != r {
			t.Fatalf("%+v does not parse back to itself: %+v %v", r, again, err)
		}
	})
}
