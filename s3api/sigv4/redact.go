package sigv4

import (
	"net/url"
	"strings"
)

// Redacted replaces the value of a secret query parameter in RedactURI.
const Redacted = "REDACTED"

// secretParams are query parameters that let whoever reads them act as the
// signer: a presigned URL's signature (SigV4, and SigV2's Signature, which
// a client may send even though it is refused), the credential naming the
// key, and a session token.
var secretParams = []string{"X-Amz-Signature", "X-Amz-Credential", "X-Amz-Security-Token", "Signature"}

// RedactURI returns a request target (path?query, as in r.RequestURI) with
// the value of every secret query parameter replaced by Redacted, for
// logging. Names are matched as a parser would read them: decoded and in
// any case, and split on ';' as well as '&', so that a refused request that
// used a spelling or separator the verifier does not accept leaks nothing
// either. Everything else is kept as sent.
func RedactURI(uri string) string {
	path, query, ok := strings.Cut(uri, "?")
	if !ok {
		return uri
	}
	var b strings.Builder
	b.Grow(len(uri))
	b.WriteString(path + "?")
	for query != "" {
		i := strings.IndexAny(query, "&;")
		part, sep := query, ""
		if i >= 0 {
			part, sep, query = query[:i], query[i:i+1], query[i+1:]
		} else {
			query = ""
		}
		b.WriteString(redactParam(part) + sep)
	}
	return b.String()
}

// redactParam redacts one name=value pair if its name is secret.
func redactParam(part string) string {
	name, _, hasValue := strings.Cut(part, "=")
	if !hasValue || !isSecretParam(name) {
		return part
	}
	return name + "=" + Redacted
}

func isSecretParam(raw string) bool {
	name, err := url.QueryUnescape(raw)
	if err != nil {
		name = raw
	}
	for _, s := range secretParams {
		if strings.EqualFold(name, s) {
			return true
		}
	}
	return false
}
