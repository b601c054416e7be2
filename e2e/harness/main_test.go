package harness

import (
	"fmt"
	"os"
	"testing"
)

func TestMain(m *testing.M) {
	if ran, err := runFake(); ran {
		if err != nil {
			fmt.Fprintln(os.Stderr, "fake:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}
