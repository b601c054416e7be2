package db_test

import (
	"context"
	"go/ast"
	"go/parser"
	"go/token"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"sixfold/db"
	"sixfold/db/dbtest"
)

// TestQueriesWalkTheirIndexes checks that each query an index of the
// write path's (migrations 0024–0026) was kept for can walk it: with sequential
// scans and sorts priced out (a table this small is cheaper to scan and
// sort), the plan of the generated statement names the index.
// Dropping or narrowing an index a query needs turns its plan into a scan
// of the whole table, which only shows at millions of rows.
func TestQueriesWalkTheirIndexes(t *testing.T) {
	pool, _ := dbtest.NewPool(t)
	ctx := context.Background()
	blobs := db.NewBlobs(pool)
	var servers []uuid.UUID
	for range 6 {
		servers = append(servers, newServer(t, pool))
	}
	for i := range 120 {
		u := newUpload(servers[i%len(servers)], 4096)
		nb := db.NewBlob{File: u.File, Door: []string{"s3", "files"}[i%2], SessionID: u.SessionID, StartedAt: time.Now(),
			SessionTimeout: u.SessionTimeout, ClientIP: u.ClientIP, Chunks: stored(u)}
		nb.File.Checksum = sum
		if _, err := blobs.RecordBlob(ctx, nb, func(*db.Tx, time.Time) error { return nil }); err != nil {
			t.Fatal(err)
		}
	}
	conn, err := pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	for _, stmt := range []string{"ANALYZE", "SET enable_seqscan = off", "SET enable_sort = off"} {
		if _, err := conn.Exec(ctx, stmt); err != nil {
			t.Fatal(err)
		}
	}

	server := "'" + servers[0].String() + "'"
	for _, tc := range []struct {
		file, query, args string
		indexes           []string
	}{
		{"node.sql.go", "listStoredChunksOnServer", server + ", '" + uuid.Nil.String() + "', 60, 100", []string{"chunks_server"}},
		{"heal.sql.go", "removeDrainedServers", "", []string{"chunks_server"}},
		{"heal.sql.go", "claimHealWork", "30, 60, 100", []string{"chunks_server", "chunks_unhealthy"}},
		{"files.sql.go", "listCompletedFiles", "100, NULL, NULL", []string{"files_listing"}},
	} {
		plan := explain(t, conn.Conn(), generatedSQL(t, tc.file, tc.query), tc.args)
		for _, index := range tc.indexes {
			if !strings.Contains(plan, " "+index+" ") {
				t.Errorf("%s does not walk %s; its plan:\n%s", tc.query, index, plan)
			}
		}
	}
}

// explain returns the plan of sql run with args (SQL literals).
func explain(t *testing.T, conn *pgx.Conn, sql, args string) string {
	t.Helper()
	ctx := context.Background()
	if _, err := conn.Exec(ctx, "PREPARE planned AS "+sql); err != nil {
		t.Fatalf("PREPARE: %v\n%s", err, sql)
	}
	defer conn.Exec(ctx, "DEALLOCATE planned")
	execute := "EXPLAIN EXECUTE planned"
	if args != "" {
		execute += "(" + args + ")"
	}
	rows, err := conn.Query(ctx, execute)
	if err != nil {
		t.Fatalf("%s: %v", execute, err)
	}
	lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatalf("%s: %v", execute, err)
	}
	return strings.Join(lines, "\n")
}

// generatedSQL returns the statement sqlc generated as the constant name
// in internal/dbq/file, so the plan checked is the one the code runs.
func generatedSQL(t *testing.T, file, name string) string {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), "internal/dbq/"+file, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, decl := range f.Decls {
		gen, ok := decl.(*ast.GenDecl)
		if !ok || gen.Tok != token.CONST {
			continue
		}
		for _, spec := range gen.Specs {
			vs := spec.(*ast.ValueSpec)
			if len(vs.Names) == 1 && vs.Names[0].Name == name && len(vs.Values) == 1 {
				if lit, ok := vs.Values[0].(*ast.BasicLit); ok {
					sql, err := strconv.Unquote(lit.Value)
					if err != nil {
						t.Fatal(err)
					}
					return sql
				}
			}
		}
	}
	t.Fatalf("no constant %s in internal/dbq/%s", name, file)
	return ""
}
