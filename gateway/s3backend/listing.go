package s3backend

import (
	"context"

	"sixfold/db"
	"sixfold/s3api"
)

// ListObjects implements s3api.ObjectBackend. A page starts as one index
// range scan of Limit+1 keys, which is the whole cost of a flat listing and
// of a delimited one whose keys mostly list as themselves (a folder of
// files). When that range fills before the page does, keys rolled up into
// common prefixes, and the rest of the page is a walk in one round trip
// that seeks past each common prefix (ListObjectsDelimited): one index
// probe per entry, however many keys each prefix holds.
func (b *Backend) ListObjects(ctx context.Context, bucket string, q s3api.ListQuery) (s3api.ListPage, error) {
	if _, err := b.HeadBucket(ctx, bucket); err != nil {
		return s3api.ListPage{}, err
	}
	rows, err := b.store.ListObjects(ctx, bucket, q.Prefix, q.After, q.Limit+1)
	if err != nil {
		return s3api.ListPage{}, storeError(err)
	}
	l := lister{q: q}
	for _, r := range rows {
		l.add(r)
	}
	if l.page.Truncated || len(rows) <= q.Limit {
		return l.page, nil
	}
	walked, err := b.store.ListObjectsDelimited(ctx, bucket, q.Prefix, q.Delimiter, l.resume(rows[len(rows)-1].Key),
		q.Limit+1-l.entries())
	if err != nil {
		return s3api.ListPage{}, storeError(err)
	}
	for _, r := range walked {
		l.add(r)
	}
	return l.page, nil
}

// lister gathers a page from rows in key order, rolling keys up as
// s3api.CommonPrefix says; the walk's SQL finds the same prefixes, and the
// conformance suite holds the two to it.
type lister struct {
	q    s3api.ListQuery
	page s3api.ListPage
}

// add takes the next row: a new entry, or a key under the prefix listed
// last, which adds nothing. One entry past the limit truncates the page.
func (l *lister) add(r db.Object) {
	cp := s3api.CommonPrefix(r.Key, l.q.Prefix, l.q.Delimiter)
	if l.page.Truncated || cp != "" && cp == l.lastPrefix() {
		return
	}
	if l.entries() == l.q.Limit {
		l.page.Truncated = true
		return
	}
	if cp != "" {
		l.page.Prefixes = append(l.page.Prefixes, cp)
	} else {
		l.page.Objects = append(l.page.Objects, objectInfo(r, ""))
	}
}

func (l *lister) entries() int {
	return len(l.page.Objects) + len(l.page.Prefixes)
}

func (l *lister) lastPrefix() string {
	if n := len(l.page.Prefixes); n > 0 {
		return l.page.Prefixes[n-1]
	}
	return ""
}

// resume is where the listing goes on after key, the last row read: past
// every key under key's common prefix, else right after key.
func (l *lister) resume(key string) string {
	if cp := s3api.CommonPrefix(key, l.q.Prefix, l.q.Delimiter); cp != "" {
		return cp + db.KeyCeiling
	}
	return key
}

// ListObjectVersions implements s3api.ObjectBackend. Versions are read in
// (key, newest first) order from the objects_versions index, a page at a
// time; a key that rolls up into a common prefix adds the prefix and the
// next read seeks past every key under it.
func (b *Backend) ListObjectVersions(ctx context.Context, bucket string, q s3api.VersionQuery) (s3api.VersionPage, error) {
	if _, err := b.HeadBucket(ctx, bucket); err != nil {
		return s3api.VersionPage{}, err
	}
	afterKey, afterSeq, err := b.versionMarker(ctx, bucket, q)
	if err != nil {
		return s3api.VersionPage{}, err
	}
	var page s3api.VersionPage
	for {
		want := q.Limit - len(page.Versions) - len(page.Prefixes) + 1
		rows, err := b.store.ListVersions(ctx, bucket, q.Prefix, afterKey, afterSeq, want)
		if err != nil {
			return page, storeError(err)
		}
		seeked := false
		for _, r := range rows {
			if len(page.Versions)+len(page.Prefixes) == q.Limit {
				page.Truncated = true
				return page, nil
			}
			if cp := s3api.CommonPrefix(r.Key, q.Prefix, q.Delimiter); cp != "" {
				page.Prefixes = append(page.Prefixes, cp)
				afterKey, afterSeq, seeked = cp+db.KeyCeiling, 0, true
				break
			}
			page.Versions = append(page.Versions, objectInfo(r, s3api.VersioningEnabled))
			afterKey, afterSeq = r.Key, r.Seq
		}
		if !seeked && len(rows) < want {
			return page, nil
		}
	}
}

// versionMarker turns the query's markers into the exclusive start of
// ListVersionsPage: past every version of AfterKey (or of every key under
// it, when it is a common prefix), or past version AfterVersion of it.
func (b *Backend) versionMarker(ctx context.Context, bucket string, q s3api.VersionQuery) (string, int64, error) {
	if q.AfterKey != "" && s3api.CommonPrefix(q.AfterKey, q.Prefix, q.Delimiter) == q.AfterKey {
		return q.AfterKey + db.KeyCeiling, 0, nil
	}
	if q.AfterVersion == "" {
		return q.AfterKey, 0, nil
	}
	r, _, err := b.store.GetObject(ctx, bucket, q.AfterKey, q.AfterVersion)
	if err != nil {
		if notFoundAs(err, nil) == nil {
			return q.AfterKey, 0, nil
		}
		return "", 0, storeError(err)
	}
	return q.AfterKey, r.Seq, nil
}
