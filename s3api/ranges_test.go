package s3api

import (
	"fmt"
	"testing"
)

// rangeCases specify parseRange; fuzzing starts from them too.
var rangeCases = []struct {
	header        string
	size          int64
	ok            bool
	start, length int64
	err           string
}{
	{"", 100, false, 0, 0, ""},
	{"bytes=0-0", 100, true, 0, 1, ""},
	{"bytes=0-99", 100, true, 0, 100, ""},
	{"bytes=10-19", 100, true, 10, 10, ""},
	{"bytes=90-200", 100, true, 90, 10, ""},
	{"bytes=33-", 100, true, 33, 67, ""},
	{"bytes=-10", 100, true, 90, 10, ""},
	{"bytes=-1000", 100, true, 0, 100, ""},
	{" bytes= 5-6 ", 100, true, 5, 2, ""},
	{"bytes=100-", 100, false, 0, 0, codeInvalidRange},
	{"bytes=100-200", 100, false, 0, 0, codeInvalidRange},
	{"bytes=-0", 100, false, 0, 0, codeInvalidRange},
	{"bytes=0-", 0, false, 0, 0, codeInvalidRange},
	{"bytes=-5", 0, false, 0, 0, codeInvalidRange},
	{"bytes=0-1,5-6", 100, false, 0, 0, ""},
	{"bytes=5-4", 100, false, 0, 0, ""},
	{"bytes=a-b", 100, false, 0, 0, ""},
	{"bytes=-", 100, false, 0, 0, ""},
	{"bytes=+1-2", 100, false, 0, 0, ""},
	{"items=0-1", 100, false, 0, 0, ""},
	{"bytes=99999999999999999999-", 100, false, 0, 0, ""},
}

func TestParseRange(t *testing.T) {
	for _, tc := range rangeCases {
		t.Run(fmt.Sprintf("%q of %d", tc.header, tc.size), func(t *testing.T) {
			r, ok, err := parseRange(tc.header, tc.size)
			if errCode(err) != tc.err || ok != tc.ok || r.start != tc.start || r.length != tc.length {
				t.Errorf("got %+v ok=%v err=%v; want start %d length %d ok=%v err %q", r, ok, err, tc.start, tc.length, tc.ok, tc.err)
			}
		})
	}
}

func TestContentRange(t *testing.T) {
	if got := (byteRange{start: 10, length: 5}).contentRange(100); got != "bytes 10-14/100" {
		t.Errorf("contentRange = %q; want bytes 10-14/100", got)
	}
}

// FuzzParseRange checks that a served range always lies inside the
// object and renders back to itself.
func FuzzParseRange(f *testing.F) {
	for _, tc := range rangeCases {
		f.Add(tc.header, tc.size)
	}
	f.Fuzz(func(t *testing.T, header string, size int64) {
		if size < 0 {
			size = -size
		}
		r, ok, err := parseRange(header, size)
		if err != nil && ok {
			t.Fatalf("both a range and an error for %q", header)
		}
		if !ok {
			return
		}
		if r.start < 0 || r.length < 1 || r.start+r.length > size {
			t.Fatalf("%q of %d gave %+v outside the object", header, size, r)
		}
		again, ok, err := parseRange(fmt.Sprintf("bytes=%d-%d", r.start, r.start+r.length-1), size)
		if !ok || err != nil || again != r {
			t.Fatalf("%+v does not parse back to itself: %+v %v", r, again, err)
		}
	})
}
