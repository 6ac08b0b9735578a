package webhook

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strings"
	"syscall"

	"github.com/chatsvc/chat/domain"
)

// MaxURLLength bounds an endpoint's URL.
const MaxURLLength = 2048

// ErrForbiddenAddress: the URL's host is, or resolves to, an address the
// service must not send to.
var ErrForbiddenAddress = errors.New("the address is loopback, private, link-local or reserved")

// Lookup resolves a host to its addresses (net.DefaultResolver.LookupNetIP
// in production; tests pin what a name resolves to, and when).
type Lookup func(ctx context.Context, host string) ([]netip.Addr, error)

// Guard decides which addresses deliveries may reach.
type Guard struct {
	// AllowPrivate lets deliveries reach every address: for tests and for
	// services whose receivers live on a private network
	// (CHAT_WEBHOOK_ALLOW_PRIVATE).
	AllowPrivate bool
	Lookup       Lookup
}

// NewGuard returns a guard resolving names with the system's resolver.
func NewGuard(allowPrivate bool) *Guard {
	return &Guard{AllowPrivate: allowPrivate, Lookup: func(ctx context.Context, host string) ([]netip.Addr, error) {
		return net.DefaultResolver.LookupNetIP(ctx, "ip", host)
	}}
}

// reserved are the ranges netip's predicates do not name that no public
// receiver is on: "this network", shared address space (carrier NAT), IETF
// protocol assignments, benchmarking, documentation, reserved and broadcast.
var reserved = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("100.64.0.0/10"),
	netip.MustParsePrefix("192.0.0.0/24"),
	netip.MustParsePrefix("192.0.2.0/24"),
	netip.MustParsePrefix("198.18.0.0/15"),
	netip.MustParsePrefix("198.51.100.0/24"),
	netip.MustParsePrefix("203.0.113.0/24"),
	netip.MustParsePrefix("240.0.0.0/4"),
	netip.MustParsePrefix("64:ff9b::/96"), // NAT64 can reach any IPv4 address, private ones too
	netip.MustParsePrefix("2001:db8::/32"),
}

// Permitted says whether a delivery may connect to addr.
func (g *Guard) Permitted(addr netip.Addr) bool {
	if g.AllowPrivate {
		return true
	}
	a := addr.Unmap() // ::ffff:127.0.0.1 is 127.0.0.1
	if !a.IsValid() || a.IsLoopback() || a.IsPrivate() || a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast() ||
		a.IsInterfaceLocalMulticast() || a.IsMulticast() || a.IsUnspecified() {
		return false
	}
	for _, p := range reserved {
		if p.Contains(a) {
			return false
		}
	}
	return true
}

// CheckURL validates an endpoint's URL at registration: http or https, a
// host, no credentials, and every address the host resolves to permitted.
// What it refuses is a domain.ValidationError (422).
func (g *Guard) CheckURL(ctx context.Context, raw string) (*url.URL, error) {
	invalid := func(reason string) error { return &domain.ValidationError{Field: "url", Reason: reason} }
	if len(raw) > MaxURLLength {
		return nil, invalid(fmt.Sprintf("must be at most %d characters", MaxURLLength))
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" || u.Opaque != "" {
		return nil, invalid("must be an absolute http or https URL")
	}
	if u.User != nil {
		return nil, invalid("must not carry credentials")
	}
	if u.Fragment != "" {
		return nil, invalid("must not have a fragment")
	}
	addrs, err := g.resolve(ctx, u.Hostname())
	if err != nil {
		return nil, invalid("its host does not resolve")
	}
	for _, a := range addrs {
		if !g.Permitted(a) {
			return nil, invalid("must not resolve to a loopback, private, link-local or reserved address (" +
				"CHAT_WEBHOOK_ALLOW_PRIVATE allows them)")
		}
	}
	return u, nil
}

func (g *Guard) resolve(ctx context.Context, host string) ([]netip.Addr, error) {
	if a, err := netip.ParseAddr(strings.Trim(host, "[]")); err == nil {
		return []netip.Addr{a}, nil
	}
	addrs, err := g.Lookup(ctx, host)
	if err == nil && len(addrs) == 0 {
		err = errors.New("no address")
	}
	return addrs, err
}

// DialContext connects to the first permitted address of the host, looked
// up again at this moment: a name that resolved to a public address at
// registration and resolves to a private one now (DNS rebinding) is refused.
// The address connected to is checked once more as the socket connects.
func (g *Guard) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(address)
	if err != nil {
		return nil, err
	}
	addrs, err := g.resolve(ctx, host)
	if err != nil {
		return nil, err
	}
	d := net.Dialer{Control: func(_, address string, _ syscall.RawConn) error {
		ap, err := netip.ParseAddrPort(address)
		if err != nil || !g.Permitted(ap.Addr()) {
			return ErrForbiddenAddress
		}
		return nil
	}}
	last := ErrForbiddenAddress
	for _, a := range addrs {
		if !g.Permitted(a) {
			continue
		}
		conn, err := d.DialContext(ctx, network, net.JoinHostPort(a.String(), port))
		if err == nil {
			return conn, nil
		}
		last = err
	}
	return nil, last
}
