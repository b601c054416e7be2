package httpapi

import (
	"errors"
	"testing"
)

func TestParseRange(t *testing.T) {
	tests := []struct {
		name    string
		header  string
		size    int64
		want    byteRange
		wantOK  bool
		wantErr error
	}{
		{"closed", "bytes=0-9", 100, byteRange{0, 10}, true, nil},
		{"open ended", "bytes=90-", 100, byteRange{90, 10}, true, nil},
		{"suffix", "bytes=-5", 100, byteRange{95, 5}, true, nil},
		{"suffix longer than body", "bytes=-500", 100, byteRange{0, 100}, true, nil},
		{"end past size is clamped", "bytes=50-1000", 100, byteRange{50, 50}, true, nil},
		{"last byte", "bytes=99-99", 100, byteRange{99, 1}, true, nil},
		{"start at size", "bytes=100-", 100, byteRange{}, true, errUnsatisfiable},
		{"suffix of zero", "bytes=-0", 100, byteRange{}, true, errUnsatisfiable},
		{"any range of empty body", "bytes=0-0", 0, byteRange{}, true, errUnsatisfiable},
		{"reversed is ignored", "bytes=9-3", 100, byteRange{}, false, nil},
		{"multi range is ignored", "bytes=0-1,5-6", 100, byteRange{}, false, nil},
		{"other unit is ignored", "items=0-1", 100, byteRange{}, false, nil},
		{"garbage is ignored", "bytes=a-b", 100, byteRange{}, false, nil},
		{"negative start is ignored", "bytes=--5", 100, byteRange{}, false, nil},
		{"absent", "", 100, byteRange{}, false, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok, err := parseRange(tt.header, tt.size)
			if got != tt.want || ok != tt.wantOK || !errors.Is(err, tt.wantErr) {
				t.Errorf("parseRange(%q, %d) = %+v, %v, %v; want %+v, %v, %v", tt.header, tt.size, got, ok, err, tt.want, tt.wantOK, tt.wantErr)
			}
		})
	}
}

func FuzzParseRange(f *testing.F) {
	for _, seed := range []string{"bytes=0-9", "bytes=-5", "bytes=5-", "bytes=0-1,2-3", "bytes=--1", ""} {
		f.Add(seed, int64(100))
	}
	f.Fuzz(func(t *testing.T, header string, size int64) {
		if size < 0 {
			return
		}
		r, ok, err := parseRange(header, size)
		if ok && err == nil && (r.start < 0 || r.length <= 0 || r.start+r.length > size) {
			t.Fatalf("parseRange(%q, %d) = %+v outside the body", header, size, r)
		}
	})
}
