package db

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Search runs the queries sqlc cannot express: a WHERE clause whose shape
// the caller chooses. The caller describes it as a tree of typed
// conditions (And, Or, Not, ColumnCmp, MetaCmp); this file alone turns the
// tree into SQL. Every value becomes a bind parameter, and every column
// comes from the fixed table below, so no caller's text is ever spliced
// into SQL.

// SearchField names a column a search filters or sorts on.
type SearchField int

// The fields a search knows. FieldResource is the ARN a policy names the
// object by (arn:aws:s3:::bucket/key, or arn:aws:s3:::files/<id>), and
// FieldOwner the identity that uploaded a /files object ("" when none was
// recorded), for conditions derived from the caller's permissions.
const (
	FieldKey SearchField = iota + 1
	FieldSize
	FieldContentType
	FieldCreated
	FieldModified
	FieldResource
	FieldOwner
)

// SearchOp is a comparison.
type SearchOp int

// The comparisons. OpLike takes a LIKE pattern whose escape is backslash;
// OpExists takes no value and applies to metadata and tags only.
const (
	OpEq SearchOp = iota + 1
	OpNe
	OpLt
	OpLe
	OpGt
	OpGe
	OpLike
	OpExists
)

var opSQL = map[SearchOp]string{OpEq: "=", OpNe: "<>", OpLt: "<", OpLe: "<=", OpGt: ">", OpGe: ">="}

// Cond is a search condition: And, Or, Not, ColumnCmp or MetaCmp.
type Cond interface {
	sql(b *sqlBuilder, t *searchTable) error
}

// And holds when all of its conditions hold (an empty And always does).
type And []Cond

// Or holds when one of its conditions holds (an empty Or never does).
type Or []Cond

// Not holds when X does not.
type Not struct{ X Cond }

// ColumnCmp compares a column with a value: a string for FieldKey,
// FieldContentType, FieldResource and FieldOwner, an int64 for FieldSize, a time.Time
// for FieldCreated and FieldModified.
type ColumnCmp struct {
	Field SearchField
	Op    SearchOp
	Value any
}

// Numeric is a decimal number written as text ("-1.5"), compared exactly.
type Numeric string

// MetaDoc says which document a MetaCmp looks into.
type MetaDoc int

// The documents: user metadata (the /files metadata JSON object, or an S3
// object's x-amz-meta-* headers) and tags (S3 objects only).
const (
	DocMetadata MetaDoc = iota + 1
	DocTags
)

// MetaCmp compares the value at Path inside a document with Value: a
// string, a Numeric (which also matches strings that read as that number)
// or a bool. A value of another type, or missing, never matches (OpNe
// included: it needs the path to exist).
type MetaCmp struct {
	Doc   MetaDoc
	Path  []string
	Op    SearchOp
	Value any
}

// SearchCursor is where a page ended: the sort column's value of its last
// hit (the one matching the sort) and that hit's id.
type SearchCursor struct {
	Key  string
	Size int64
	At   time.Time
	ID   uuid.UUID
}

// SearchRequest is one page of a search.
type SearchRequest struct {
	Where Cond        // nil matches everything
	Sort  SearchField // FieldKey, FieldSize, FieldCreated or FieldModified
	Desc  bool
	After *SearchCursor // nil: the first page
	Limit int
	// Total asks for the number of all matches as well (one more query).
	Total bool
}

// SearchHit is one object found. For an S3 object Checksum is its ETag
// and Meta its stored s3api.ObjectMeta; for a /files upload, Meta is its
// metadata object.
type SearchHit struct {
	ID          uuid.UUID
	Key         string
	Size        int64
	ContentType string
	Checksum    string
	Meta        json.RawMessage
	CreatedAt   time.Time
	ModifiedAt  time.Time
	VersionID   string
	Owner       string // a /files upload's owner identity; "" for none and for S3
}

// SearchPage is what a search found. Next is set when more hits follow;
// Total is -1 unless asked for.
type SearchPage struct {
	Hits  []SearchHit
	Next  *SearchCursor
	Total int64
}

// ErrBadSearch is a search this file refuses to compile: a field, value
// or operator that does not fit where it stands. Callers that validate
// their input never see it.
var ErrBadSearch = errors.New("db: bad search")

// searchTable is everything a search needs to know of one table; the only
// SQL text a search contains besides its own keywords.
type searchTable struct {
	from      string                 // table
	base      string                 // the rows a search may ever see
	cols      map[SearchField]string // column expressions
	sortCols  map[SearchField]string // sort expressions
	keyUnique bool                   // key alone orders the rows
	doc       string                 // the JSONB column
	roots     map[MetaDoc][]string   // the path of each document inside doc
	selectSQL string
	scan      func(pgx.Rows) (SearchHit, error)
	// ctEq turns content_type equality into containment in doc (GIN).
	ctEq bool
}

