package main

import "testing"

func TestParseActive(t *testing.T) {
	for _, tc := range []struct {
		raw  string
		want int
		ok   bool
	}{
		{`6`, 6, true},
		{`{"active": 5, "total": 6}`, 5, true},
		{`{"total": 6}`, 0, false},
		{`"six"`, 0, false},
	} {
		got, err := parseActive([]byte(tc.raw))
		if got != tc.want || (err == nil) != tc.ok {
			t.Errorf("parseActive(%s) = %d, %v; want %d (ok %v)", tc.raw, got, err, tc.want, tc.ok)
		}
	}
}
