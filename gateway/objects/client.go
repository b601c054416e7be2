package objects

import (
	"context"
	"net"
)

type clientIPKey struct{}

// WithClientIP records the address of the client a request came from, for
// the upload sessions it opens (the seed's upload_sessions.client_ip). Both
// doors' requests carry it, set once by the shared server, so neither door
// has to thread it through its own types.
func WithClientIP(ctx context.Context, remoteAddr string) context.Context {
	host, _, err := net.SplitHostPort(remoteAddr)
	if err != nil {
		host = remoteAddr
	}
	return context.WithValue(ctx, clientIPKey{}, host)
}

// clientIP is what WithClientIP recorded, or "".
func clientIP(ctx context.Context) string {
	ip, _ := ctx.Value(clientIPKey{}).(string)
	return ip
}