var filesTable = &searchTable{
	from: "files",
	base: "status = 'completed' AND owner = 'files'",
	cols: map[SearchField]string{
		FieldKey: `filename COLLATE "C"`, FieldSize: "size", FieldContentType: "content_type",
		FieldCreated: "created_at", FieldModified: "updated_at",
		FieldResource: `('arn:aws:s3:::files/' || id::text)`, FieldOwner: "coalesce(owner_identity, '')",
	},
	doc:       "metadata",
	roots:     map[MetaDoc][]string{DocMetadata: {}},
	selectSQL: "id, filename, size, content_type, coalesce(checksum, ''), metadata, created_at, updated_at, '', coalesce(owner_identity, '')",
}

var objectsTable = &searchTable{
	from: "objects",
	base: "bucket = $1 AND is_latest AND NOT delete_marker",
	cols: map[SearchField]string{
		FieldKey: "key", FieldSize: "size", FieldContentType: "coalesce(meta->>'ContentType', '')",
		FieldCreated: "created_at", FieldModified: "created_at",
		FieldResource: `('arn:aws:s3:::' || bucket || '/' || key)`,
	},
	keyUnique: true,
	doc:       "meta",
	roots:     map[MetaDoc][]string{DocMetadata: {"UserMetadata"}, DocTags: {"Tags"}},
	selectSQL: "id, key, size, coalesce(meta->>'ContentType', ''), etag, meta, created_at, created_at, version_id, ''",
	ctEq:      true,
}

// SearchFiles searches the /files door's completed uploads.
func SearchFiles(ctx context.Context, pool *pgxpool.Pool, req SearchRequest) (SearchPage, error) {
	return search(ctx, pool, filesTable, nil, req)
}

// SearchObjects searches the live objects (latest versions that are not
// delete markers) of one bucket: ErrNotFound when there is no such bucket.
func SearchObjects(ctx context.Context, pool *pgxpool.Pool, bucket string, req SearchRequest) (SearchPage, error) {
	var exists bool
	if err := pool.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM buckets WHERE name = $1)", bucket).Scan(&exists); err != nil {
		return SearchPage{}, Translate(err)
	}
	if !exists {
		return SearchPage{}, fmt.Errorf("bucket %q: %w", bucket, ErrNotFound)
	}
	return search(ctx, pool, objectsTable, []any{bucket}, req)
}

func search(ctx context.Context, pool *pgxpool.Pool, t *searchTable, base []any, req SearchRequest) (SearchPage, error) {
	page, total := SearchPage{Total: -1}, req.Total
	sqlText, args, err := t.pageSQL(base, req)
	if err != nil {
		return page, err
	}
	hits, err := queryHits(ctx, pool, t, sqlText, args)
	if err != nil {
		return page, err
	}
	if len(hits) > req.Limit {
		hits = hits[:req.Limit]
		cur := cursorOf(hits[len(hits)-1], req.Sort)
		page.Next = &cur
	}
	page.Hits = hits
	if total {
		countSQL, args, err := t.countSQL(base, req.Where)
		if err != nil {
			return page, err
		}
		if err := pool.QueryRow(ctx, countSQL, append([]any{pgx.QueryExecModeDescribeExec}, args...)...).Scan(&page.Total); err != nil {
			return page, Translate(err)
		}
	}
	return page, nil
}

// queryHits runs a search's page query. The SQL varies with every query,
// so it is not kept in the connection's statement cache (DescribeExec
// uses the unnamed statement); planning with the actual values also lets
// PostgreSQL use an index for a LIKE prefix.
func queryHits(ctx context.Context, pool *pgxpool.Pool, t *searchTable, sqlText string, args []any) ([]SearchHit, error) {
	rows, err := pool.Query(ctx, sqlText, append([]any{pgx.QueryExecModeDescribeExec}, args...)...)
	if err != nil {
		return nil, Translate(err)
	}
	defer rows.Close()
	hits := []SearchHit{}
	for rows.Next() {
		var h SearchHit
		if err := rows.Scan(&h.ID, &h.Key, &h.Size, &h.ContentType, &h.Checksum, &h.Meta, &h.CreatedAt, &h.ModifiedAt, &h.VersionID, &h.Owner); err != nil {
			return nil, Translate(err)
		}
		hits = append(hits, h)
	}
	return hits, Translate(rows.Err())
}

func cursorOf(h SearchHit, sort SearchField) SearchCursor {
	c := SearchCursor{ID: h.ID}
	switch sort {
	case FieldKey:
		c.Key = h.Key
	case FieldSize:
		c.Size = h.Size
	case FieldCreated:
		c.At = h.CreatedAt
	case FieldModified:
		c.At = h.ModifiedAt
	}
	return c
}

