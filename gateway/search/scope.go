package search

import (
	"strings"

	"sixfold/db"
)

// Scope turns what a caller's policy allows for one action — the resource
// patterns of its Allow and Deny statements (AWS wildcards: * any run, ?
// one character) — into a condition on the objects whose ARNs start with
// prefix ("arn:aws:s3:::bucket/" or "arn:aws:s3:::files/"). keyed says the
// rest of the ARN is the object's key, so a pattern such as
// arn:aws:s3:::photos/ann/* becomes key LIKE 'ann/%', which the key index
// answers. It reports false when the caller may see none of them; a nil
// condition with true means all of them.
func Scope(allow, deny []string, prefix string, keyed bool) (db.Cond, bool) {
	var allowed db.Or
	all := false
	for _, p := range allow {
		c, every, some := patternCond(p, prefix, keyed)
		all = all || every
		if some && !every {
			allowed = append(allowed, c)
		}
	}
	if !all && len(allowed) == 0 {
		return nil, false
	}
	var denied db.Or
	for _, p := range deny {
		c, every, some := patternCond(p, prefix, keyed)
		if every {
			return nil, false
		}
		if some {
			denied = append(denied, c)
		}
	}
	var out db.And
	if !all {
		out = append(out, allowed)
	}
	if len(denied) > 0 {
		out = append(out, db.Not{X: denied})
	}
	if len(out) == 0 {
		return nil, true
	}
	return out, true
}

// patternCond is the condition under which pattern matches the ARN of an
// object under prefix: every (it matches them all), some (it may match
// some: c says which) or neither.
func patternCond(pattern, prefix string, keyed bool) (c db.Cond, every, some bool) {
	lit := pattern
	if i := strings.IndexAny(pattern, "*?"); i >= 0 {
		lit = pattern[:i]
	}
	switch {
	case strings.HasPrefix(lit, prefix):
		rest := pattern[len(prefix):]
		if rest != "" && strings.Trim(rest, "*") == "" {
			return nil, true, true
		}
		if keyed {
			return db.ColumnCmp{Field: db.FieldKey, Op: db.OpLike, Value: awsToLike(rest)}, false, true
		}
	case strings.HasPrefix(prefix, lit):
		if lit != pattern && strings.Trim(pattern[len(lit):], "*") == "" {
			return nil, true, true
		}
	default:
		return nil, false, false // the literal part already differs
	}
	return db.ColumnCmp{Field: db.FieldResource, Op: db.OpLike, Value: awsToLike(pattern)}, false, true
}

// awsToLike turns a policy wildcard into a LIKE pattern. A policy's ?
// is one byte and LIKE's _ one character; they differ only on non-ASCII
// keys, which is why callers check every hit with the policy itself too.
func awsToLike(p string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`, `*`, `%`, `?`, `_`)
	return r.Replace(p)
}
