package harness

import "testing"

func TestStatState(t *testing.T) {
	tests := []struct {
		name   string
		stat   string
		want   byte
		wantOK bool
	}{
		{name: "plain", stat: "42 (storagenode) S 1 42", want: 'S', wantOK: true},
		{name: "stopped", stat: "42 (storagenode) T 1 42", want: 'T', wantOK: true},
		{name: "name with ) and spaces", stat: "42 (a) b (c)) T 1", want: 'T', wantOK: true},
		{name: "truncated", stat: "42 (x)"},
		{name: "garbage", stat: "nonsense"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := statState([]byte(tt.stat))
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("statState(%q) = %q, %v; want %q, %v", tt.stat, got, ok, tt.want, tt.wantOK)
			}
		})
	}
}
