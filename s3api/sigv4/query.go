package sigv4

import (
	"net/http"
	"net/url"
	"strings"
)

// authParams are the query parameters of presigned authentication. Each
// may appear at most once, under exactly this spelling.
var authParams = []string{
	"X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date",
	"X-Amz-Expires", "X-Amz-SignedHeaders", "X-Amz-Signature",
}

// parseQuery is the only parse of a request's query: the signature is
// checked against what it returns, and the handler routes on the same
// values (Auth.Query), so no parameter can be signed as one thing and
// served as another.
//
// It refuses what readers disagree on. A ';' is a separator to some
// parsers and not to Go's (url.ParseQuery drops the whole pair), and bad
// percent-encoding is dropped by one parser and kept by another. A repeated
// authentication parameter, or one spelled in another case, could be read
// by one component and ignored by the next.
func parseQuery(raw string) (url.Values, error) {
	if strings.IndexByte(raw, ';') >= 0 {
		return nil, newError(CodeInvalidArgument, "the query string may not contain ';'")
	}
	q, err := url.ParseQuery(raw)
	if err != nil {
		return nil, newError(CodeInvalidArgument, "the query string is not valid URL encoding")
	}
	for name, values := range q {
		spelling, isAuth := authParamNamed(name)
		switch {
		case isAuth && spelling != name:
			return nil, newError(CodeAuthorizationQueryParamsError, "query parameter "+quote(name)+" must be spelled "+spelling)
		case isAuth && len(values) > 1:
			return nil, newError(CodeAuthorizationQueryParamsError, "query parameter "+name+" is repeated")
		}
	}
	return q, nil
}

// authParamNamed returns the spelling of the authentication parameter
// that name is, ignoring case.
func authParamNamed(name string) (string, bool) {
	for _, p := range authParams {
		if strings.EqualFold(name, p) {
			return p, true
		}
	}
	return "", false
}

// Unsigned reports whether r carries no authentication at all (neither an
// Authorization header nor any presigning parameter), and if so returns
// its query parsed as Verify parses it, for serving it anonymously. A
// request with any trace of a signature is not unsigned: it is verified,
// and fails as a bad signature rather than falling back to anonymous.
func Unsigned(r *http.Request) (url.Values, bool, error) {
	if _, has := r.Header["Authorization"]; has {
		return nil, false, nil
	}
	q, err := parseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, false, err
	}
	for name := range q {
		// SigV2's presigning parameters count too: such a URL must fail
		// as the signature it is, not be served as anonymous.
		if _, isAuth := authParamNamed(name); isAuth || strings.EqualFold(name, "AWSAccessKeyId") || strings.EqualFold(name, "Signature") {
			return nil, false, nil
		}
	}
	return q, true, nil
}

// maxClaimedKey bounds what ClaimedAccessKey returns: it keys a rate
// limiter's table, so a client must not choose its size.
const maxClaimedKey = 128

// ClaimedAccessKey is the access key r says it is signed with (from the
// Authorization header's or the presigned query's Credential), unverified,
// or "" when it names none. It lets a failed authentication be counted
// against the key that was being guessed.
func ClaimedAccessKey(r *http.Request) string {
	cred := ""
	if h := r.Header.Get("Authorization"); h != "" {
		if _, rest, ok := strings.Cut(h, "Credential="); ok {
			cred = rest
		}
	} else if i := strings.Index(r.URL.RawQuery, "X-Amz-Credential="); i >= 0 {
		cred, _, _ = strings.Cut(r.URL.RawQuery[i+len("X-Amz-Credential="):], "&")
		if u, err := url.QueryUnescape(cred); err == nil {
			cred = u
		}
	}
	ak, _, found := strings.Cut(cred, "/")
	if !found || len(ak) > maxClaimedKey {
		return ""
	}
	return ak
}
