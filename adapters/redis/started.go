package redis

import (
	"context"
	"crypto/tls"
	"errors"
	"net"

	"github.com/redis/rueidis"
)

// ErrNotStarted answers every command sent through a Client before it started.
var ErrNotStarted = errors.New("redis: the client is not started yet")

// Client is a rueidis client that connects when started, so that building
// what holds it does no I/O. Before Start it is a client that cannot dial
// (every command fails with ErrNotStarted), never a nil one.
type Client struct {
	rueidis.Client
	opt rueidis.ClientOption
}

// NewClient is Connect's client, connected by Start.
func NewClient(addr string) *Client {
	return newClient(rueidis.ClientOption{InitAddress: Addresses(addr), DisableCache: true})
}

// NewCachingClient is ConnectCaching's client, connected by Start.
func NewCachingClient(addr string, cacheBytes int) *Client {
	return newClient(cachingOption(addr, cacheBytes))
}

func newClient(opt rueidis.ClientOption) *Client {
	// A single client whose dialer refuses: rueidis keeps it (ForceSingleClient)
	// and answers each command with the dialer's error.
	idle, _ := rueidis.NewClient(rueidis.ClientOption{InitAddress: []string{"not-started:0"}, ForceSingleClient: true,
		DisableRetry: true, DisableCache: true,
		DialCtxFn: func(context.Context, string, *net.Dialer, *tls.Config) (net.Conn, error) { return nil, ErrNotStarted }})
	return &Client{Client: idle, opt: opt}
}

// Start connects: one attempt (waiting for Redis is the caller's).
func (c *Client) Start(context.Context) error {
	client, err := connect(c.opt)
	if err != nil {
		return err
	}
	c.Client.Close()
	c.Client = client
	return nil
}

// Stop closes the connections.
func (c *Client) Stop(context.Context) error {
	c.Close()
	return nil
}
