package storedrows

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"sixfold/db"
)

// table answers ListStoredChunksOnServer from sorted ids, as the query does.
type table struct {
	ids   []uuid.UUID
	asked []uuid.UUID // AfterID of each call
	fail  error
}

func (t *table) ListStoredChunksOnServer(_ context.Context, _, after uuid.UUID, _ time.Duration, limit int) ([]db.StoredChunk, error) {
	t.asked = append(t.asked, after)
	if t.fail != nil {
		return nil, t.fail
	}
	var out []db.StoredChunk
	for _, id := range t.ids {
		if len(out) < limit && id.String() > after.String() {
			out = append(out, db.StoredChunk{ID: id})
		}
	}
	return out, nil
}

func TestEachVisitsEveryRowOncePageByPage(t *testing.T) {
	tab := &table{}
	for range 7 {
		tab.ids = append(tab.ids, uuid.New())
	}
	slices.SortFunc(tab.ids, func(a, b uuid.UUID) int { return strings.Compare(a.String(), b.String()) })
	var seen []uuid.UUID
	var pages []int
	err := Walk{BatchSize: 3}.Each(context.Background(), tab, func(rows []Row) error {
		pages = append(pages, len(rows))
		for _, r := range rows {
			seen = append(seen, r.ID)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(seen, tab.ids) || !slices.Equal(pages, []int{3, 3, 1}) {
		t.Fatalf("visited %v in pages %v; want %v in pages [3 3 1]", seen, pages, tab.ids)
	}
	if want := []uuid.UUID{uuid.Nil, tab.ids[2], tab.ids[5], tab.ids[6]}; !slices.Equal(tab.asked, want) {
		t.Errorf("pages asked after %v; want %v", tab.asked, want)
	}
}

func TestEachStopsAtTheFirstError(t *testing.T) {
	stop := errors.New("visit failed")
	tab := &table{ids: []uuid.UUID{uuid.New(), uuid.New()}}
	calls := 0
	err := Walk{BatchSize: 1}.Each(context.Background(), tab, func([]Row) error { calls++; return stop })
	if !errors.Is(err, stop) || calls != 1 {
		t.Errorf("Each = %v after %d visits; want the visit's error after 1", err, calls)
	}
	tab.fail = errors.New("connection reset")
	if err := (Walk{BatchSize: 1}).Each(context.Background(), tab, func([]Row) error { return nil }); err == nil {
		t.Error("a failing query ended the walk without an error")
	}
}
