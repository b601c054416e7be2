package admission

import (
	"fmt"
	"net/netip"
	"strings"
)

// Allowlist is the set of networks whose clients may talk to the gateway.
// A nil *Allowlist allows everyone. Immutable and safe for concurrent use.
type Allowlist struct {
	prefixes []netip.Prefix
}

// ParseAllowlist reads CIDRs ("10.0.0.0/8", "2001:db8::/32") and single
// addresses ("192.0.2.7", the same as /32 or /128). An empty list answers
// nil: everyone is allowed. The error quotes the entry it cannot read.
func ParseAllowlist(entries []string) (*Allowlist, error) {
	if len(entries) == 0 {
		return nil, nil
	}
	a := &Allowlist{}
	for _, e := range entries {
		e = strings.TrimSpace(e)
		if strings.Contains(e, "/") {
			p, err := netip.ParsePrefix(e)
			if err != nil {
				return nil, fmt.Errorf("%q is not a CIDR such as 10.0.0.0/8", e)
			}
			a.prefixes = append(a.prefixes, p.Masked())
			continue
		}
		addr, err := netip.ParseAddr(e)
		if err != nil || addr.Zone() != "" {
			return nil, fmt.Errorf("%q is neither a CIDR such as 10.0.0.0/8 nor an IP address", e)
		}
		addr = addr.Unmap()
		a.prefixes = append(a.prefixes, netip.PrefixFrom(addr, addr.BitLen()))
	}
	return a, nil
}

// Allows reports whether a connection from remoteAddr (an http.Request's
// RemoteAddr: host:port) may proceed. IPv4 clients reaching an IPv6
// socket (::ffff:192.0.2.7) match IPv4 networks. An address that does not
// parse is refused.
func (a *Allowlist) Allows(remoteAddr string) bool {
	if a == nil {
		return true
	}
	addr := hostOf(remoteAddr)
	if !addr.IsValid() {
		return false
	}
	for _, p := range a.prefixes {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}

// hostOf is the IP address of a remote address, host:port or a bare IP,
// with IPv4-in-IPv6 unmapped and any zone dropped; the zero Addr when it is
// neither.
func hostOf(remoteAddr string) netip.Addr {
	if ap, err := netip.ParseAddrPort(remoteAddr); err == nil {
		return ap.Addr().Unmap().WithZone("")
	}
	if addr, err := netip.ParseAddr(remoteAddr); err == nil {
		return addr.Unmap().WithZone("")
	}
	return netip.Addr{}
}
