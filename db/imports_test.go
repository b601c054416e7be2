package db

import (
	"go/parser"
	"go/token"
	"io/fs"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// driverImports are what only package db may import: the driver, and the
// generated queries with their row types.
var driverImports = []string{"github.com/jackc/pgx", "sixfold/db/internal/dbq"}

// TestOnlyDBImportsTheDriver: every other package of the binaries (the
// gateway, the storage node, the S3 front end) gets domain values and
// translated errors from db, so none compares driver error codes or
// pgx.ErrNoRows. Tests may inspect the database directly, and so may test
// helper packages (named ...test) and the e2e harness, which are not here.
func TestOnlyDBImportsTheDriver(t *testing.T) {
	fset := token.NewFileSet()
	checked := 0
	for _, root := range []string{"gateway", "storagenode", "s3api"} {
		err := filepath.WalkDir(filepath.Join("..", root), func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
				return err
			}
			dir := filepath.ToSlash(filepath.Dir(strings.TrimPrefix(p, ".."+string(filepath.Separator))))
			if strings.HasSuffix(path.Base(dir), "test") {
				return nil
			}
			f, err := parser.ParseFile(fset, p, nil, parser.ImportsOnly)
			if err != nil {
				return err
			}
			checked++
			for _, imp := range f.Imports {
				name, _ := strconv.Unquote(imp.Path.Value)
				for _, banned := range driverImports {
					if name == banned || strings.HasPrefix(name, banned+"/") {
						t.Errorf("%s imports %s: ask package db instead", p, name)
					}
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if checked < 50 {
		t.Fatalf("checked %d files; the walk has lost the source tree", checked)
	}
}
