package webhook

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"
	"time"
)

// Timeout is how long a receiver has to answer a delivery.
const Timeout = 10 * time.Second

// Delivery is one event on its way to one endpoint.
type Delivery struct {
	URL    string
	Secret string    // the endpoint's whsec_ secret
	ID     string    // webhook-id: the event's id, the same on every retry
	At     time.Time // webhook-timestamp: this attempt's
	Body   []byte    // {"type", "timestamp", "data"}
}

// Outcome is what one attempt came to.
type Outcome struct {
	// Status is the receiver's HTTP status; 0 when none came (refused
	// address, connection error, timeout).
	Status int
	// Err says why an attempt without a status failed.
	Err error
}

// Delivered: any 2xx within the timeout.
func (o Outcome) Delivered() bool { return o.Status >= 200 && o.Status < 300 }

// Sender posts deliveries.
type Sender struct {
	client *http.Client
}

// NewSender posts through guard, within timeout, never following a redirect
// (a receiver that moved answers 3xx, which is a failed attempt: a redirect
// could otherwise lead a delivery to an address the guard refuses).
func NewSender(guard *Guard, timeout time.Duration) *Sender {
	transport := &http.Transport{
		DialContext:           guard.DialContext,
		Proxy:                 nil, // a proxy would connect where the guard cannot see
		MaxIdleConnsPerHost:   16,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   timeout,
		ResponseHeaderTimeout: timeout,
		ForceAttemptHTTP2:     true,
	}
	return &Sender{client: &http.Client{
		Transport:     transport,
		Timeout:       timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// Send makes one attempt.
func (s *Sender) Send(ctx context.Context, d Delivery) Outcome {
	sig, err := Sign(d.Secret, d.ID, d.At, d.Body)
	if err != nil {
		return Outcome{Err: err}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.URL, bytes.NewReader(d.Body))
	if err != nil {
		return Outcome{Err: err}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "chat-webhooks/1")
	req.Header.Set("webhook-id", d.ID)
	req.Header.Set("webhook-timestamp", strconv.FormatInt(d.At.Unix(), 10))
	req.Header.Set("webhook-signature", sig)
	resp, err := s.client.Do(req)
	if err != nil {
		if errors.Is(err, ErrForbiddenAddress) {
			err = ErrForbiddenAddress
		}
		return Outcome{Err: err}
	}
	// A receiver's answer is not read beyond a little, so that keep-alive
	// connections are reused without a receiver making us read megabytes.
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	_ = resp.Body.Close()
	return Outcome{Status: resp.StatusCode}
}