// SearchSQL is the page query SearchFiles (bucket "") or SearchObjects
// would run, with its parameters: for EXPLAIN in tests and measurements.
func SearchSQL(bucket string, req SearchRequest) (string, []any, error) {
	if bucket == "" {
		return filesTable.pageSQL(nil, req)
	}
	return objectsTable.pageSQL([]any{bucket}, req)
}

// pageSQL builds SELECT … WHERE base AND cond AND after-cursor ORDER BY …
// LIMIT n+1 (the extra row says whether another page follows).
func (t *searchTable) pageSQL(base []any, req SearchRequest) (string, []any, error) {
	if req.Limit < 1 {
		return "", nil, fmt.Errorf("%w: limit %d", ErrBadSearch, req.Limit)
	}
	b := &sqlBuilder{args: base}
	b.WriteString("SELECT " + t.selectSQL + " FROM " + t.from + " WHERE " + t.base)
	if err := t.where(b, req.Where); err != nil {
		return "", nil, err
	}
	order, err := t.order(b, req)
	if err != nil {
		return "", nil, err
	}
	b.WriteString(" ORDER BY " + order + " LIMIT " + b.arg(int64(req.Limit+1)) + "::bigint")
	return b.String(), b.args, nil
}

func (t *searchTable) countSQL(base []any, where Cond) (string, []any, error) {
	b := &sqlBuilder{args: base}
	b.WriteString("SELECT count(*) FROM " + t.from + " WHERE " + t.base)
	if err := t.where(b, where); err != nil {
		return "", nil, err
	}
	return b.String(), b.args, nil
}

func (t *searchTable) where(b *sqlBuilder, c Cond) error {
	if c == nil {
		return nil
	}
	b.WriteString(" AND ")
	return c.sql(b, t)
}

// order writes the cursor condition and returns the ORDER BY list: the
// sort column, then id, so that equal values still have one order and a
// page boundary falls between two rows whatever is written meanwhile.
func (t *searchTable) order(b *sqlBuilder, req SearchRequest) (string, error) {
	col, cast := t.cols[req.Sort], ""
	switch req.Sort {
	case FieldKey:
		cast = "::text"
	case FieldSize:
		cast = "::bigint"
	case FieldCreated, FieldModified:
		cast = "::timestamptz"
	default:
		return "", fmt.Errorf("%w: sort field %d", ErrBadSearch, req.Sort)
	}
	dir, cmp := " ASC", " > "
	if req.Desc {
		dir, cmp = " DESC", " < "
	}
	if t.keyUnique && req.Sort == FieldKey {
		if req.After != nil {
			b.WriteString(" AND " + col + cmp + b.arg(req.After.Key) + cast)
		}
		return col + dir, nil
	}
	if req.After != nil {
		var v any
		switch req.Sort {
		case FieldKey:
			v = req.After.Key
		case FieldSize:
			v = req.After.Size
		default:
			v = req.After.At
		}
		b.WriteString(" AND (" + col + ", id)" + cmp + "(" + b.arg(v) + cast + ", " + b.arg(req.After.ID) + "::uuid)")
	}
	return col + dir + ", id" + dir, nil
}

// sqlBuilder collects SQL text and its parameters.
type sqlBuilder struct {
	strings.Builder
	args []any
}

// arg adds a parameter and returns its placeholder.
func (b *sqlBuilder) arg(v any) string {
	b.args = append(b.args, v)
	return "$" + strconv.Itoa(len(b.args))
}

func (a And) sql(b *sqlBuilder, t *searchTable) error { return list(b, t, a, " AND ", "true") }
func (o Or) sql(b *sqlBuilder, t *searchTable) error  { return list(b, t, o, " OR ", "false") }

func list(b *sqlBuilder, t *searchTable, cs []Cond, sep, empty string) error {
	if len(cs) == 0 {
		b.WriteString(empty)
		return nil
	}
	b.WriteString("(")
	for i, c := range cs {
		if i > 0 {
			b.WriteString(sep)
		}
		if err := c.sql(b, t); err != nil {
			return err
		}
	}
	b.WriteString(")")
	return nil
}

func (n Not) sql(b *sqlBuilder, t *searchTable) error {
	// Every leaf is true or false, never NULL (columns are NOT NULL and
	// JSON lookups are wrapped in coalesce), so NOT is exactly the rows X
	// leaves out.
	b.WriteString("NOT ")
	if n.X == nil {
		return fmt.Errorf("%w: NOT of nothing", ErrBadSearch)
	}
	return n.X.sql(b, t)
}

