package main

import (
	"slices"
	"testing"
)

func TestGatewayAddrs(t *testing.T) {
	got, err := gatewayAddrs("127.0.0.1:8080", "3")
	if want := []string{"127.0.0.1:8080", "127.0.0.1:8081", "127.0.0.1:8082"}; err != nil || !slices.Equal(got, want) {
		t.Fatalf("gatewayAddrs(8080, 3) = %v, %v; want %v", got, err, want)
	}
	if got, err := gatewayAddrs("127.0.0.1:9090", ""); err != nil || !slices.Equal(got, []string{"127.0.0.1:9090"}) {
		t.Fatalf("gatewayAddrs(9090, unset) = %v, %v; want the one address", got, err)
	}
	for _, tc := range [][2]string{{"127.0.0.1:8080", "0"}, {"127.0.0.1:8080", "two"}, {"127.0.0.1:65535", "2"}, {"no-port", "2"}} {
		if _, err := gatewayAddrs(tc[0], tc[1]); err == nil {
			t.Errorf("gatewayAddrs(%q, %q) accepted", tc[0], tc[1])
		}
	}
}
