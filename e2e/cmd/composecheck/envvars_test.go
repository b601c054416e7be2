package main

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"sixfold/db"
	gwconfig "sixfold/gateway/config"
	nodeconfig "sixfold/storagenode/config"
)

// envName is what an environment variable's name looks like in the
// config packages: upper case with at least one underscore.
var envName = regexp.MustCompile(`^[A-Z][A-Z0-9]*(_[A-Z0-9]+)+$`)

// TestEnvVarsMatchTheLoaders keeps the exported EnvVars lists, which the
// checker trusts, equal to the variable names the loaders' sources spell
// out, so a variable added to a loader but not to its list (or the
// reverse) fails here rather than in a container.
func TestEnvVarsMatchTheLoaders(t *testing.T) {
	tests := []struct {
		name string
		list []string
		dirs []string
	}{
		{"db", db.EnvVars, []string{"db"}},
		{"gateway/config", gwconfig.EnvVars, []string{"gateway/config", "db"}},
		{"storagenode/config", nodeconfig.EnvVars, []string{"storagenode/config", "db"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var literals []string
			for _, dir := range tt.dirs {
				literals = append(literals, envLiterals(t, filepath.Join(repoRoot, dir))...)
			}
			slices.Sort(literals)
			literals = slices.Compact(literals)
			list := slices.Sorted(slices.Values(tt.list))
			if !slices.Equal(list, literals) {
				t.Fatalf("EnvVars = %s\nbut the sources name %s", strings.Join(list, " "), strings.Join(literals, " "))
			}
		})
	}
}

// envLiterals returns the string literals shaped like environment variable
// names in the non-test Go files of dir, except those in EnvVars' own
// declaration (envvars.go), which is what is being checked.
func envLiterals(t *testing.T, dir string) []string {
	t.Helper()
	fset := token.NewFileSet()
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, path := range files {
		if strings.HasSuffix(path, "_test.go") || filepath.Base(path) == "envvars.go" {
			continue
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			if lit, ok := n.(*ast.BasicLit); ok && lit.Kind == token.STRING {
				if s, err := strconv.Unquote(lit.Value); err == nil && envName.MatchString(s) {
					out = append(out, s)
				}
			}
			return true
		})
	}
	return out
}