func (c ColumnCmp) sql(b *sqlBuilder, t *searchTable) error {
	col, ok := t.cols[c.Field]
	if !ok {
		return fmt.Errorf("%w: field %d", ErrBadSearch, c.Field)
	}
	var cast string
	switch v := c.Value.(type) {
	case string:
		if c.Field != FieldKey && c.Field != FieldContentType && c.Field != FieldResource && c.Field != FieldOwner {
			return fmt.Errorf("%w: a string for field %d", ErrBadSearch, c.Field)
		}
		if c.Op == OpLike {
			b.WriteString("(" + col + " LIKE " + b.arg(v) + "::text)")
			return nil
		}
		if c.Op == OpEq && c.Field == FieldContentType && t.ctEq {
			doc, _ := json.Marshal(map[string]string{"ContentType": v})
			b.WriteString("(" + t.doc + " @> " + b.arg(string(doc)) + "::jsonb)")
			return nil
		}
		cast = `::text COLLATE "C"`
	case int64:
		if c.Field != FieldSize {
			return fmt.Errorf("%w: a number for field %d", ErrBadSearch, c.Field)
		}
		cast = "::bigint"
	case time.Time:
		if c.Field != FieldCreated && c.Field != FieldModified {
			return fmt.Errorf("%w: a time for field %d", ErrBadSearch, c.Field)
		}
		cast = "::timestamptz"
	default:
		return fmt.Errorf("%w: value %T", ErrBadSearch, c.Value)
	}
	op, ok := opSQL[c.Op]
	if !ok {
		return fmt.Errorf("%w: operator %d on a column", ErrBadSearch, c.Op)
	}
	b.WriteString("(" + col + " " + op + " " + b.arg(c.Value) + cast + ")")
	return nil
}

// numericOf is the SQL number the JSON value at a path stands for, given
// its text {v} (doc #>> path): a JSON number, or a string of plain decimal
// digits (S3 metadata is always text); NULL for anything else, so that no
// row's value can make the cast fail.
const numericOf = `(CASE WHEN {v} ~ '^-?[0-9]{1,40}(\.[0-9]{1,40})?$' THEN {v}::numeric END)`

func (c MetaCmp) sql(b *sqlBuilder, t *searchTable) error {
	root, ok := t.roots[c.Doc]
	if !ok || len(c.Path) == 0 {
		return fmt.Errorf("%w: document %d", ErrBadSearch, c.Doc)
	}
	path := append(append([]string{}, root...), c.Path...)
	// The path's parameter is added only where it is used, since
	// PostgreSQL cannot type a parameter nothing refers to.
	var p string
	at := func(op string) string {
		if p == "" {
			p = b.arg(path) + "::text[]"
		}
		return "(" + t.doc + " " + op + " " + p + ")"
	}
	value := func() string { return at("#>") }
	if c.Op == OpExists {
		b.WriteString("(" + value() + " IS NOT NULL)")
		return nil
	}
	if c.Op == OpNe {
		b.WriteString("(" + value() + " IS NOT NULL AND NOT ")
		defer b.WriteString(")")
		c.Op = OpEq
	}
	switch v := c.Value.(type) {
	case string:
		if c.Op == OpEq {
			return containment(b, t, path, v)
		}
		return c.text(b, value(), v)
	case bool:
		if c.Op != OpEq {
			return fmt.Errorf("%w: %d on a boolean", ErrBadSearch, c.Op)
		}
		return containment(b, t, path, v)
	case Numeric:
		op, ok := opSQL[c.Op]
		if !ok {
			return fmt.Errorf("%w: %d on a number", ErrBadSearch, c.Op)
		}
		b.WriteString("coalesce(" + strings.ReplaceAll(numericOf, "{v}", at("#>>")) + " " + op + " " + b.arg(string(v)) + "::numeric, false)")
		return nil
	}
	return fmt.Errorf("%w: value %T", ErrBadSearch, c.Value)
}

func (c MetaCmp) text(b *sqlBuilder, x string, v string) error {
	switch c.Op {
	case OpLike:
		b.WriteString("coalesce(jsonb_typeof(" + x + ") = 'string' AND (" + x + " #>> '{}') LIKE " + b.arg(v) + "::text, false)")
		return nil
	}
	op, ok := opSQL[c.Op]
	if !ok {
		return fmt.Errorf("%w: %d on a string", ErrBadSearch, c.Op)
	}
	b.WriteString("coalesce(jsonb_typeof(" + x + ") = 'string' AND (" + x + ` #>> '{}') COLLATE "C" ` + op + " " + b.arg(v) + "::text, false)")
	return nil
}

// containment writes doc @> {path: v}, which the GIN index on doc answers.
func containment(b *sqlBuilder, t *searchTable, path []string, v any) error {
	for i := len(path) - 1; i >= 0; i-- {
		v = map[string]any{path[i]: v}
	}
	doc, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrBadSearch, err)
	}
	b.WriteString("(" + t.doc + " @> " + b.arg(string(doc)) + "::jsonb)")
	return nil
}
