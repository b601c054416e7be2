package main

import (
	"strings"
	"testing"
)

func TestAdminHelpHidesThePassword(t *testing.T) {
	t.Setenv("SIXFOLD_ROOT_PASSWORD", "hunter22-from-env")
	var out, errOut strings.Builder
	runAdmin([]string{"-h"}, &out, &errOut)
	help := out.String() + errOut.String()
	if !strings.Contains(help, "-password") {
		t.Fatalf("help does not list -password:\n%s", help)
	}
	if strings.Contains(help, "hunter22") {
		t.Errorf("help shows the password from the environment:\n%s", help)
	}
}
