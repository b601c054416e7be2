package s3test

import (
	"slices"
	"testing"

	"sixfold/s3api"
)

// listTests check s3api.ObjectBackend.ListObjects.
var listTests = []test{
	{"ByteOrderPrefixAfterLimit", func(t *testing.T, f *fixture) {
		f.bucket("bkt")
		for _, k := range []string{"b", "a/2", "a/1", "é", "z", "a/10", "ab"} {
			f.put("bkt", k, []byte(k), s3api.ObjectMeta{})
		}
		cases := []struct {
			name, prefix, after string
			limit               int
			want                []string
			truncated           bool
		}{
			{"all", "", "", 100, []string{"a/1", "a/10", "a/2", "ab", "b", "z", "é"}, false},
			{"limited", "", "", 3, []string{"a/1", "a/10", "a/2"}, true},
			{"exact limit", "", "", 7, []string{"a/1", "a/10", "a/2", "ab", "b", "z", "é"}, false},
			{"prefix", "a/", "", 100, []string{"a/1", "a/10", "a/2"}, false},
			{"after", "", "a/2", 100, []string{"ab", "b", "z", "é"}, false},
			{"after not a key", "", "a/15", 2, []string{"a/2", "ab"}, true},
			{"prefix and after", "a/", "a/1", 1, []string{"a/10"}, true},
			{"after past a prefix", "", "a/\U0010FFFF", 100, []string{"ab", "b", "z", "é"}, false},
			{"nothing", "q", "", 100, nil, false},
		}
		for _, tc := range cases {
			objs, truncated, err := f.b.ListObjects(f.ctx, "bkt", tc.prefix, tc.after, tc.limit)
			f.noErr("ListObjects "+tc.name, err)
			var keys []string
			for _, o := range objs {
				keys = append(keys, o.Key)
				if o.Size != int64(len(o.Key)) || o.ETag == "" {
					t.Errorf("%s: %s has size %d ETag %q", tc.name, o.Key, o.Size, o.ETag)
				}
			}
			if !slices.Equal(keys, tc.want) || truncated != tc.truncated {
				t.Errorf("%s: got %q truncated=%v; want %q truncated=%v", tc.name, keys, truncated, tc.want, tc.truncated)
			}
		}
	}},
}
